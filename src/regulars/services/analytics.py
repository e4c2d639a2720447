"""Loading what the analytics need, with the heavy per-purchase work done in the database.

Purchases are never pulled row by row: two ``GROUP BY`` queries turn them into a member
summary (one row per member) and member months (one row per member and month with a
purchase), in the engine where the purchases live. The same SQL runs on SQLite and
PostgreSQL (the store) and on DuckDB (over Parquet files shaped like the store's tables, as
``bench/bench_report.py`` does for 20 million purchases); only the month expression differs.
Survey answers come through :func:`regulars.store.feedback.answers.answers_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, inspect, text

from regulars.analytics import drivers, nps, staff, themes
from regulars.analytics.report import BREAKDOWNS, ReportOptions, compute_report, report_json
from regulars.analytics.responses import csat_answers, driver_names, empty_answers, responses_wide
from regulars.services.errors import Invalid
from regulars.store.unit_of_work import UnitOfWork

MONTH_SQL = {
    "sqlite": "(CAST(strftime('%Y', p.occurred_at) AS INTEGER) * 12"
    " + CAST(strftime('%m', p.occurred_at) AS INTEGER) - 1)",
    "postgresql": "(CAST(EXTRACT(YEAR FROM p.occurred_at) AS INTEGER) * 12"
    " + CAST(EXTRACT(MONTH FROM p.occurred_at) AS INTEGER) - 1)",
}
MONTH_SQL["duckdb"] = MONTH_SQL["postgresql"]

MEMBERS_SQL = """
SELECT m.external_id AS member_id, m.segment, m.region, m.signup_date,
       m.acquisition_channel, m.acquisition_cost
FROM members m
WHERE m.erased_at IS NULL
"""

SUMMARY_SQL = """
SELECT m.external_id AS member_id,
       s.first_purchase, s.last_purchase,
       COALESCE(s.purchases, 0) AS purchases,
       COALESCE(s.net_spend, 0) AS net_spend,
       COALESCE(c.categories, 0) AS categories
FROM members m
LEFT JOIN (
    SELECT p.member_id,
           MIN(CASE WHEN p.kind = 'sale' THEN p.occurred_at END) AS first_purchase,
           MAX(CASE WHEN p.kind = 'sale' THEN p.occurred_at END) AS last_purchase,
           SUM(CASE WHEN p.kind = 'sale' THEN 1 ELSE 0 END) AS purchases,
           SUM(p.total_amount) AS net_spend
    FROM purchases p
    WHERE p.member_id IS NOT NULL
    GROUP BY p.member_id
) s ON s.member_id = m.id
LEFT JOIN (
    SELECT p.member_id, COUNT(DISTINCT l.category_id) AS categories
    FROM purchase_lines l JOIN purchases p ON p.id = l.purchase_id
    WHERE p.member_id IS NOT NULL AND p.kind = 'sale'
    GROUP BY p.member_id
) c ON c.member_id = m.id
WHERE m.erased_at IS NULL
"""

MONTHS_SQL = """
SELECT m.external_id AS member_id, t.month, t.purchases, t.spend
FROM (
    SELECT p.member_id, {month} AS month,
           SUM(CASE WHEN p.kind = 'sale' THEN 1 ELSE 0 END) AS purchases,
           SUM(p.total_amount) AS spend
    FROM purchases p
    WHERE p.member_id IS NOT NULL
    GROUP BY p.member_id, {month}
) t JOIN members m ON m.id = t.member_id
WHERE m.erased_at IS NULL
"""

LATEST_SQL = "SELECT MAX(occurred_at) AS latest FROM purchases"


@dataclass
class AnalyticsInputs:
    """Everything the report is computed from (see :mod:`regulars.analytics.behaviour`)."""

    as_of: date
    members: pd.DataFrame
    summary: pd.DataFrame
    months: pd.DataFrame
    answers: pd.DataFrame
    clv: pd.DataFrame | None = None


def run_query(source: Any, sql: str) -> pd.DataFrame:
    """Run ``sql`` on a SQLAlchemy connection or a DuckDB connection, as a data frame."""
    if isinstance(source, Connection):
        result = source.execute(text(sql))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return pd.DataFrame(source.execute(sql).df())  # DuckDB


def load_purchase_aggregates(source: Any, dialect: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The member summary and the member months, aggregated by the database."""
    summary = run_query(source, SUMMARY_SQL)
    months = run_query(source, MONTHS_SQL.format(month=MONTH_SQL[dialect]))
    for column in ("first_purchase", "last_purchase"):
        summary[column] = pd.to_datetime(summary[column], utc=True, format="mixed")
    for column in ("purchases", "net_spend", "categories"):
        summary[column] = pd.to_numeric(summary[column]).fillna(0).astype("int64")
    months["month"] = pd.to_numeric(months["month"]).astype("int64")
    months["purchases"] = pd.to_numeric(months["purchases"]).astype("int64")
    months["spend"] = pd.to_numeric(months["spend"]).astype("int64")
    return summary, months


def latest_purchase_date(source: Any) -> date | None:
    value = run_query(source, LATEST_SQL)["latest"].iloc[0]
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _answers(connection: Connection) -> pd.DataFrame:
    try:
        from regulars.store.feedback.answers import answers_frame
    except ImportError:  # pragma: no cover - the feedback area is part of the store
        return empty_answers()
    return answers_frame(connection)


