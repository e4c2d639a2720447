"""How long a contract lived, counted the way the churn features and the survival table
count it, and the age bands members are grouped in.

A contract is observed from its start to its **end day**: the day it was cancelled, if that
was on or before the observation day (``as_of``), else ``as_of`` itself (right-censored: it
is still running). Its duration in **whole months** is the number of monthly anniversaries
of the start passed by the end day — started on 31 January, 28 February is 0 months and
31 March is 2 — so a contract cancelled in its first month has lived 0 months, and a
contract is *active at month t* when it lived at least ``t`` whole months.

The SQL of :mod:`regulars.analytics.subscriptions.features` computes the same in every
engine; these functions are the statement in Python (and the test's reference).
"""

from __future__ import annotations

from datetime import date


def month_number(day: date) -> int:
    """Months since year 0: consecutive months are consecutive numbers.

    >>> month_number(date(2026, 1, 15)) - month_number(date(2025, 12, 1))
    1
    """
    return day.year * 12 + day.month - 1


def whole_months(start: date, end: date) -> int:
    """Monthly anniversaries of ``start`` passed by ``end`` (0 when ``end`` is in the first
    month).

    >>> whole_months(date(2026, 1, 31), date(2026, 2, 28)), whole_months(date(2026, 1, 31),
    ...     date(2026, 3, 31))
    (0, 2)
    """
    months = month_number(end) - month_number(start)
    return months - 1 if end.day < start.day else months


def whole_years(born: date, on: date) -> int:
    """Age in whole years on a day (a birthday counts from its day).

    >>> whole_years(date(1990, 5, 17), date(2026, 5, 16)), whole_years(date(1990, 5, 17),
    ...     date(2026, 5, 17))
    (35, 36)
    """
    before_birthday = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - (1 if before_birthday else 0)


AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("under_25", 0),
    ("25_34", 25),
    ("35_44", 35),
    ("45_54", 45),
    ("55_64", 55),
    ("65_plus", 65),
)
"""Each band's name and the youngest age in it; a member without a birth date is
``unknown``."""
UNKNOWN_AGE = "unknown"


def age_band(age: int | None) -> str:
    """The band of an age in whole years.

    >>> age_band(24), age_band(25), age_band(70), age_band(None)
    ('under_25', '25_34', '65_plus', 'unknown')
    """
    if age is None:
        return UNKNOWN_AGE
    name = AGE_BANDS[0][0]
    for band, youngest in AGE_BANDS:
        if age >= youngest:
            name = band
    return name
