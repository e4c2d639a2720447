"""``/v1/webhooks``: register endpoints (the secret is in the answer once), list, rotate,
ping, disable, enable. Admin scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.errors import CREATED, answers
from regulars.api.inputs import RequestBody, RowId
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.services.api_keys import ApiKey
from regulars.services.engagement import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=answers(401, 403, 422))

Admin = Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]
Regulars = Annotated[App, Depends(regulars_app)]


class EndpointIn(RequestBody):
    url: str = Field(max_length=2000, description="Where to POST events (http or https)")
    events: list[str] = Field(
        default_factory=lambda: ["*"], description="Event type patterns: points.*, case.opened"
    )
    description: str | None = Field(default=None, max_length=200)


@router.post(
    "",
    status_code=201,
    summary="Register an endpoint; its secret is shown only now",
    responses={**CREATED, **answers(400)},
)
def add_endpoint(body: EndpointIn, uow: UoW, app: Regulars, _: Admin) -> dict[str, Any]:
    endpoint, secret = webhooks.add(
        uow,
        app.sealer,
        body.url,
        datetime.now(UTC),
        events=",".join(body.events),
        description=body.description,
        allow_private=app.settings.webhook_allow_private,
    )
    uow.commit()
    return {**endpoint.as_dict(), "secret": secret}


@router.get("", summary="Endpoints (never their secrets)")
def list_endpoints(uow: UoW, _: Admin) -> dict[str, Any]:
    found = webhooks.list_endpoints(uow, datetime.now(UTC))
    return {"endpoints": [endpoint.as_dict() for endpoint in found]}


@router.get("/{endpoint_id}", summary="One endpoint", responses=answers(404))
def get_endpoint(endpoint_id: RowId, uow: UoW, _: Admin) -> dict[str, Any]:
    return webhooks.get(uow, endpoint_id, datetime.now(UTC)).as_dict()


@router.post(
    "/{endpoint_id}/rotate",
    summary="A new secret; the old one stays valid a while",
    responses=answers(404),
)
def rotate(endpoint_id: RowId, uow: UoW, app: Regulars, _: Admin) -> dict[str, Any]:
    endpoint, secret = webhooks.rotate(
        uow,
        app.sealer,
        endpoint_id,
        datetime.now(UTC),
        window_hours=app.settings.webhook_rotation_hours,
    )
    uow.commit()
    return {**endpoint.as_dict(), "secret": secret}


@router.post("/{endpoint_id}/ping", summary="Send a signed test event now", responses=answers(404))
def ping(endpoint_id: RowId, uow: UoW, app: Regulars, _: Admin) -> dict[str, Any]:
    book = webhooks.EndpointBook(app.sealer)
    with app.webhook_channel(book) as channel:
        outcome = webhooks.ping(uow, book, channel, endpoint_id, datetime.now(UTC))
    return {
        "delivered": outcome.ok,
        "status": outcome.status.value,
        "peer_status": outcome.peer_status,
        "reason": outcome.reason or None,
    }


@router.post(
    "/{endpoint_id}/disable", summary="Stop sending; deliveries wait", responses=answers(404)
)
def disable(endpoint_id: RowId, uow: UoW, _: Admin) -> dict[str, Any]:
    endpoint = webhooks.disable(uow, endpoint_id, datetime.now(UTC))
    uow.commit()
    return endpoint.as_dict()


@router.post(
    "/{endpoint_id}/enable", summary="Send again; waiting deliveries go out", responses=answers(404)
)
def enable(endpoint_id: RowId, uow: UoW, _: Admin) -> dict[str, Any]:
    endpoint = webhooks.enable(uow, endpoint_id, datetime.now(UTC))
    uow.commit()
    return endpoint.as_dict()