def _clv(connection: Connection) -> pd.DataFrame | None:
    """Mean predicted lifetime value per member, once ``member_scores`` exists."""
    inspector = inspect(connection)
    if not inspector.has_table("member_scores"):
        return None
    columns = {c["name"] for c in inspector.get_columns("member_scores")}
    if "clv" not in columns or "member_id" not in columns:
        return None
    frame = run_query(
        connection,
        "SELECT m.external_id AS member_id, s.clv FROM member_scores s "
        "JOIN members m ON m.id = s.member_id",
    )
    frame["clv"] = pd.to_numeric(frame["clv"], errors="coerce")
    return frame.groupby("member_id")["clv"].mean().reset_index()


def load_inputs(uow: UnitOfWork, as_of: date | None = None) -> AnalyticsInputs:
    """Read the store into :class:`AnalyticsInputs` (``as_of``: default the latest purchase)."""
    connection = uow.connection
    members = run_query(connection, MEMBERS_SQL)
    members["acquisition_cost"] = pd.to_numeric(members["acquisition_cost"])
    summary, months = load_purchase_aggregates(connection, uow.dialect)
    day = as_of or latest_purchase_date(connection) or date.today()
    return AnalyticsInputs(day, members, summary, months, _answers(connection), _clv(connection))


def report(
    uow: UnitOfWork, as_of: date | None = None, options: ReportOptions | None = None
) -> dict[str, Any]:
    """Every section of the loyalty report, computed from the store."""
    inputs = load_inputs(uow, as_of)
    return compute_report(
        inputs.members,
        inputs.summary,
        inputs.months,
        inputs.answers,
        inputs.as_of,
        options or ReportOptions(),
        clv=inputs.clv,
    )


GROUPINGS = (*BREAKDOWNS, "month", "week")


def _check_by(by: str | None) -> None:
    if by is not None and by not in GROUPINGS:
        raise Invalid(f"by must be one of {', '.join(GROUPINGS)}, not {by!r}")


def responses(uow: UnitOfWork) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers, one row per response with the member's segment and region and the
    ``month`` (2026-10) and ``week`` (its Monday, 2026-10-26) it was collected in, and the
    CSAT answers one row per rated touchpoint (no purchases are read)."""
    members = run_query(uow.connection, MEMBERS_SQL)
    answers = _answers(uow.connection)
    wide = responses_wide(answers, members)
    if not wide.empty:
        stamps = pd.to_datetime(wide["collected_at"], utc=True).dt.tz_localize(None)
        wide["month"] = stamps.dt.strftime("%Y-%m")
        wide["week"] = stamps.dt.to_period("W").dt.start_time.dt.strftime("%Y-%m-%d")
    ratings = csat_answers(answers) if not answers.empty else answers
    return wide, ratings


def nps_summary(
    uow: UnitOfWork,
    by: str | None = None,
    trend: str | None = None,
    benchmark: float | None = None,
) -> dict[str, Any]:
    """The NPS with its interval and band, and optionally a breakdown or a trend."""
    wide, _ = responses(uow)
    _check_by(by)
    if trend is not None and trend not in ("week", "month"):
        raise Invalid(f"trend must be 'week' or 'month', not {trend!r}")
    overall = nps.nps_of(wide["ltr"])
    out: dict[str, Any] = {
        **overall._asdict(),
        "band": None if overall.n == 0 else nps.band(overall.nps),
        "benchmark": benchmark,
        "against_benchmark": nps.against_benchmark(overall, benchmark),
    }
    if overall.n and by is not None:
        out["by"] = report_json({"t": nps.nps_table(wide, by=by)})["t"] if by in wide else []
    if overall.n and trend is not None:
        table = nps.nps_trend(wide, "W" if trend == "week" else "M")
        out["trend"] = report_json({"t": table})["t"]
    return report_json({"x": out})["x"]  # type: ignore[no-any-return]


def nps_comparison(uow: UnitOfWork, by: str, first: str, second: str) -> dict[str, Any]:
    """Whether two groups' NPS differ (two segments, stores, employees, months, weeks...)."""
    _check_by(by)
    wide, _ = responses(uow)
    if by not in wide:
        raise Invalid(f"no answers carry a {by}")
    try:
        result = nps.nps_compare(wide, by, first, second)
    except ValueError as error:
        raise Invalid(str(error)) from None
    return report_json({"x": result})["x"]  # type: ignore[no-any-return]


def driver_analysis(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Driver importance, the importance x satisfaction matrix and the fix-first order."""
    wide, _ = responses(uow)
    if not driver_names(wide):
        return []
    try:
        table = drivers.importance_satisfaction(drivers.driver_importance(wide))
    except ValueError as error:
        raise Invalid(str(error)) from None
    return report_json({"t": table})["t"]  # type: ignore[no-any-return]


def comment_themes(uow: UnitOfWork, top: int = 10, min_answers: int = 5) -> list[dict[str, Any]]:
    """The terms and phrases that set detractors apart, with NPS impact and quotes."""
    wide, _ = responses(uow)
    if wide.empty or not wide["why"].notna().any():
        return []
    table = themes.themes_by_language(wide, top=top, min_answers=min_answers)
    return report_json({"t": table})["t"]  # type: ignore[no-any-return]


def staff_leaderboard(
    uow: UnitOfWork, by: str = "employee", min_answers: int = 30
) -> list[dict[str, Any]]:
    """Per employee (or department) NPS and CSAT with intervals, ranked when eligible."""
    if by not in ("employee", "department", "store", "channel"):
        raise Invalid(f"by must be employee, department, store or channel, not {by!r}")
    wide, ratings = responses(uow)
    if wide.empty or by not in wide or not wide[by].notna().any():
        return []
    table = staff.leaderboard(wide, by, min_answers, ratings if not ratings.empty else None)
    return report_json({"t": table})["t"]  # type: ignore[no-any-return]
