"""``/v1/campaigns``: campaigns defined as data, previewed, launched, paused, ended, run, and
measured against their holdout; and ``/v1/members/{id}/analytics``, the per-member
analytics written back by the scoring job.

- ``GET /v1/campaigns`` / ``GET /v1/campaigns/{code}`` (analyst): the campaigns; one with its
  definition and versions;
- ``POST /v1/campaigns`` (admin): define one (JSON body; 201 for a new campaign or version,
  200 when nothing changed);
- ``POST /v1/campaigns/preview`` (analyst): the audience of a definition before defining it;
  ``GET /v1/campaigns/{code}/preview``: of a defined one;
- ``POST /v1/campaigns/{code}/launch|pause|end`` (admin): move it (409 for a move the state
  machine refuses);
- ``POST /v1/campaigns/run`` (admin): the daily job now;
- ``GET /v1/campaigns/{code}/results`` (analyst): treated against holdout, with the uplift;
- ``GET /v1/campaigns/fields`` (analyst): the fields an audience may name;
- ``GET /v1/campaigns/playbooks`` (analyst): the campaigns shipped ready to switch on;
  ``POST /v1/campaigns/playbooks/{code}`` (admin): define one as a draft (201; 404 for an
  unknown playbook, 409 when its campaign code is taken, 422 for a program or survey it
  needs and cannot find).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.errors import CREATED, answers
from regulars.api.inputs import FreeJson, RequestBody
from regulars.api.times import wire_times
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.domain.engagement.campaigns import State
from regulars.domain.engagement.channels import channel_order
from regulars.services import member_analytics
from regulars.services.api_keys import ApiKey
from regulars.services.audit import Actor
from regulars.services.engagement import campaign_results, campaign_runs, campaigns, playbooks

router = APIRouter(tags=["campaigns"], responses=answers(401, 403, 422))
AnalystKey = Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
AdminKey = Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]
Code = Annotated[str, Path(min_length=1, max_length=64, description="The campaign's code")]


@router.get("/v1/campaigns", summary="The campaigns, highest priority first")
def list_campaigns(
    uow: UoW,
    _: AnalystKey,
    state: Annotated[str | None, Query(pattern="^(draft|running|paused|ended)$")] = None,
) -> dict[str, Any]:
    return {"campaigns": campaigns.list_campaigns(uow, state)}


@router.get("/v1/campaigns/fields", summary="The fields an audience may name")
def audience_fields(_: AnalystKey) -> dict[str, Any]:
    return {"fields": campaigns.audience_fields()}


class FromPlaybook(RequestBody):
    """What a campaign made from a playbook is called and uses (all optional)."""

    code: str | None = Field(
        default=None, min_length=1, max_length=64, description="The new campaign's code"
    )
    program: str | None = Field(default=None, min_length=1, max_length=64)
    survey: str | None = Field(default=None, min_length=1, max_length=64)
    gifts: bool = Field(default=True, description="false: leave out its gift steps")


@router.get("/v1/campaigns/playbooks", summary="The campaigns shipped ready to switch on")
def list_playbooks(_: AnalystKey) -> dict[str, Any]:
    return {"playbooks": playbooks.list_playbooks()}


@router.post(
    "/v1/campaigns/playbooks/{code}",
    summary="Define a campaign from a playbook, as a draft",
    responses={**CREATED, **answers(400, 404, 409)},
    status_code=201,
)
def from_playbook(
    code: Annotated[str, Path(min_length=1, max_length=64, description="The playbook's code")],
    uow: UoW,
    _: AdminKey,
    body: Annotated[FromPlaybook | None, Body()] = None,
) -> dict[str, Any]:
    chosen = body or FromPlaybook()
    result = playbooks.create(
        uow, code, new_code=chosen.code, program=chosen.program, survey=chosen.survey,
        gifts=chosen.gifts,
    )  # fmt: skip
    uow.commit()
    return wire_times(result)


@router.post(
    "/v1/campaigns",
    summary="Define a campaign (a changed definition becomes a new version)",
    responses={**CREATED, **answers(400, 409)},
)
def define(uow: UoW, _: AdminKey, definition: Annotated[FreeJson, Body()]) -> JSONResponse:
    result = campaigns.install(uow, definition)
    uow.commit()
    return JSONResponse(wire_times(result), status_code=201 if result["changed"] else 200)


@router.post(
    "/v1/campaigns/preview",
    summary="The audience of a definition now: its size and a sample",
    responses=answers(400),
)
def preview_definition(
    uow: UoW,
    _: AnalystKey,
    app: Annotated[App, Depends(regulars_app)],
    definition: Annotated[FreeJson, Body()],
    sample: Annotated[int, Query(ge=0, le=100)] = 10,
) -> dict[str, Any]:
    return campaigns.preview(
        uow,
        definition,
        timezone=app.settings.timezone,
        sample=sample,
        channel_order=channel_order(app.settings.channel_order),
    )


@router.post(
    "/v1/campaigns/run",
    summary="Run the daily job now: triggers, admission under the cap, due steps",
    responses=answers(409),
)
def run(uow: UoW, _: AdminKey, app: Annotated[App, Depends(regulars_app)]) -> dict[str, Any]:
    from datetime import UTC, datetime

    settings = app.settings
    cap = campaign_runs.Cap(settings.campaign_cap_messages, settings.campaign_cap_days)
    summary = campaign_runs.run_campaigns(
        uow,
        datetime.now(UTC),
        timezone=settings.timezone,
        cap=cap,
        secret=settings.secret_key,
        base_url=settings.public_url,
        channel_order=channel_order(settings.channel_order),
    )
    uow.commit()
    return wire_times(
        {"now": summary.now, "totals": summary.totals(),
         "campaigns": [c.__dict__ for c in summary.campaigns]}
    )  # fmt: skip


@router.get(
    "/v1/campaigns/{code}", summary="One campaign with its definition", responses=answers(404)
)
def show(code: Code, uow: UoW, _: AnalystKey) -> dict[str, Any]:
    return campaigns.show(uow, code)


@router.get(
    "/v1/campaigns/{code}/preview",
    summary="The campaign's audience now: its size and a sample",
    responses=answers(404),
)
def preview(
    code: Code,
    uow: UoW,
    _: AnalystKey,
    app: Annotated[App, Depends(regulars_app)],
    sample: Annotated[int, Query(ge=0, le=100)] = 10,
) -> dict[str, Any]:
    return campaigns.preview(
        uow,
        code,
        timezone=app.settings.timezone,
        sample=sample,
        channel_order=channel_order(app.settings.channel_order),
    )


def _move(uow: Any, code: str, state: State, key: ApiKey) -> dict[str, Any]:
    actor = Actor("api_key", key.id, f"{key.name} ({key.prefix})")  # audited, as in the console
    result = campaigns.move(uow, code, state, datetime.now(UTC), actor)
    uow.commit()
    return result


@router.post(
    "/v1/campaigns/{code}/launch",
    summary="Launch or resume a campaign",
    responses=answers(404, 409),
)
def launch(code: Code, uow: UoW, key: AdminKey) -> dict[str, Any]:
    return _move(uow, code, State.RUNNING, key)


@router.post("/v1/campaigns/{code}/pause", summary="Pause a campaign", responses=answers(404, 409))
def pause(code: Code, uow: UoW, key: AdminKey) -> dict[str, Any]:
    return _move(uow, code, State.PAUSED, key)


@router.post(
    "/v1/campaigns/{code}/end", summary="End a campaign for good", responses=answers(404, 409)
)
def end(code: Code, uow: UoW, key: AdminKey) -> dict[str, Any]:
    return _move(uow, code, State.ENDED, key)


@router.get(
    "/v1/campaigns/{code}/results",
    summary="Treated against holdout: conversion, revenue, points, uplift with 95 % intervals",
    responses=answers(404),
)
def results(code: Code, uow: UoW, _: AnalystKey) -> dict[str, Any]:
    return campaign_results.results(uow, code)


@router.get(
    "/v1/members/{member_id}/analytics",
    summary="One member's analytics: stage, type, RFM, NPS class, share of wallet, …",
    responses=answers(404),
)
def analytics_of_member(
    member_id: Annotated[str, Path(max_length=64)], uow: UoW, _: AnalystKey
) -> dict[str, Any]:
    return member_analytics.member_analytics(uow, member_id)
