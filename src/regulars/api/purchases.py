"""``/v1/purchases``: record purchases, refunds and returns (single and batch), read back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import Response
from pydantic import Field

from regulars.api.batches import batch_answer, in_request_order, item_errors
from regulars.api.deps import Authorized, UoW, in_one_thread, regulars_app, regulars_of
from regulars.api.errors import CREATED, answers
from regulars.api.idempotency import idempotent
from regulars.api.inputs import (
    Amount,
    BatchItem,
    LineNo,
    Rejected,
    RequestBody,
    SignedQuantity,
    VoidIn,
    split_batch,
)
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.domain.purchases import PurchaseKind, SalesChannel
from regulars.services.api_keys import ApiKey
from regulars.services.errors import Invalid
from regulars.services.purchases import recording as purchase_service
from regulars.services.purchases import voids as void_service
from regulars.store.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/purchases", tags=["purchases"], responses=answers(401, 403, 404, 422)
)


class LineIn(RequestBody):
    product: str = Field(min_length=1, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    quantity: SignedQuantity = 1
    amount: Amount = Field(description="Minor units; refunds may be written either sign")
    line_no: LineNo | None = None


class PurchaseIn(RequestBody):
    purchase_id: str = Field(min_length=1, max_length=64)
    member_id: str | None = Field(default=None, description="Blank for an anonymous purchase")
    occurred_at: datetime
    store: str | None = None
    channel: SalesChannel = SalesChannel.STORE
    employee: str | None = None
    kind: PurchaseKind = PurchaseKind.SALE
    original_purchase_id: str | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=1000)


class PurchaseBatch(RequestBody):
    purchases: list[BatchItem[PurchaseIn]] = Field(
        min_length=1,
        max_length=10_000,
        description="Each purchase is checked alone: an invalid one is rejected in the "
        "answer's results while the others are recorded",
    )


@router.post(
    "",
    summary="Record one purchase (idempotent by purchase_id); answer what it did",
    description="The answer is the purchase as recorded (times in the business's time "
    "zone) and, under `loyalty`, what it did in each program: points earned (pending or "
    "available), stamps and the vouchers they completed, the tier and any tier change, the "
    "discount card's rate, the balances after it. The same `purchase_id` again answers 200 "
    "with what it posted then and the balances now.",
    responses={**CREATED, **answers(400, 409)},
)
async def post_purchase(
    body: PurchaseIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    # The till's hot path: one thread hop for the unit of work, the key and the sale.
    timezone = regulars_of(request).settings.timezone

    def work(uow: UnitOfWork, key: ApiKey) -> Response:
        def run() -> tuple[int, Any]:
            sale = purchase_service.record_sale(uow, body.model_dump(), timezone)
            errors = item_errors(sale.report, sale.owner)
            if errors or sale.answer is None:
                first = errors[1][0]
                raise Invalid(f"{first['field']}: {first['reason']}", errors[1])
            return (201 if sale.added else 200), sale.answer

        return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)

    return await in_one_thread(request, Scope.POS, authorization, x_api_key, work)


@router.post(
    "/batch",
    summary="Record many purchases; each is accepted or rejected alone",
    responses=answers(400, 409),
)
def post_purchases(
    body: PurchaseBatch,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    def run() -> tuple[int, Any]:
        good, places, rejected = split_batch(body.purchases)
        records = [p.model_dump() for p in good]
        found: dict[int, Any] = {}
        counts = {"added": 0, "already_present": 0}
        if records:
            report, owner = purchase_service.record_purchases(uow, records, app.settings.timezone)
            counts = {"added": report.added, "already_present": report.already_present}
            found = item_errors(report, owner)
        ids = [
            p.get("purchase_id") if isinstance(p, Rejected) else p.purchase_id
            for p in body.purchases
        ]
        errors = in_request_order(found, places, rejected)
        return 200, batch_answer(counts, "purchase_id", ids, errors)

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.post(
    "/{purchase_id}/void",
    summary="Void a sale (the till's cancel key): take back all it posted, once",
    description="The sale is cancelled by a refund of all of it written by the system "
    "(`refund_id`), and what it posted is taken back: points (also when spent: then as "
    "debt), stamps and the vouchers they completed, a tier it lifted the member to. Who "
    "(the API key), when and why are kept. Voiding again answers the same (200). Only a "
    "sale without refunds or returns can be voided (409).",
    responses={**CREATED, **answers(400, 409)},
)
def post_void(
    purchase_id: str,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    body: Annotated[VoidIn | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    reason = body.reason if body else None

    def run() -> tuple[int, Any]:
        voided, answer = void_service.void_purchase(
            uow,
            purchase_id,
            actor=f"api-key:{key.prefix}:{key.name}",
            reason=reason,
            timezone=app.settings.timezone,
        )
        return (201 if voided else 200), answer

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.get("/{purchase_id}", summary="One purchase with its lines and what it did")
def get_purchase(
    purchase_id: str,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    _: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
) -> dict[str, Any]:
    return purchase_service.get_purchase(uow, purchase_id, app.settings.timezone)
