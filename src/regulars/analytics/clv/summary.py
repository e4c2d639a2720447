"""The per-member summary the models read: frequency, recency, T and monetary value.

The definitions are lifetimes' (``summary_data_from_transaction_data`` with ``freq='D'``), the
usual ones in the buy-till-you-die literature:

* a member's purchases are grouped by **day** (all purchases of one day are one purchase
  occasion, their amounts summed); a day is counted from midnight in a fixed offset from UTC
  (``utc_offset_hours``, e.g. 9 for Korea), so that a morning and an evening visit are one day;
* ``frequency`` — purchase days after the first (repeat purchases);
* ``recency`` — days from the first purchase day to the last (0 when frequency is 0);
* ``T`` — days from the first purchase day to the end of the observation;
* ``monetary_value`` — the mean amount of the repeat purchase days (the first day excluded),
  0 when frequency is 0. Amounts are in minor units; the mean is a float.

Purchases after ``observation_end`` are ignored. The input is one row per purchase:
``member_id, occurred_at, amount``. In the store (:mod:`regulars.analytics.clv.engines`) that
is every sale with a member, its amount *net of the refunds and returns made against it*
(rows of kind refund/return carry negative totals and point at the sale with ``original_id``);
a sale refunded in full (net amount <= 0) is not a purchase at all. A refund counts against its
sale whenever it was made.

The summary is written **once**, as the SQL of :func:`summary_sql`, and run where the data
lives — SQLite, PostgreSQL, DuckDB (over CSV or Parquet files) or Spark — with only the
expressions for "seconds since the epoch" and integer division differing by dialect. For data
already in memory :func:`rfm_summary` computes the same with pandas; the integration tests
hold all of them to identical results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

import numpy as np
import pandas as pd

Dialect = Literal["sqlite", "postgresql", "duckdb", "spark"]
SUMMARY_COLUMNS = ["member_id", "frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["member_id", "frequency_holdout", "monetary_value_holdout"]
SECONDS_PER_DAY = 86_400


class SummaryEngine(Protocol):
    """Where the transactions live: a SQL dialect, the relation to read, and a way to query."""

    @property
    def dialect(self) -> Dialect: ...

    def source(self) -> str:
        """SQL for a relation with columns ``member_id, occurred_at, amount``."""
        ...

    def query(self, sql: str) -> pd.DataFrame: ...


def epoch_seconds(when: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC; a naive time is taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(np.floor(when.timestamp()))


def _epoch_sql(dialect: Dialect, column: str) -> str:
    return {
        "sqlite": f"CAST(strftime('%s', {column}) AS INTEGER)",
        "postgresql": f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)",
        "duckdb": f"CAST(FLOOR(epoch({column})) AS BIGINT)",
        "spark": f"CAST(unix_timestamp({column}) AS BIGINT)",
    }[dialect]


def _day_sql(dialect: Dialect, seconds: str, offset: int) -> str:
    division = {"sqlite": "/", "postgresql": "/", "duckdb": "//", "spark": "div"}[dialect]
    return f"(({seconds} + {offset}) {division} {SECONDS_PER_DAY})"


def _double(dialect: Dialect) -> str:
    return {"sqlite": "REAL", "postgresql": "DOUBLE PRECISION"}.get(dialect, "DOUBLE")


def _days_cte(dialect: Dialect, source: str, offset: int, start: int | None, end: int) -> str:
    seconds = _epoch_sql(dialect, "occurred_at")
    since = f" AND {seconds} > {start}" if start is not None else ""
    return (
        f"src AS (SELECT member_id, {_day_sql(dialect, seconds, offset)} AS day, amount "
        f"FROM ({source}) s WHERE {seconds} <= {end}{since}), "
        "days AS (SELECT member_id, day, SUM(amount) AS amount FROM src GROUP BY member_id, day)"
    )


def summary_sql(
    dialect: Dialect,
    source: str,
    observation_end: datetime,
    utc_offset_hours: float = 0.0,
) -> str:
    """The per-member summary as one SQL query over ``source`` (see the module's definitions)."""
    offset = round(utc_offset_hours * 3600)
    end = epoch_seconds(observation_end)
    end_day = (end + offset) // SECONDS_PER_DAY
    return (
        f"WITH {_days_cte(dialect, source, offset, None, end)}, "
        "members AS (SELECT member_id, MIN(day) AS first_day, MAX(day) AS last_day, "
        "COUNT(*) AS n_days, SUM(amount) AS total FROM days GROUP BY member_id) "
        "SELECT m.member_id, m.n_days - 1 AS frequency, m.last_day - m.first_day AS recency, "
        f"{end_day} - m.first_day AS age, "
        f"CASE WHEN m.n_days > 1 THEN CAST(m.total - d.amount AS {_double(dialect)}) "
        "/ (m.n_days - 1) ELSE 0.0 END AS monetary_value "
        "FROM members m JOIN days d ON d.member_id = m.member_id AND d.day = m.first_day "
        "ORDER BY m.member_id"
    )


def holdout_sql(
    dialect: Dialect,
    source: str,
    calibration_end: datetime,
    observation_end: datetime,
    utc_offset_hours: float = 0.0,
) -> str:
    """Purchase days and their mean amount in ``(calibration_end, observation_end]``."""
    offset = round(utc_offset_hours * 3600)
    start, end = epoch_seconds(calibration_end), epoch_seconds(observation_end)
    return (
        f"WITH {_days_cte(dialect, source, offset, start, end)} "
        "SELECT member_id, COUNT(*) AS frequency_holdout, "
        f"CAST(SUM(amount) AS {_double(dialect)}) / COUNT(*) AS monetary_value_holdout "
        "FROM days GROUP BY member_id ORDER BY member_id"
    )


def summarise(
    engine: SummaryEngine, observation_end: datetime, utc_offset_hours: float = 0.0
) -> pd.DataFrame:
    """The per-member summary, computed in ``engine``'s database."""
    sql = summary_sql(engine.dialect, engine.source(), observation_end, utc_offset_hours)
    return _typed_summary(engine.query(sql))


def calibration_and_holdout(
    engine: SummaryEngine,
    calibration_end: datetime,
    observation_end: datetime,
    utc_offset_hours: float = 0.0,
) -> pd.DataFrame:
    """The summary up to ``calibration_end`` and what each member did after it.

    Members are those with a purchase in the calibration period. Adds ``frequency_holdout``
    (purchase days in the holdout), ``monetary_value_holdout`` (their mean amount, 0 if none)
    and ``duration_holdout`` (days from the end of calibration to the end of observation), as
    lifetimes' ``calibration_and_holdout_data`` does.
    """
    if calibration_end >= observation_end:
        raise ValueError("calibration_end must come before observation_end")
    calibration = summarise(engine, calibration_end, utc_offset_hours)
    sql = holdout_sql(
        engine.dialect, engine.source(), calibration_end, observation_end, utc_offset_hours
    )
    return _join_holdout(
        calibration, engine.query(sql), calibration_end, observation_end, utc_offset_hours
    )


def _join_holdout(
    calibration: pd.DataFrame,
    holdout: pd.DataFrame,
    calibration_end: datetime,
    observation_end: datetime,
    utc_offset_hours: float,
) -> pd.DataFrame:
    holdout = holdout.astype({"frequency_holdout": "int64", "monetary_value_holdout": "float64"})
    joined = calibration.merge(holdout, on="member_id", how="left")
    joined["frequency_holdout"] = joined["frequency_holdout"].fillna(0).astype("int64")
    joined["monetary_value_holdout"] = joined["monetary_value_holdout"].fillna(0.0)
    offset = round(utc_offset_hours * 3600)
    days = (epoch_seconds(observation_end) + offset) // SECONDS_PER_DAY - (
        epoch_seconds(calibration_end) + offset
    ) // SECONDS_PER_DAY
    joined["duration_holdout"] = np.int64(days)
    return joined


