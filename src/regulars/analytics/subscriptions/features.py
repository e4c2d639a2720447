"""The churn features of every subscriber (one row per contract), written once as SQL and run
where the data lives: the store (SQLite, PostgreSQL), DuckDB over Parquet or CSV files, or
Spark — with identical results (``tests/integration/subscriptions/``).

**Input relations** (an engine names each, :data:`RELATIONS`): ``contracts``,
``plan_changes``, ``bills`` (one row per contract and month, ``month`` its first day),
``members``, ``answers`` (survey answers, one per question) and ``cases`` (follow-up cases).

**Definitions**, each observed up to the contract's **end day** — the day it was cancelled
if that was on or before ``as_of``, else ``as_of`` (right-censored); contracts starting
after ``as_of`` are left out (:mod:`regulars.domain.subscriptions.tenure`):

* ``cancelled`` — cancelled on or before ``as_of``; ``cancel_reason`` the operator's then;
* ``duration_days`` — end day − start; ``duration_months`` — whole months lived (the
  survival time: 0 for a contract cancelled in its first month);
* ``plan``, ``fee`` — in force on the end day: the last plan change on or before it (ties
  by change id), else the plan and fee the contract was signed on; ``plan_changes``,
  ``downgrades`` (the fee went down), ``upgrades`` — changes from the start to the end day;
* ``commitment_months_left`` — whole months from the end day to ``committed_until``
  (0 once it has passed; missing without a commitment);
* ``segment`` and ``age_band`` (age in whole years on the end day; ``unknown`` without a
  birth date) of the contract's member;
* ``months_billed``, ``total_billed`` (minor units), ``mean_bill`` — the bills of months
  from the start month to the end month (a bill after a cancellation month is not counted);
* over the **last ``months`` months** up to the end month (default 6): ``recent_months``
  billed, ``usage_mean`` of the chosen usage figure (``data_gb`` by default), ``usage_slope``
  and ``bill_slope`` — the least-squares slope per month of usage and of the amount billed
  against the month (missing with fewer than two months), and ``usage_drop_share`` — of
  consecutive months both measured, the share in which usage fell;
* ``cases`` — follow-up cases of the member opened by the end day (its local day);
* ``nps_last`` and ``driver_<name>`` — the member's latest NPS answer and latest rating of
  each driver answered by the end day.

**Why it streams.** The bills, the one relation with tens of millions of rows, are read once
and reduced by an aggregate per contract: the counts and sums, and the last ``months``
months *pivoted* into columns (``MAX(CASE WHEN k = 0 THEN usage END)``…), from which slopes,
means and drops are plain arithmetic on a handful of columns — no window function over the
bills, no sort of them, no self-join to find the previous month. The slope is the OLS
formula over those columns, ``(n·Σxy − Σx·Σy) / (n·Σx² − (Σx)²)``, written out term by term
in a fixed order, so every engine performs the same floating-point operations in the same
order and returns the same number to the last bit (``regr_slope`` would stream too, but
sums in whatever order each engine's threads meet the rows, and SQLite has none). Only the
small relations (plan changes, answers) are ranked with ``ROW_NUMBER``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

import pandas as pd

from regulars.analytics.subscriptions.dialects import (
    Dialect,
    day_number,
    double,
    local_day,
    month_number,
    part,
)
from regulars.domain.subscriptions.tenure import AGE_BANDS, UNKNOWN_AGE
from regulars.domain.subscriptions.tenure import month_number as month_of

RELATIONS: dict[str, dict[str, str]] = {
    "contracts": {
        "subscription_id": "text",
        "member_id": "text",
        "plan": "text",
        "monthly_fee": "bigint",
        "started_on": "date",
        "committed_until": "date",
        "cancelled_on": "date",
        "cancel_reason": "text",
    },
    "plan_changes": {
        "change_id": "text",
        "subscription_id": "text",
        "changed_on": "date",
        "from_plan": "text",
        "to_plan": "text",
        "fee_before": "bigint",
        "fee_after": "bigint",
    },
    "bills": {
        "subscription_id": "text",
        "month": "date",
        "amount": "bigint",
        "data_gb": "double",
        "voice_minutes": "double",
        "usage": "double",
    },
    "members": {"member_id": "text", "segment": "text", "birth_date": "date"},
    "answers": {
        "response_id": "text",
        "member_id": "text",
        "question": "text",
        "driver": "text",
        "value": "double",
        "collected_at": "timestamp",
    },
    "cases": {"member_id": "text", "opened_at": "timestamp"},
}
"""Each input relation's columns and their kinds (ids are text, or whole numbers in files)."""

