"""``/v1/scores``: members' predictive scores — the ranked at-risk list, one member's scores,
and a recomputation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.errors import answers
from regulars.api.inputs import RequestBody
from regulars.api.report_pool import run_apart
from regulars.api.times import wire_times
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.services import scores as score_service
from regulars.services.api_keys import ApiKey

router = APIRouter(prefix="/v1/scores", tags=["scores"], responses=answers(401, 403, 422))


class ComputeIn(RequestBody):
    model: Literal["bgnbd", "pareto"] = "bgnbd"
    horizon_days: int = Field(default=365, ge=1, le=3650)
    annual_discount_rate: float = Field(default=0.10, ge=0, le=1)


@router.get("/at-risk", summary="Members ranked by value at risk (CLV × P(lost)), most first")
def at_risk(
    uow: UoW,
    _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    min_probability_lost: Annotated[float, Query(ge=0, le=1)] = 0.0,
    view: Literal["value", "lost"] = "value",  # lost: recently lost, by past value
) -> dict[str, Any]:
    members = score_service.at_risk_view(uow, view, limit, min_probability_lost)
    return {"members": wire_times(members)}


@router.get("/members/{member_id}", summary="One member's scores", responses=answers(404))
def member_scores(
    member_id: str, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
) -> dict[str, Any]:
    return wire_times(score_service.member_scores(uow, member_id))


@router.post(
    "/compute",
    summary="Refit the models on every purchase and replace the scores",
    responses=answers(400),
)
async def compute(
    body: ComputeIn,
    app: Annotated[App, Depends(regulars_app)],
    _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))],
) -> dict[str, Any]:
    """The fit runs in the report process (:mod:`regulars.api.report_pool`), which commits
    the new scores; the serving worker only awaits it."""
    return await run_apart(  # type: ignore[no-any-return]
        app.settings,
        "compute_scores",
        app.settings.timezone,
        model=body.model,
        horizon_days=body.horizon_days,
        annual_discount_rate=body.annual_discount_rate,
    )
