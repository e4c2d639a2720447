"""``/v1/analytics``: the loyalty report and its parts, read-only (scope ``analyst``).

Each figure takes seconds of CPU on a real store: the endpoints await it from the report
process (:mod:`regulars.api.report_pool`), so the serving worker stays free to answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from regulars.api.deps import Authorized, regulars_app
from regulars.api.errors import answers
from regulars.api.report_pool import run_apart
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.services.api_keys import ApiKey

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=answers(401, 403, 422))
Analyst = Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
Regulars = Annotated[App, Depends(regulars_app)]
Benchmark = Annotated[
    float | None,
    Query(ge=-100, le=100, allow_inf_nan=False, description="An NPS to compare with"),
]
MinAnswers = Annotated[int, Query(ge=1, le=10**9)]


@router.get(
    "/report",
    summary="Every figure of the loyalty report, and the briefing's summary, as JSON",
    description="The analytics sections, plus the briefing: `summary` (sentences with their "
    "values and text in `language`), `movements` (this period against the one before, each "
    "change with its test), `loyalty` (per program, from the ledger), `at_risk` and `cases`.",
)
async def get_report(
    app: Regulars,
    _: Analyst,
    benchmark: Benchmark = None,
    min_answers: MinAnswers = 30,
    as_of: date | None = None,
    language: Annotated[
        Literal["ko", "en"] | None,
        Query(description="The summary's language (default REGULARS_REPORT_LANGUAGE)"),
    ] = None,
    period_days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> dict[str, Any]:
    settings = app.settings
    return await run_apart(  # type: ignore[no-any-return]
        settings,
        "report",
        as_of,
        benchmark,
        min_answers,
        language=language or settings.report_language,
        period_days=period_days,
        timezone=settings.timezone,
        currency=settings.currency,
    )


@router.get("/nps", summary="NPS with margin and interval; a breakdown or a trend on request")
async def get_nps(
    app: Regulars,
    _: Analyst,
    by: str | None = None,
    trend: str | None = None,
    benchmark: Benchmark = None,
) -> dict[str, Any]:
    return await run_apart(app.settings, "nps_summary", by, trend, benchmark)  # type: ignore[no-any-return]


@router.get("/nps/compare", summary="Do two groups' NPS differ? (adjusted-Wald z-test)")
async def get_nps_compare(
    app: Regulars, _: Analyst, by: str, first: str, second: str
) -> dict[str, Any]:
    return await run_apart(app.settings, "nps_comparison", by, first, second)  # type: ignore[no-any-return]


@router.get("/drivers", summary="Driver importance, IPA quadrant and what to fix first")
async def get_drivers(app: Regulars, _: Analyst) -> list[dict[str, Any]]:
    return await run_apart(app.settings, "driver_analysis")  # type: ignore[no-any-return]


@router.get("/themes", summary="Comment themes that set detractors apart")
async def get_themes(
    app: Regulars,
    _: Analyst,
    top: Annotated[int, Query(ge=1, le=200)] = 10,
    min_answers: MinAnswers = 5,
) -> list[dict[str, Any]]:
    return await run_apart(app.settings, "comment_themes", top, min_answers)  # type: ignore[no-any-return]


@router.get("/staff", summary="Per-employee scores with intervals: the bonus leaderboard")
async def get_staff(
    app: Regulars,
    _: Analyst,
    by: str = "employee",
    min_answers: MinAnswers = 30,
) -> list[dict[str, Any]]:
    return await run_apart(app.settings, "staff_leaderboard", by, min_answers)  # type: ignore[no-any-return]