USAGE_MEASURES = ("data_gb", "voice_minutes", "usage")
DEFAULT_MONTHS = 6
MAX_MONTHS = 36

FEATURE_COLUMNS = (
    "subscription_id",
    "member_id",
    "plan",
    "fee",
    "started_on",
    "cancelled",
    "cancel_reason",
    "duration_days",
    "duration_months",
    "commitment_months_left",
    "segment",
    "age_band",
    "months_billed",
    "total_billed",
    "mean_bill",
    "recent_months",
    "usage_mean",
    "usage_slope",
    "usage_drop_share",
    "bill_slope",
    "plan_changes",
    "downgrades",
    "upgrades",
    "cases",
    "nps_last",
)
"""The features every run returns, in order; ``driver_<name>`` columns follow."""
INTEGERS = (
    "fee",
    "duration_days",
    "duration_months",
    "months_billed",
    "total_billed",
    "recent_months",
    "plan_changes",
    "downgrades",
    "upgrades",
    "cases",
)
FLOATS = ("mean_bill", "usage_mean", "usage_slope", "usage_drop_share", "bill_slope", "nps_last")


class SubscriptionEngine(Protocol):
    """Where the subscription data lives: a dialect, its relations, and a way to query."""

    @property
    def dialect(self) -> Dialect: ...

    def relation(self, name: str) -> str:
        """SQL for the relation ``name`` with the columns of :data:`RELATIONS`."""
        ...

    def query(self, sql: str) -> pd.DataFrame: ...


def contracts_cte(engine: SubscriptionEngine, as_of: date) -> str:
    """``c``: every contract started by ``as_of`` with its start and end as day and month
    numbers, whether it was cancelled, its duration, and its end day's year/month/day."""
    d = engine.dialect
    cancelled = (
        f"(s.cancelled_on IS NOT NULL AND {day_number(d, 's.cancelled_on')} <= {_day(as_of)})"
    )

    def at_end(expression: str, constant: int) -> str:
        return f"CASE WHEN {cancelled} THEN {expression} ELSE {constant} END"

    return (
        "c AS (SELECT subscription_id, member_id, plan, monthly_fee, committed_until, "
        "cancel_reason, cancelled, started_on, start_day, start_month, start_dom, end_day, "
        "end_month, end_year, end_moy, end_dom, end_day - start_day AS duration_days, "
        "end_month - start_month - CASE WHEN end_dom < start_dom THEN 1 ELSE 0 END "
        "AS duration_months FROM ("
        "SELECT s.subscription_id, s.member_id, s.plan, s.monthly_fee, s.committed_until, "
        f"CASE WHEN {cancelled} THEN s.cancel_reason END AS cancel_reason, "
        f"CASE WHEN {cancelled} THEN 1 ELSE 0 END AS cancelled, s.started_on, "
        f"{day_number(d, 's.started_on')} AS start_day, "
        f"{month_number(d, 's.started_on')} AS start_month, "
        f"{part(d, 'day', 's.started_on')} AS start_dom, "
        f"{at_end(day_number(d, 's.cancelled_on'), _day(as_of))} AS end_day, "
        f"{at_end(month_number(d, 's.cancelled_on'), month_of(as_of))} AS end_month, "
        f"{at_end(part(d, 'year', 's.cancelled_on'), as_of.year)} AS end_year, "
        f"{at_end(part(d, 'month', 's.cancelled_on'), as_of.month)} AS end_moy, "
        f"{at_end(part(d, 'day', 's.cancelled_on'), as_of.day)} AS end_dom "
        f"FROM ({engine.relation('contracts')}) s "
        f"WHERE {day_number(d, 's.started_on')} <= {_day(as_of)}) e)"
    )


def _day(when: date) -> int:
    return (when - date(1970, 1, 1)).days


def _sum(terms: Sequence[str]) -> str:
    return "(" + " + ".join(terms) + ")"


