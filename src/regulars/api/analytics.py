"""``/v1/analytics``: the loyalty report and its parts, read-only (scope ``analyst``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from regulars.analytics.report import ReportOptions, report_json
from regulars.api.deps import Authorized, UoW
from regulars.api.errors import answers
from regulars.domain.access import Scope
from regulars.services import analytics as analytics_service
from regulars.services.api_keys import ApiKey

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=answers(401, 403, 422))
Analyst = Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
Benchmark = Annotated[
    float | None,
    Query(ge=-100, le=100, allow_inf_nan=False, description="An NPS to compare with"),
]
MinAnswers = Annotated[int, Query(ge=1, le=10**9)]
"""Every endpoint here is a plain ``def``: FastAPI runs it in its thread pool, never on the
event loop, so a report that takes seconds leaves the worker answering other requests."""


@router.get("/report", summary="Every figure of the loyalty report, as JSON")
def get_report(
    uow: UoW,
    _: Analyst,
    benchmark: Benchmark = None,
    min_answers: MinAnswers = 30,
    as_of: date | None = None,
) -> dict[str, Any]:
    options = ReportOptions(benchmark=benchmark, min_answers=min_answers)
    return report_json(analytics_service.report(uow, as_of, options))


@router.get("/nps", summary="NPS with margin and interval; a breakdown or a trend on request")
def get_nps(
    uow: UoW,
    _: Analyst,
    by: str | None = None,
    trend: str | None = None,
    benchmark: Benchmark = None,
) -> dict[str, Any]:
    return analytics_service.nps_summary(uow, by, trend, benchmark)


@router.get("/nps/compare", summary="Do two groups' NPS differ? (adjusted-Wald z-test)")
def get_nps_compare(uow: UoW, _: Analyst, by: str, first: str, second: str) -> dict[str, Any]:
    return analytics_service.nps_comparison(uow, by, first, second)


@router.get("/drivers", summary="Driver importance, IPA quadrant and what to fix first")
def get_drivers(uow: UoW, _: Analyst) -> list[dict[str, Any]]:
    return analytics_service.driver_analysis(uow)


@router.get("/themes", summary="Comment themes that set detractors apart")
def get_themes(
    uow: UoW,
    _: Analyst,
    top: Annotated[int, Query(ge=1, le=200)] = 10,
    min_answers: MinAnswers = 5,
) -> list[dict[str, Any]]:
    return analytics_service.comment_themes(uow, top, min_answers)


@router.get("/staff", summary="Per-employee scores with intervals: the bonus leaderboard")
def get_staff(
    uow: UoW,
    _: Analyst,
    by: str = "employee",
    min_answers: MinAnswers = 30,
) -> list[dict[str, Any]]:
    return analytics_service.staff_leaderboard(uow, by, min_answers)
