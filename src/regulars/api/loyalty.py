"""Loyalty over HTTP: programs, quotes, redemptions, adjustments, balances, history, lots.

- ``GET/POST /v1/programs`` — list; install a definition (admin; a new version if changed);
- ``GET /v1/programs/{code}`` — one program, its state and its versions;
  ``POST /v1/programs/{code}/pause|resume|end`` (admin, audited) — stop earning and spending
  in it for a while, start again, or end it for good;
- ``POST /v1/loyalty/quote`` — what the till shows for a basket; writes nothing;
- ``POST /v1/loyalty/redeem`` and ``POST /v1/loyalty/rewards/{code}/redeem`` — need an
  ``Idempotency-Key``: the same key and body answer the original response, a different body
  is a 409;
- ``POST /v1/loyalty/adjustments`` (admin) — with a reason, audited;
- ``POST /v1/loyalty/referrals`` — who brought whom (the bonus follows the first purchase);
- ``GET /v1/members/{id}/loyalty`` and ``…/loyalty/{program}/history|lots|rewards``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import Response
from pydantic import Field

from regulars.api.deps import Authorized, UoW, in_one_thread
from regulars.api.errors import CREATED, answers
from regulars.api.idempotency import idempotent
from regulars.api.inputs import (
    Amount,
    FreeJson,
    NonNegativeAmount,
    Points,
    PositivePoints,
    Quantity,
    RequestBody,
    RowId,
    VoidIn,
)
from regulars.api.times import wire_times
from regulars.domain.access import Scope
from regulars.domain.loyalty.earning import BasketLine
from regulars.services.api_keys import ApiKey
from regulars.services.audit import Actor
from regulars.services.errors import Invalid
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.loyalty import programs as loyalty_programs
from regulars.services.loyalty import voids as loyalty_voids
from regulars.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", tags=["loyalty"], responses=answers(401, 403, 404, 422))
WRITE = answers(400, 409)
"""A write's further answers: an unparseable body, a conflict (an Idempotency-Key reused
with another body, not enough points, a voucher already used, a referral loop)."""

PosKey = Annotated[ApiKey, Depends(Authorized(Scope.POS))]
AdminKey = Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]


class QuoteLine(RequestBody):
    product: str = Field(min_length=1, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    quantity: Quantity = 1
    amount: Amount = Field(description="Minor units; a negative line is a discount (a coupon)")


class QuoteIn(RequestBody):
    member_id: str | None = Field(default=None, max_length=64)
    store: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    lines: list[QuoteLine] = Field(min_length=1, max_length=1000)


class RedeemIn(RequestBody):
    member_id: str = Field(max_length=64)
    program: str = Field(max_length=64)
    points: PositivePoints
    order_amount: NonNegativeAmount | None = None
    order_ref: str | None = Field(default=None, max_length=100)


class AdjustIn(RequestBody):
    member_id: str = Field(max_length=64)
    program: str = Field(max_length=64)
    points: Points
    reason: str = Field(min_length=1, max_length=1000)


class ReferralIn(RequestBody):
    referrer: str = Field(max_length=64)
    referee: str = Field(max_length=64)


def _needs_key(key: str | None) -> str:
    if not key:
        raise Invalid("this call needs an Idempotency-Key header (any unique string per attempt)")
    return key


@router.get("/programs", summary="The loyalty programs and their current definitions")
def get_programs(uow: UoW, _: PosKey) -> list[dict[str, Any]]:
    return wire_times(loyalty_programs.list_programs(uow))


@router.post(
    "/programs",
    summary="Install a program definition (new version if changed)",
    responses=answers(400),
)
def post_program(uow: UoW, _: AdminKey, definition: Annotated[FreeJson, Body()]) -> dict[str, Any]:
    result = loyalty_programs.install_program(uow, definition)
    uow.commit()
    return wire_times(result)


@router.get("/programs/{code}", summary="One program: its state and every version")
def get_program(code: str, uow: UoW, _: PosKey) -> dict[str, Any]:
    return loyalty_programs.get_program(uow, code)


def _state_change(move: str, summary: str) -> None:
    def change(code: str, uow: UoW, key: AdminKey) -> dict[str, Any]:
        actor = Actor("api_key", key.id, f"{key.name} ({key.prefix})")
        result = loyalty_programs.change_state(uow, code, move, datetime.now(UTC), actor)
        uow.commit()
        return result

    change.__name__ = f"{move}_program"
    router.add_api_route(
        f"/programs/{{code}}/{move}",
        change,
        methods=["POST"],
        summary=summary,
        responses=answers(409),
    )


_state_change("pause", "Pause a program: no earning or spending in it until it is resumed")
_state_change("resume", "Resume a paused program")
_state_change("end", "End a program for good (balances and history stay)")


@router.post(
    "/loyalty/quote",
    summary="Discount, points to earn, stamps, redeemable points",
    responses=answers(400),
)
async def post_quote(
    body: QuoteIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Response:
    # The till asks before every sale: one thread hop for the unit of work, key and quote.
    lines = [BasketLine(x.product, x.category, x.quantity, x.amount) for x in body.lines]

    def work(uow: UnitOfWork, _: ApiKey) -> Response:
        quoted = wire_times(loyalty.quote(uow, body.member_id, lines, body.store, body.channel))
        return Response(json.dumps(quoted, ensure_ascii=False), media_type="application/json")

    return await in_one_thread(request, Scope.POS, authorization, x_api_key, work)


@router.post(
    "/loyalty/redeem",
    summary="Pay with points (soonest-expiring first)",
    status_code=201,
    responses=WRITE,
)
def post_redeem(
    body: RedeemIn,
    request: Request,
    uow: UoW,
    key: PosKey,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    token = _needs_key(idempotency_key)

    def run() -> tuple[int, Any]:
        return 201, wire_times(
            loyalty.redeem_points(
                uow,
                body.member_id,
                body.program,
                body.points,
                f"{key.id}:{token}",
                body.order_amount,
                body.order_ref,
            )
        )

    return idempotent(uow, token, key.id, "POST", request.url.path, body, run)


@router.post(
    "/loyalty/redemptions/{transaction_id}/void",
    summary="Void a redemption (the till's cancel key): its points come back, once",
    description="`transaction_id` is the redemption's (its answer's `transaction_id`). The "
    "points go back into the lots they came from, with their expiry (a lot expired since: "
    "to breakage), settling a debt first. Who (the API key), when and why are kept. "
    "Voiding again answers the same (200).",
    responses={**CREATED, **WRITE},
)
def post_void_redemption(
    transaction_id: RowId,
    request: Request,
    uow: UoW,
    key: PosKey,
    body: Annotated[VoidIn | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    reason = body.reason if body else None

    def run() -> tuple[int, Any]:
        voided, answer = loyalty_voids.void_redemption(
            uow, transaction_id, actor=f"api-key:{key.prefix}:{key.name}", reason=reason
        )
        return (201 if voided else 200), answer

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.post("/loyalty/rewards/{code}/redeem", summary="Use a reward voucher once", responses=WRITE)
def post_redeem_reward(
    code: str,
    request: Request,
    uow: UoW,
    key: PosKey,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    token = _needs_key(idempotency_key)

    def run() -> tuple[int, Any]:
        return 200, wire_times(loyalty.redeem_reward(uow, code, f"{key.id}:{token}"))

    return idempotent(uow, token, key.id, "POST", request.url.path, {"code": code}, run)


@router.post(
    "/loyalty/adjustments",
    summary="Manual correction with a reason (audited)",
    status_code=201,
    responses=WRITE,
)
def post_adjustment(
    body: AdjustIn,
    request: Request,
    uow: UoW,
    key: AdminKey,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    def run() -> tuple[int, Any]:
        return 201, wire_times(
            loyalty.adjust(
                uow,
                body.member_id,
                body.program,
                body.points,
                body.reason,
                actor=f"api-key:{key.prefix}:{key.name}",
                key=f"{key.id}:{idempotency_key}" if idempotency_key else None,
            )
        )

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.post("/loyalty/referrals", summary="Record a referral", responses=WRITE)
def post_referral(body: ReferralIn, uow: UoW, _: PosKey) -> dict[str, Any]:
    result = loyalty_accrual.register_referral(uow, body.referrer, body.referee)
    uow.commit()
    return wire_times(result)


@router.get("/members/{member_id}/loyalty", summary="Balances, stamps and tier per program")
def get_balances(member_id: str, uow: UoW, _: PosKey) -> dict[str, Any]:
    return wire_times(loyalty.balances(uow, member_id))


@router.get("/members/{member_id}/loyalty/{program}/history", summary="Ledger transactions")
def get_history(member_id: str, program: str, uow: UoW, _: PosKey, limit: int = 100) -> list[Any]:
    return wire_times(loyalty.history(uow, member_id, program, min(max(limit, 1), 1000)))


@router.get("/members/{member_id}/loyalty/{program}/lots", summary="Points lots and expiry")
def get_lots(member_id: str, program: str, uow: UoW, _: PosKey) -> list[dict[str, Any]]:
    return wire_times(loyalty.lots(uow, member_id, program))


@router.get("/members/{member_id}/loyalty/{program}/rewards", summary="Reward vouchers")
def get_rewards(member_id: str, program: str, uow: UoW, _: PosKey) -> list[dict[str, Any]]:
    return wire_times(loyalty.rewards(uow, member_id, program))