def _slope(dialect: Dialect, values: Sequence[str]) -> str:
    """OLS slope of ``values[k]`` (month ``-k``) against the month, term by term."""
    present = [f"CASE WHEN {v} IS NULL THEN 0 ELSE 1 END" for v in values]
    n = _sum(present)
    given = [f"COALESCE(CAST({v} AS {double(dialect)}), 0.0)" for v in values]
    # month 0's terms of Σx, Σx² and Σxy are zero: left out (no -0.0 enters a sum)
    sx = _sum(["0", *(f"{-k} * {p}" for k, p in enumerate(present) if k)])
    sxx = _sum(["0", *(f"{k * k} * {p}" for k, p in enumerate(present) if k)])
    sy = _sum(given)
    sxy = _sum(["0.0", *(f"{-k} * {g}" for k, g in enumerate(given) if k)])
    return f"({n} * {sxy} - {sx} * {sy}) / NULLIF({n} * {sxx} - {sx} * {sx}, 0)"


def _billed_cte(engine: SubscriptionEngine, months: int, usage: str) -> str:
    d = engine.dialect
    pivot = [f"MAX(CASE WHEN k = {k} THEN u END) AS u{k}" for k in range(months)]
    pivot += [f"MAX(CASE WHEN k = {k} THEN a END) AS a{k}" for k in range(months)]
    return (
        "billed AS (SELECT subscription_id, COUNT(*) AS months_billed, SUM(a) AS total_billed, "
        f"{', '.join(pivot)} FROM ("
        f"SELECT b.subscription_id, c.end_month - {month_number(d, 'b.month')} AS k, "
        f"b.amount AS a, b.{usage} AS u FROM ({engine.relation('bills')}) b "
        "JOIN c ON c.subscription_id = b.subscription_id "
        f"WHERE {month_number(d, 'b.month')} BETWEEN c.start_month AND c.end_month) r "
        "GROUP BY subscription_id)"
    )


def _trends(dialect: Dialect, months: int) -> list[str]:
    u = [f"billed.u{k}" for k in range(months)]
    a = [f"billed.a{k}" for k in range(months)]
    measured = _sum([f"CASE WHEN {v} IS NULL THEN 0 ELSE 1 END" for v in u])
    drops = _sum([f"CASE WHEN {u[k]} < {u[k + 1]} THEN 1 ELSE 0 END" for k in range(months - 1)])
    pairs = _sum(
        [
            f"CASE WHEN {u[k]} IS NOT NULL AND {u[k + 1]} IS NOT NULL THEN 1 ELSE 0 END"
            for k in range(months - 1)
        ]
    )
    total = _sum([f"COALESCE(CAST({v} AS {double(dialect)}), 0.0)" for v in u])
    return [
        _sum([f"CASE WHEN {v} IS NULL THEN 0 ELSE 1 END" for v in a]) + " AS recent_months",
        f"{total} / NULLIF({measured}, 0) AS usage_mean",
        f"{_slope(dialect, u)} AS usage_slope",
        f"CAST({drops} AS {double(dialect)}) / NULLIF({pairs}, 0) AS usage_drop_share",
        f"{_slope(dialect, a)} AS bill_slope",
    ]


def _plan_ctes(engine: SubscriptionEngine) -> str:
    """``ranked``: each contract's plan changes up to its end day, newest first;
    ``changes``: their counts."""
    d = engine.dialect
    return (
        "ranked AS (SELECT p.subscription_id, p.to_plan, p.fee_before, p.fee_after, "
        "ROW_NUMBER() OVER (PARTITION BY p.subscription_id "
        "ORDER BY p.changed_on DESC, p.change_id DESC) AS rn "
        f"FROM ({engine.relation('plan_changes')}) p "
        "JOIN c ON c.subscription_id = p.subscription_id "
        f"WHERE {day_number(d, 'p.changed_on')} BETWEEN c.start_day AND c.end_day), "
        "changes AS (SELECT subscription_id, COUNT(*) AS plan_changes, "
        "SUM(CASE WHEN fee_after < fee_before THEN 1 ELSE 0 END) AS downgrades, "
        "SUM(CASE WHEN fee_after > fee_before THEN 1 ELSE 0 END) AS upgrades, "
        "MAX(CASE WHEN rn = 1 THEN to_plan END) AS plan_now, "
        "MAX(CASE WHEN rn = 1 THEN fee_after END) AS fee_now "
        "FROM ranked GROUP BY subscription_id)"
    )


