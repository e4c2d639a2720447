"""Per-member analytics written back beside the scores, for campaigns to target.

:func:`compute_member_analytics` replaces every row of ``member_analytics`` (one per member
with any history: a purchase, an answer or points): the loyalty stage and type, the RFM
scores and segment, the class of the latest 0-10 answer and when the member last answered,
the share of wallet and its band, the last purchase and the days since (days in the
business's time zone), the purchase days (the CLV summary's: a day with a purchase, net of
refunds), the net spend, the points expiring within ``expiring_within_days`` and the home
store (the store of most of the member's sales). The definitions are the report's
(:mod:`regulars.analytics.member_profiles`); ``regulars scores compute`` runs it beside the
CLV scores, stamped with the same ``computed_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from regulars.analytics.clv.summary import summarise
from regulars.analytics.member_profiles import member_profiles
from regulars.analytics.responses import responses_wide
from regulars.domain.times import as_utc, wire
from regulars.services.errors import Invalid, NotFound
from regulars.store import member_analytics as analytics_store
from regulars.store.feedback.answers import answers_frame
from regulars.store.reads import analytics as analytics_reads
from regulars.store.reads.clv_summary import StoreEngine
from regulars.store.unit_of_work import UnitOfWork

TIMES = ("computed_at", "last_answer_at", "last_purchase_at")


@dataclass(frozen=True)
class AnalyticsRun:
    """What a computation wrote: when, for how many members, and how many per stage."""

    computed_at: datetime
    members: int
    stages: dict[str, int]
    expiring_within_days: int


def compute_member_analytics(
    uow: UnitOfWork, now: datetime, *, timezone: str, expiring_within_days: int = 30
) -> AnalyticsRun:
    """Recompute and replace every member's analytics as of ``now`` (the caller commits)."""
    if now.tzinfo is None:
        raise Invalid("now must carry a time zone")
    if expiring_within_days < 0:
        raise Invalid("expiring_within_days must not be negative")
    connection = uow.connection
    zone = ZoneInfo(timezone)
    today = as_utc(now).astimezone(zone).date()
    summary = analytics_reads.member_summary(connection)
    answers = answers_frame(connection, until=as_utc(now))
    profiles = member_profiles(summary, responses_wide(answers), today)
    ids = analytics_store.member_ids(connection).set_index("external_id")["id"]
    profiles["id"] = profiles["member_id"].map(ids)
    profiles = profiles[profiles["id"].notna()].copy()
    profiles["id"] = profiles["id"].astype("int64")
    offset = as_utc(now).astimezone(zone).utcoffset() or timedelta(0)
    days = summarise(StoreEngine(connection), as_utc(now), offset.total_seconds() / 3600)
    purchase_days = (days.set_index("member_id")["frequency"] + 1).astype("int64")
    home = analytics_store.home_stores(connection).set_index("member_id")["store_id"]
    expiring = analytics_store.expiring_points(
        connection, now, now + timedelta(days=expiring_within_days)
    ).set_index("member_id")["points"]
    profiles["purchase_days"] = profiles["id"].map(purchase_days).fillna(0).astype("int64")
    profiles["home_store_id"] = profiles["id"].map(home)
    profiles["expiring_points"] = profiles["id"].map(expiring).fillna(0).astype("int64")
    has_history = (
        (profiles["purchase_days"] > 0)
        | profiles["last_purchase_at"].notna()
        | profiles["last_answer_at"].notna()
        | (profiles["expiring_points"] > 0)
        | (profiles["net_spend"] != 0)
    )
    profiles = profiles[has_history]
    last = pd.to_datetime(profiles["last_purchase_at"], utc=True)
    local_last = last.dt.tz_convert(zone).dt.date
    since = pd.Series(
        [None if pd.isna(d) else (today - d).days for d in local_last], index=profiles.index
    )
    columns: dict[str, Any] = {
        "member_id": profiles["id"].to_numpy(),
        "computed_at": [_stamp(as_utc(now))] * len(profiles),
        "stage": profiles["stage"].tolist(),
        "loyalty_type": profiles["loyalty_type"].tolist(),
        "recency_score": _ints(profiles["recency_score"]),
        "frequency_score": _ints(profiles["frequency_score"]),
        "monetary_score": _ints(profiles["monetary_score"]),
        "rfm_segment": _objects(profiles["rfm_segment"]),
        "nps_class": _objects(profiles["nps_class"]),
        "last_nps": _ints(profiles["last_nps"]),
        "last_answer_at": _stamps(profiles["last_answer_at"]),
        "share_of_wallet": _floats(profiles["share_of_wallet"]),
        "share_of_wallet_band": _objects(profiles["share_of_wallet_band"]),
        "last_purchase_at": _stamps(profiles["last_purchase_at"]),
        "days_since_last_purchase": [None if pd.isna(v) else int(v) for v in since],
        "purchase_days": profiles["purchase_days"].to_numpy(),
        "net_spend": profiles["net_spend"].to_numpy(),
        "expiring_points": profiles["expiring_points"].to_numpy(),
        "expiring_within_days": [expiring_within_days] * len(profiles),
        "home_store_id": _ints(profiles["home_store_id"]),
        "attachment": _floats(profiles["attachment"]),
    }
    written = analytics_store.replace_all(connection, columns)
    counts = profiles["stage"].value_counts()
    return AnalyticsRun(
        as_utc(now),
        written,
        {str(k): int(v) for k, v in counts.items()},
        expiring_within_days,
    )


def member_analytics_of(uow: UnitOfWork, external_id: str) -> dict[str, Any] | None:
    """One member's analytics (times as ISO 8601 with offset, ``home_store`` as its code),
    or None when none were computed for them."""
    row = analytics_store.of_member(uow.connection, external_id)
    if row is None:
        return None
    return {**row, **{t: wire(as_utc(row[t])) if row[t] is not None else None for t in TIMES}}


def member_analytics(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    """:func:`member_analytics_of`, or NotFound that says how to compute them."""
    found = member_analytics_of(uow, external_id)
    if found is None:
        raise NotFound(
            f"no analytics for member {external_id!r} (run 'regulars scores compute'; a member "
            "with no purchase, answer or points has none)"
        )
    return found


def _stamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


def _stamps(values: pd.Series) -> list[str | None]:
    moments = pd.to_datetime(values, utc=True)
    return [None if pd.isna(m) else _stamp(m.to_pydatetime()) for m in moments]


def _ints(values: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in values]


def _floats(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in values.astype(float)]


def _objects(values: pd.Series) -> list[Any]:
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values]
