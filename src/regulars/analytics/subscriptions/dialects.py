"""The few SQL expressions that differ between the engines the subscription features run in.

Everything else in the feature SQL is written once. Dates become whole numbers early — a
day number (days since 1970-01-01), a month number (``year * 12 + month - 1``) — so that
differences of days and months are integer arithmetic alike everywhere; moments (an
answer's ``collected_at``, a case's ``opened_at``) become the day number of their local day
by the fixed UTC offset the caller gives, as the CLV summary counts days.
"""

from __future__ import annotations

from regulars.analytics.clv.summary import SECONDS_PER_DAY, Dialect, _epoch_sql

__all__ = [
    "Dialect",
    "day_number",
    "double",
    "empty_relation",
    "local_day",
    "month_number",
    "part",
]

TYPES: dict[str, dict[Dialect, str]] = {
    "text": {"sqlite": "TEXT", "postgresql": "TEXT", "duckdb": "VARCHAR", "spark": "STRING"},
    "date": {"sqlite": "DATE", "postgresql": "DATE", "duckdb": "DATE", "spark": "DATE"},
    "bigint": {"sqlite": "INTEGER", "postgresql": "BIGINT", "duckdb": "BIGINT", "spark": "BIGINT"},
    "double": {
        "sqlite": "REAL",
        "postgresql": "DOUBLE PRECISION",
        "duckdb": "DOUBLE",
        "spark": "DOUBLE",
    },
    "timestamp": {
        "sqlite": "TIMESTAMP",
        "postgresql": "TIMESTAMPTZ",
        "duckdb": "TIMESTAMPTZ",
        "spark": "TIMESTAMP",
    },
}


def double(dialect: Dialect) -> str:
    return TYPES["double"][dialect]


def day_number(dialect: Dialect, column: str) -> str:
    """Days from 1970-01-01 to the date ``column``."""
    return {
        "sqlite": f"CAST(julianday({column}) - 2440587.5 AS INTEGER)",
        "postgresql": f"({column} - DATE '1970-01-01')",
        "duckdb": f"CAST({column} - DATE '1970-01-01' AS BIGINT)",
        "spark": f"datediff({column}, DATE '1970-01-01')",
    }[dialect]


def part(dialect: Dialect, unit: str, column: str) -> str:
    """The ``year``, ``month`` (1-12) or ``day`` (of the month) of the date ``column``."""
    if dialect == "sqlite":
        code = {"year": "%Y", "month": "%m", "day": "%d"}[unit]
        return f"CAST(strftime('{code}', {column}) AS INTEGER)"
    if dialect == "postgresql":
        return f"CAST(EXTRACT({unit.upper()} FROM {column}) AS INTEGER)"
    return {"year": "year", "month": "month", "day": "dayofmonth"}[unit] + f"({column})"


def month_number(dialect: Dialect, column: str) -> str:
    """``year * 12 + month - 1`` of the date ``column``: consecutive months, consecutive
    numbers (:func:`regulars.domain.subscriptions.tenure.month_number`)."""
    return f"({part(dialect, 'year', column)} * 12 + {part(dialect, 'month', column)} - 1)"


def local_day(dialect: Dialect, column: str, offset_seconds: int) -> str:
    """The day number of the moment ``column`` in the zone ``offset_seconds`` east of UTC."""
    division = {"sqlite": "/", "postgresql": "/", "duckdb": "//", "spark": "div"}[dialect]
    return f"(({_epoch_sql(dialect, column)} + {offset_seconds}) {division} {SECONDS_PER_DAY})"


def empty_relation(dialect: Dialect, columns: dict[str, str]) -> str:
    """A relation with these columns (name -> ``text``, ``date``, ``bigint``, ``double`` or
    ``timestamp``) and no rows: what a file engine gives for a file it was not given."""
    selected = ", ".join(
        f"CAST(NULL AS {TYPES[kind][dialect]}) AS {name}" for name, kind in columns.items()
    )
    return f"SELECT * FROM (SELECT {selected}) nothing WHERE 1 = 0"
