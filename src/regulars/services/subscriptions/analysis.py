"""Subscription analytics from the store: why members leave, the churn features and the
cohort survival table (the per-row work in the store's SQL, the figures in
:mod:`regulars.analytics.subscriptions`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from regulars.analytics.subscriptions import cohort_survival, subscriber_features
from regulars.analytics.subscriptions.reasons import BREAKDOWNS, churn_reasons
from regulars.services.errors import Invalid
from regulars.store.reads import churn_reasons as reason_reads
from regulars.store.reads.subscriber_features import StoreSubscriptions
from regulars.store.unit_of_work import UnitOfWork


def reasons(
    uow: UnitOfWork,
    *,
    by: str | None = None,
    since: date | None = None,
    until: date | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Why the contracts cancelled from ``since`` to ``until`` ended: reasons with shares and
    intervals, overall and by plan, segment or month, with the competitor named most."""
    if by is not None and by not in BREAKDOWNS:
        raise Invalid(f"by: choose among {', '.join(BREAKDOWNS)}")
    if since is not None and until is not None and since > until:
        raise Invalid("since must not come after until")
    if not 0 < confidence < 1:
        raise Invalid("confidence must be between 0 and 1")
    frame = reason_reads.cancellations(uow.connection, since, until)
    answer = churn_reasons(frame, by, confidence)
    return {
        "since": None if since is None else since.isoformat(),
        "until": None if until is None else until.isoformat(),
        **answer,
    }


def local_offset_hours(timezone: str, day: date) -> float:
    """The business's UTC offset on ``day`` (hours east), for counting local days."""
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(timezone))
    offset = moment.utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def features(
    uow: UnitOfWork, as_of: date, *, timezone: str, months: int = 6, usage: str = "data_gb"
) -> pd.DataFrame:
    """Every contract's churn features as of ``as_of``, computed in the store."""
    try:
        return subscriber_features(
            StoreSubscriptions(uow.connection),
            as_of,
            months=months,
            usage=usage,
            utc_offset_hours=local_offset_hours(timezone, as_of),
        )
    except ValueError as error:
        raise Invalid(str(error)) from None


def survival(uow: UnitOfWork, as_of: date) -> pd.DataFrame:
    """The monthly survival table of every start cohort, computed in the store."""
    return cohort_survival(StoreSubscriptions(uow.connection), as_of)
