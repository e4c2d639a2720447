"""``/v1/deliveries``: counts per channel and state, the dead letters, replay. Admin scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from regulars.api.deps import Authorized, UoW
from regulars.domain.access import Scope
from regulars.services.api_keys import ApiKey
from regulars.services.engagement import deliveries

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])

Admin = Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]


@router.get("/status", summary="Deliveries pending / sent / failed / dead per channel")
def status(uow: UoW, _: Admin) -> dict[str, Any]:
    return deliveries.status(uow)


@router.get("/failed", summary="Dead deliveries, oldest first (keyset pagination by id)")
def failed(uow: UoW, _: Admin, after: int = 0, limit: int = 100) -> dict[str, Any]:
    found = deliveries.failed(uow, after=after, limit=max(1, min(limit, 1000)))
    return {"deliveries": found, "next_after": found[-1]["id"] if found else None}


@router.get("/{delivery_id}", summary="One delivery")
def get_delivery(delivery_id: int, uow: UoW, _: Admin) -> dict[str, Any]:
    return deliveries.get(uow, delivery_id)


@router.post("/{delivery_id}/replay", summary="Queue a dead delivery again, due now")
def replay(delivery_id: int, uow: UoW, _: Admin) -> dict[str, Any]:
    found = deliveries.replay(uow, delivery_id, datetime.now(UTC))
    uow.commit()
    return found
