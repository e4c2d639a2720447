"""The loyalty report and its parts, from what the store holds.

The store aggregates the purchases (:mod:`regulars.store.reads.analytics`: a member summary
and member months, computed in SQL) and hands over the survey answers
(:func:`regulars.store.feedback.answers.answers_frame`); the figures are computed here with
:mod:`regulars.analytics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from regulars.analytics import drivers, nps, staff, themes
from regulars.analytics.report import BREAKDOWNS, ReportOptions, compute_report, report_json
from regulars.analytics.responses import csat_answers, driver_names, responses_wide
from regulars.services.errors import Invalid
from regulars.store.feedback.answers import answers_frame
from regulars.store.reads import analytics as analytics_reads
from regulars.store.unit_of_work import UnitOfWork


@dataclass
class AnalyticsInputs:
    """Everything the report is computed from (see :mod:`regulars.analytics.behaviour`)."""

    as_of: date
    members: pd.DataFrame
    summary: pd.DataFrame
    months: pd.DataFrame
    answers: pd.DataFrame
    clv: pd.DataFrame | None = None


def load_inputs(uow: UnitOfWork, as_of: date | None = None) -> AnalyticsInputs:
    """Read the store into :class:`AnalyticsInputs` (``as_of``: default the latest purchase)."""
    connection = uow.connection
    members = analytics_reads.members_frame(connection)
    summary, months = analytics_reads.load_purchase_aggregates(connection, uow.dialect)
    day = as_of or analytics_reads.latest_purchase_date(connection) or date.today()
    return AnalyticsInputs(
        day,
        members,
        summary,
        months,
        answers_frame(connection),
        analytics_reads.clv_by_member(connection),
    )


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
    members = analytics_reads.members_frame(uow.connection)
    answers = answers_frame(uow.connection)
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
