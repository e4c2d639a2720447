"""``/v1/deliveries``: counts per channel and state, the dead letters, replay. Admin scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from regulars.api.deps import Authorized, UoW
from regulars.api.errors import answers
from regulars.api.inputs import RowId
from regulars.domain.access import Scope
from regulars.domain.bounds import MAX_ID
from regulars.services.api_keys import ApiKey
from regulars.services.engagement import deliveries

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"], responses=answers(401, 403, 422))

Admin = Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]


@router.get("/status", summary="Deliveries pending / sent / failed / dead per channel")
def status(uow: UoW, _: Admin) -> dict[str, Any]:
    return deliveries.status(uow)


@router.get("/failed", summary="Dead deliveries, oldest first (keyset pagination by id)")
def failed(
    uow: UoW,
    _: Admin,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    found = deliveries.failed(uow, after=after, limit=limit)
    return {"deliveries": found, "next_after": found[-1]["id"] if found else None}


@router.get("/{delivery_id}", summary="One delivery", responses=answers(404))
def get_delivery(delivery_id: RowId, uow: UoW, _: Admin) -> dict[str, Any]:
    return deliveries.get(uow, delivery_id)


@router.post(
    "/{delivery_id}/replay",
    summary="Queue a dead delivery again, due now",
    responses=answers(404, 409),
)
def replay(delivery_id: RowId, uow: UoW, _: Admin) -> dict[str, Any]:
    found = deliveries.replay(uow, delivery_id, datetime.now(UTC))
    uow.commit()
    return found