def _typed_summary(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns={"age": "T"})
    frame = frame.astype(
        {"frequency": "int64", "recency": "int64", "T": "int64", "monetary_value": "float64"}
    )
    return frame[SUMMARY_COLUMNS].sort_values("member_id", kind="stable").reset_index(drop=True)


# --- the same definitions on a pandas frame --------------------------------------------------
# Vectorised with numpy: one stable sort by (member, day) — linear when the log is already in
# that order, as exports usually are — then run-length reductions. pandas' groupby would do the
# same work several times over.


@dataclass(frozen=True)
class _Days:
    """Purchase days, sorted by member then day: one row per (member, day)."""

    member: np.ndarray
    day: np.ndarray
    amount: np.ndarray


def _epoch_seconds(values: pd.Series) -> np.ndarray:
    occurred = values
    if not isinstance(occurred.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(
        occurred.dtype
    ):
        occurred = pd.to_datetime(occurred, utc=True)
    if isinstance(occurred.dtype, pd.DatetimeTZDtype):
        occurred = occurred.dt.tz_convert(None)
    stamps = occurred.to_numpy()
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[np.datetime_data(stamps.dtype)[0]]
    return np.asarray(stamps.view(np.int64) // per_second)


def _day_numbers(transactions: pd.DataFrame, offset: int, start: int | None, end: int) -> _Days:
    seconds = _epoch_seconds(transactions["occurred_at"])
    members = transactions["member_id"].to_numpy()
    amount = transactions["amount"].to_numpy()
    keep = seconds <= end
    if start is not None:
        keep &= seconds > start
    if not keep.all():  # copies only when something is left out
        seconds, members, amount = seconds[keep], members[keep], amount[keep]
    # In place where possible: at ten million rows every temporary costs page faults.
    day = seconds if seconds.base is None else seconds.copy()
    day += offset
    day //= SECONDS_PER_DAY
    if len(day) == 0:
        return _Days(members[:0], day, amount)
    if np.issubdtype(members.dtype, np.integer):
        key = members.astype(np.int64, copy=True)
        key -= members.min()
        uniques, codes = None, key  # codes are read only when the ids are not integers
    else:
        codes, uniques = pd.factorize(members, sort=True)
        key = codes.astype(np.int64, copy=True)
    first_day = day.min()
    key *= int(day.max() - first_day) + 1
    key += day
    key -= first_day
    if bool(np.all(key[1:] >= key[:-1])):  # already in (member, day) order: no sort
        boundaries = np.flatnonzero(key[1:] != key[:-1]) + 1
        starts = np.concatenate([[0], boundaries])
        first_rows = starts
        day_amount = np.add.reduceat(amount, starts)
    else:
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        first_rows = order[starts]
        day_amount = np.add.reduceat(amount[order], starts)
    member = members[first_rows] if uniques is None else uniques[codes[first_rows]]
    return _Days(np.asarray(member), day[first_rows], day_amount)


def _per_member(days: _Days) -> tuple[np.ndarray, np.ndarray]:
    """Index of each member's first day, and each member's number of days."""
    if len(days.day) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    changes = days.member[1:] != days.member[:-1]
    starts = np.flatnonzero(np.concatenate([[True], changes]))
    counts = np.diff(np.append(starts, len(days.day)))
    return starts, counts


def rfm_summary(
    transactions: pd.DataFrame, observation_end: datetime, utc_offset_hours: float = 0.0
) -> pd.DataFrame:
    """The per-member summary of a frame with ``member_id, occurred_at, amount`` (pandas)."""
    offset = round(utc_offset_hours * 3600)
    end = epoch_seconds(observation_end)
    days = _day_numbers(transactions, offset, None, end)
    starts, n = _per_member(days)
    last = starts + n - 1
    total = np.add.reduceat(days.amount, starts) if len(starts) else days.amount[:0]
    repeat_total = (total - days.amount[starts]).astype(np.float64)
    monetary = np.where(n > 1, repeat_total / np.maximum(n - 1, 1), 0.0)
    out = pd.DataFrame(
        {
            "member_id": days.member[starts],
            "frequency": n - 1,
            "recency": days.day[last] - days.day[starts],
            "age": (end + offset) // SECONDS_PER_DAY - days.day[starts],
            "monetary_value": monetary,
        }
    )
    return _typed_summary(out)


def rfm_calibration_and_holdout(
    transactions: pd.DataFrame,
    calibration_end: datetime,
    observation_end: datetime,
    utc_offset_hours: float = 0.0,
) -> pd.DataFrame:
    """:func:`calibration_and_holdout` for a pandas frame."""
    if calibration_end >= observation_end:
        raise ValueError("calibration_end must come before observation_end")
    offset = round(utc_offset_hours * 3600)
    calibration = rfm_summary(transactions, calibration_end, utc_offset_hours)
    days = _day_numbers(
        transactions, offset, epoch_seconds(calibration_end), epoch_seconds(observation_end)
    )
    starts, n = _per_member(days)
    total = np.add.reduceat(days.amount, starts) if len(starts) else days.amount[:0]
    holdout = pd.DataFrame(
        {
            "member_id": days.member[starts],
            "frequency_holdout": n,
            "monetary_value_holdout": total.astype(np.float64) / np.maximum(n, 1),
        }
    )
    return _join_holdout(calibration, holdout, calibration_end, observation_end, utc_offset_hours)