def _opinion_ctes(engine: SubscriptionEngine, drivers: Sequence[str], offset: int) -> str:
    """``opinions``: the latest NPS and driver ratings of each contract's member by its end
    day; ``complaints``: the member's cases opened by then."""
    d = engine.dialect
    wanted = "a.question = 'nps'"
    if drivers:
        listed = ", ".join(_literal(x) for x in drivers)
        wanted = f"({wanted} OR (a.question = 'driver_rating' AND a.driver IN ({listed})))"
    columns = ["MAX(CASE WHEN question = 'nps' THEN value END) AS nps_last"]
    columns += [
        f"MAX(CASE WHEN question = 'driver_rating' AND subject = {_literal(x)} THEN value END) "
        f"AS {driver_column(x)}"
        for x in drivers
    ]
    return (
        "scored AS (SELECT c.subscription_id, a.question, COALESCE(a.driver, '-') AS subject, "
        "a.value, ROW_NUMBER() OVER (PARTITION BY c.subscription_id, a.question, "
        "COALESCE(a.driver, '-') ORDER BY a.collected_at DESC, a.response_id DESC) AS rn "
        f"FROM ({engine.relation('answers')}) a JOIN c ON c.member_id = a.member_id "
        f"WHERE {wanted} AND a.value IS NOT NULL "
        f"AND {local_day(d, 'a.collected_at', offset)} <= c.end_day), "
        f"opinions AS (SELECT subscription_id, {', '.join(columns)} FROM scored WHERE rn = 1 "
        "GROUP BY subscription_id), "
        "complaints AS (SELECT c.subscription_id, COUNT(*) AS cases "
        f"FROM ({engine.relation('cases')}) k JOIN c ON c.member_id = k.member_id "
        f"WHERE {local_day(d, 'k.opened_at', offset)} <= c.end_day GROUP BY c.subscription_id)"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def driver_column(driver: str) -> str:
    """The feature column of a driver's rating: ``driver_`` and its name in lower-case
    letters, digits and underscores."""
    cleaned = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in driver.lower())
    return f"driver_{cleaned}"


def _age(dialect: Dialect) -> str:
    birth = "m.birth_date"
    years = (
        f"(c.end_year - {part(dialect, 'year', birth)} - CASE WHEN c.end_moy * 100 + c.end_dom "
        f"< {part(dialect, 'month', birth)} * 100 + {part(dialect, 'day', birth)} "
        "THEN 1 ELSE 0 END)"
    )
    bands = " ".join(
        f"WHEN {years} >= {youngest} THEN {_literal(name)}"
        for name, youngest in reversed(AGE_BANDS)
    )
    return f"CASE WHEN {birth} IS NULL THEN {_literal(UNKNOWN_AGE)} {bands} END"


def _commitment(dialect: Dialect) -> str:
    until = "c.committed_until"
    months = (
        f"{month_number(dialect, until)} - c.end_month - CASE WHEN {part(dialect, 'day', until)} "
        "< c.end_dom THEN 1 ELSE 0 END"
    )
    return (
        f"CASE WHEN {until} IS NULL THEN NULL WHEN {day_number(dialect, until)} <= c.end_day "
        f"THEN 0 ELSE {months} END"
    )


