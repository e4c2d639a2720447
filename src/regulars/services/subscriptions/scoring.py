"""Per-contract churn scores written back beside the members' CLV scores.

:func:`score_subscriptions` computes the churn features in the store
(:func:`regulars.services.subscriptions.analysis.features`), joins each member's latest
stated intention to stay (``intent_rebuy``, 1-5, answered by the end of ``as_of``), fits and
scores them (:func:`regulars.analytics.churn.outlook.churn_outlook`: Cox, with the Weibull
model where the Cox baseline ends; the loyalty index and its band) and replaces every row of
``subscription_scores`` with one per active contract: P(cancel within 30 and 90 days), the
median residual life **in days**, the loyalty index (0-100) and its band, the model, and
``computed_at``. ``regulars subscriptions score`` runs it, and ``regulars scores compute``
when the store has contracts. The caller commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from regulars.analytics.churn.outlook import ChurnOutlook, churn_outlook
from regulars.analytics.clv.base import FitError
from regulars.domain.bounds import DATE_MAX, DATE_MIN, DATE_RANGE
from regulars.domain.times import as_utc, wire
from regulars.services.errors import Invalid, NotFound
from regulars.services.subscriptions.analysis import features
from regulars.store.feedback.answers import answers_frame
from regulars.store.subscriptions import scores as score_store
from regulars.store.unit_of_work import UnitOfWork

TIMES = ("computed_at",)


@dataclass(frozen=True)
class ScoringRun:
    """What a scoring wrote."""

    computed_at: datetime
    as_of: date
    contracts: int
    """Contracts the model was fitted on."""
    scored: int
    """Active contracts scored (rows written)."""
    models: dict[str, int]
    covariates: tuple[str, ...]
    outlook: ChurnOutlook


def has_contracts(uow: UnitOfWork) -> bool:
    """Whether the store holds any contract (then ``scores compute`` scores them too)."""
    return score_store.has_contracts(uow.connection)


def _intentions(uow: UnitOfWork, until: datetime) -> pd.Series:
    """Each member's latest ``intent_rebuy`` answer (1-5) collected before ``until``."""
    answers = answers_frame(uow.connection, until=until)
    stated = answers[(answers["question"] == "intent_rebuy") & answers["member_id"].notna()]
    if stated.empty:
        return pd.Series(dtype="float64")
    latest = stated.sort_values(["collected_at", "response_id"]).groupby("member_id").last()
    return latest["value"].astype("float64")


def scoring_features(uow: UnitOfWork, as_of: date, *, timezone: str) -> pd.DataFrame:
    """The churn features as of ``as_of`` with each member's latest ``intent_rebuy``."""
    if not DATE_MIN <= as_of <= DATE_MAX:
        raise Invalid(f"as_of must be within {DATE_RANGE}, not {as_of.isoformat()}")
    frame = features(uow, as_of, timezone=timezone)
    end = as_utc(datetime.combine(as_of + timedelta(days=1), time(), tzinfo=ZoneInfo(timezone)))
    frame["intent_rebuy"] = frame["member_id"].map(_intentions(uow, end))
    return frame


def outlook(uow: UnitOfWork, as_of: date, *, timezone: str) -> tuple[ChurnOutlook, int]:
    """The fitted outlook as of ``as_of`` and the number of contracts it was fitted on;
    Invalid when the data cannot be fitted yet (it says why)."""
    frame = scoring_features(uow, as_of, timezone=timezone)
    if frame.empty:
        raise Invalid(f"no contract had started by {as_of.isoformat()}: nothing to score")
    try:
        return churn_outlook(frame), len(frame)
    except (ValueError, FitError) as error:
        raise Invalid(f"the churn model cannot be fitted yet: {error}") from None


def score_subscriptions(
    uow: UnitOfWork, as_of: date, now: datetime, *, timezone: str
) -> ScoringRun:
    """Fit on the contracts as of ``as_of`` and replace every stored churn score (the caller
    commits)."""
    if now.tzinfo is None:
        raise Invalid("now must carry a time zone")
    fitted, fitted_on = outlook(uow, as_of, timezone=timezone)
    scores = fitted.scores
    ids = score_store.contract_ids(uow.connection).set_index("external_id")
    known = scores["subscription_id"].astype(str).map(ids["id"])
    scores = scores[known.notna()]
    internal = ids.loc[scores["subscription_id"].astype(str).tolist()]
    stamp = as_utc(now).strftime("%Y-%m-%d %H:%M:%S.%f")
    columns: dict[str, Any] = {
        "subscription_id": internal["id"].to_numpy(dtype=np.int64),
        "member_id": internal["member_id"].to_numpy(dtype=np.int64),
        "computed_at": [stamp] * len(scores),
        "as_of": [as_of] * len(scores),
        "model": scores["model"].tolist(),
        "tenure_days": scores["tenure_days"].to_numpy(dtype=np.int64),
        "cancel_probability_30d": _floats(scores["cancel_probability_30d"]),
        "cancel_probability_90d": _floats(scores["cancel_probability_90d"]),
        "median_residual_days": _floats(scores["median_residual_days"]),
        "loyalty_index": _floats(scores["loyalty_index"]),
        "loyalty_band": [None if pd.isna(v) else str(v) for v in scores["loyalty_band"]],
    }
    written = score_store.replace_all(uow.connection, columns)
    return ScoringRun(
        computed_at=as_utc(now),
        as_of=as_of,
        contracts=fitted_on,
        scored=written,
        models=dict(Counter(scores["model"].tolist())),
        covariates=fitted.covariates,
        outlook=fitted,
    )


def subscription_scores(uow: UnitOfWork, external_id: str) -> list[dict[str, Any]]:
    """The member's scored contracts (times as ISO 8601 with offset, ``as_of`` as a date);
    NotFound when none were scored."""
    rows = score_store.of_member(uow.connection, external_id)
    if not rows:
        raise NotFound(
            f"no churn scores for member {external_id!r} (run 'regulars subscriptions score'; "
            "only active contracts are scored)"
        )
    return [
        {
            **row,
            "computed_at": wire(as_utc(row["computed_at"])),
            "as_of": _day(row["as_of"]).isoformat(),
        }
        for row in rows
    ]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _floats(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in values.astype("float64")]
