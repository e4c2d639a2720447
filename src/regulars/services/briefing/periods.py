"""What moved: this period against the one before, each change with its test.

The period is the last ``days`` days up to the report's day (``as_of``, whole days in the
business's time zone), the one before it the ``days`` days before that, so both are equally
long. Three figures are compared (:class:`Movements`):

- the **NPS** of the answers collected in each period, by the adjusted-Wald z-test
  (:func:`regulars.analytics.nps.nps_difference`; Rocks 2016);
- the **average check**: the mean total of a sale, by Welch's t-test on the sales' totals
  (:func:`regulars.analytics.changes.mean_change`);
- **returning customers**: of the members who bought in the period, the share who had bought
  before it began, by the two-proportion z-test (:func:`~regulars.analytics.changes.share_change`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from regulars.analytics import nps
from regulars.analytics.changes import Change, mean_change, share_change

NAN = float("nan")


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; ``first_day``/``last_day`` are the business's days."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def periods_ending(as_of: date, days: int, timezone: str) -> tuple[Period, Period]:
    """The period of ``days`` days ending with ``as_of`` and the one before it
    (``previous, current``), each bounded by midnights in ``timezone``."""
    if days < 1:
        raise ValueError("a period lasts at least one day")
    zone = ZoneInfo(timezone)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC)

    first = as_of - timedelta(days=days - 1)
    before = first - timedelta(days=days)
    current = Period(midnight(first), midnight(as_of + timedelta(days=1)), first, as_of)
    previous = Period(midnight(before), midnight(first), before, first - timedelta(days=1))
    return previous, current


@dataclass(frozen=True)
class NpsMovement:
    """The NPS of each period with its interval, and the test of the change."""

    before: nps.NpsInterval
    after: nps.NpsInterval
    change: Change


@dataclass(frozen=True)
class Movements:
    previous: Period
    current: Period
    nps: NpsMovement
    average_check: Change
    """Mean sale total (minor units) in each period; ``n_*`` are the sales."""
    returning: Change
    """Share (%) of the period's buying members who had bought before; ``n_*`` the buyers."""
    returning_members: tuple[int, int]
    """How many of the buyers had bought before, in the previous and the current period."""


def nps_movement(answers: pd.DataFrame, previous: Period, current: Period) -> NpsMovement:
    """The NPS of the 0-10 answers collected in each period, and whether it changed."""
    scores = answers[answers["question"] == "nps"] if not answers.empty else answers
    stamps = pd.to_datetime(scores["collected_at"], utc=True) if not scores.empty else None

    def interval(period: Period) -> nps.NpsInterval:
        if stamps is None:
            return nps.adjusted_wald(0, 0, 0)
        inside = (stamps >= pd.Timestamp(period.start)) & (stamps < pd.Timestamp(period.end))
        return nps.nps_of(scores.loc[inside, "value"])

    before, after = interval(previous), interval(current)
    if before.n == 0 or after.n == 0:
        change = Change(
            before.nps, after.nps, after.nps - before.nps, NAN, NAN, NAN, None, before.n, after.n
        )
    else:
        test = nps.nps_difference(after, before)
        change = Change(
            before.nps,
            after.nps,
            after.nps - before.nps,
            float(test["low"]),
            float(test["high"]),
            float(test["p_value"]),
            bool(test["significant"]),
            before.n,
            after.n,
        )
    return NpsMovement(before, after, change)


def check_change(sales: pd.DataFrame) -> Change:
    """The average check of each period and its test, from the period sales of
    :func:`regulars.store.reads.purchase_windows.sales_in_windows`."""
    checks = []
    for flag in (0, 1):
        part = sales[sales["current"] == flag]
        checks.append(
            (
                int(part["sales"].sum()),
                float(part["amount"].sum()),
                float(part["amount_squared"].sum()),
            )
        )
    return mean_change(*checks[0], *checks[1])


def movements(
    answers: pd.DataFrame,
    sales: pd.DataFrame,
    first_sales: pd.Series,
    previous: Period,
    current: Period,
) -> Movements:
    """The three changes from the answers, the period sales of
    :func:`regulars.store.reads.purchase_windows.sales_in_windows` and each buyer's first
    sale (a UTC time by member id: the member summary's ``first_purchase``, or
    :func:`~regulars.store.reads.purchase_windows.first_sales`): a buyer of a period who
    had bought before it began is *returning*."""
    first = pd.to_datetime(first_sales, utc=True)
    counts = []
    for flag, period in ((0, previous), (1, current)):
        buyers = sales.loc[
            (sales["current"] == flag) & sales["member_id"].notna(), "member_id"
        ].unique()
        known = first.reindex(buyers)
        came_back = int((known < pd.Timestamp(period.start)).sum())
        counts.append((came_back, len(buyers)))
    returning = share_change(counts[0][0], counts[0][1], counts[1][0], counts[1][1])
    return Movements(
        previous,
        current,
        nps_movement(answers, previous, current),
        check_change(sales),
        returning,
        (counts[0][0], counts[1][0]),
    )