def features_sql(
    engine: SubscriptionEngine,
    as_of: date,
    *,
    months: int = DEFAULT_MONTHS,
    usage: str = "data_gb",
    drivers: Sequence[str] = (),
    utc_offset_hours: float = 0.0,
) -> str:
    """The one query of :func:`subscriber_features` for ``engine``'s dialect."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be from 1 to {MAX_MONTHS}, not {months}")
    if usage not in USAGE_MEASURES:
        raise ValueError(f"usage must be one of {', '.join(USAGE_MEASURES)}, not {usage!r}")
    d = engine.dialect
    offset = round(utc_offset_hours * 3600)
    ratings = ", ".join(f"o.{driver_column(x)}" for x in drivers)
    return (
        f"WITH {contracts_cte(engine, as_of)}, {_billed_cte(engine, months, usage)}, "
        f"{_plan_ctes(engine)}, {_opinion_ctes(engine, drivers, offset)} "
        "SELECT c.subscription_id, c.member_id, COALESCE(ch.plan_now, c.plan) AS plan, "
        "COALESCE(ch.fee_now, c.monthly_fee) AS fee, c.started_on, c.cancelled, "
        "c.cancel_reason, c.duration_days, c.duration_months, "
        f"{_commitment(d)} AS commitment_months_left, "
        "COALESCE(m.segment, 'unknown') AS segment, "
        f"{_age(d)} AS age_band, "
        "COALESCE(billed.months_billed, 0) AS months_billed, "
        "COALESCE(billed.total_billed, 0) AS total_billed, "
        f"CAST(billed.total_billed AS {double(d)}) / NULLIF(billed.months_billed, 0) "
        f"AS mean_bill, {', '.join(_trends(d, months))}, "
        "COALESCE(ch.plan_changes, 0) AS plan_changes, "
        "COALESCE(ch.downgrades, 0) AS downgrades, COALESCE(ch.upgrades, 0) AS upgrades, "
        "COALESCE(k.cases, 0) AS cases, o.nps_last"
        + (f", {ratings}" if ratings else "")
        + f" FROM c LEFT JOIN ({engine.relation('members')}) m ON m.member_id = c.member_id "
        "LEFT JOIN billed ON billed.subscription_id = c.subscription_id "
        "LEFT JOIN changes ch ON ch.subscription_id = c.subscription_id "
        "LEFT JOIN opinions o ON o.subscription_id = c.subscription_id "
        "LEFT JOIN complaints k ON k.subscription_id = c.subscription_id"
    )


def answered_drivers(engine: SubscriptionEngine) -> list[str]:
    """The drivers that have ratings among the engine's answers, in name order."""
    sql = (
        "SELECT DISTINCT driver FROM ("
        f"{engine.relation('answers')}) a WHERE question = 'driver_rating' AND driver IS NOT NULL"
    )
    return sorted(str(x) for x in engine.query(sql)["driver"])


def subscriber_features(
    engine: SubscriptionEngine,
    as_of: date,
    *,
    months: int = DEFAULT_MONTHS,
    usage: str = "data_gb",
    drivers: Sequence[str] | None = None,
    utc_offset_hours: float = 0.0,
) -> pd.DataFrame:
    """The churn features of every contract started by ``as_of``, computed in ``engine``
    (one row per contract, ordered by ``subscription_id``; see the module's definitions).

    ``drivers`` names the driver ratings to add (default: every driver rated in the
    answers); ``utc_offset_hours`` places answers and cases on the business's local day.
    """
    chosen = answered_drivers(engine) if drivers is None else list(drivers)
    sql = features_sql(
        engine,
        as_of,
        months=months,
        usage=usage,
        drivers=chosen,
        utc_offset_hours=utc_offset_hours,
    )
    return typed_features(engine.query(sql), chosen)


def typed_features(frame: pd.DataFrame, drivers: Sequence[str]) -> pd.DataFrame:
    """The engine's answer in one set of types, whatever the engine: counts as ``int64``,
    figures as ``float64`` (NaN when missing), ``commitment_months_left`` as ``Int64``,
    ``cancelled`` as ``bool``, ``started_on`` as ``datetime.date``, texts as ``object``."""
    ratings = [driver_column(x) for x in drivers]
    out = frame[list(FEATURE_COLUMNS) + ratings]  # copied on write, column by column
    for name in INTEGERS:
        out[name] = pd.to_numeric(out[name]).astype("int64")
    for name in (*FLOATS, *ratings):
        out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    left = pd.to_numeric(out["commitment_months_left"], errors="coerce")
    out["commitment_months_left"] = left.astype("Int64")
    out["cancelled"] = pd.to_numeric(out["cancelled"]).astype(bool)
    out["started_on"] = pd.to_datetime(out["started_on"]).dt.date.astype(object)
    for name in ("subscription_id", "member_id", "plan", "cancel_reason", "segment", "age_band"):
        column = out[name].astype(object)
        out[name] = column.where(column.notna(), None)
    return out.sort_values("subscription_id", kind="stable").reset_index(drop=True)
