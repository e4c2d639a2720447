"""Void a sale at the till (its cancel key): the sale is cancelled and everything it posted
is taken back, once.

A void is recorded as a refund of the whole sale, written by the system (external id
``void:<sale's row id>``, kind ``refund``, dated when it was voided, each line the sale's
line negated — a discount line too — so that the refund's total is exactly minus the
sale's). Every figure that nets refunds — net spend, average check, RFM, the CLV summary,
tiers, the discount card — therefore treats the sale as never made, and the refund's
accrual takes back what the sale posted, by the ledger's own rules: all its points (from
its own lots, then the member's other open lots, and what was already spent becomes debt),
its stamps (revoking an unredeemed voucher it completed when the card holds too few), and
a tier it lifted the member to when, without it, they no longer qualify
(:func:`regulars.services.loyalty.upgrades.undo`).

Only a sale with no refund or return against it can be voided (refund the rest instead).
Who voided (the API key), when and why are kept in ``till_voids`` with the answer, and
voiding again answers the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.times import as_utc, wire_local
from regulars.services.errors import Conflict, NotFound
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.loyalty.effects import Effects
from regulars.services.purchases.recording import loyalty_of
from regulars.services.purchases.rows import STORED
from regulars.store import purchases as purchase_store
from regulars.store import voids as void_store
from regulars.store.unit_of_work import UnitOfWork

PREFIX = "void:"


def void_purchase(
    uow: UnitOfWork,
    external_id: str,
    *,
    actor: str,
    reason: str | None,
    timezone: str,
    now: datetime | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Void the sale ``external_id``; return (voided now, the answer). Voiding it again
    answers the first void's answer (False)."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    zone = ZoneInfo(timezone)
    sale = purchase_store.with_codes(connection, external_id)
    if sale is None:
        raise NotFound(f"no purchase with id {external_id!r}")
    done = void_store.of_purchase(connection, sale["id"])
    if done is not None:
        return False, json.loads(done["answer"])
    if sale["kind"] != "sale":
        raise Conflict(f"{external_id!r} is a {sale['kind']}: only a sale can be voided")
    if purchase_store.undoings(connection, sale["id"]):
        raise Conflict(
            f"{external_id!r} was already refunded or returned in part: "
            "record a refund of the rest instead of a void"
        )
    lines = sale["lines"]
    added = purchase_store.add(
        connection,
        {
            "external_id": [f"{PREFIX}{sale['id']}"],
            "member_id": [sale["member_row_id"]],
            "occurred_at": [as_utc(now).strftime(STORED)],
            "store": [sale["store"]],
            "channel": [sale["channel"]],
            "employee": [None],
            "kind": ["refund"],
            "original_id": [sale["id"]],
        },
        {
            "purchase": [0] * len(lines),
            "line_no": [line["line_no"] for line in lines],
            "product": [line["product"] for line in lines],
            "category": [line["category"] for line in lines],
            "quantity": [-line["quantity"] for line in lines],
            "amount": [-line["amount"] for line in lines],
        },
    )
    refund_id = added.get(f"{PREFIX}{sale['id']}")
    if refund_id is None:  # a concurrent void wrote it first and has committed
        done = void_store.of_purchase(connection, sale["id"])
        if done is None:  # pragma: no cover - the refund is only ever written with its void
            raise Conflict(f"{external_id!r} is being voided; retry")
        return False, json.loads(done["answer"])
    effects: Effects = {}
    loyalty_accrual.accrue_ids(uow, [refund_id], now, effects=effects, voiding=True)
    posted = effects.get(refund_id, {})
    answer = {
        "purchase_id": sale["purchase_id"],
        "member_id": sale["member_id"],
        "voided": True,
        "voided_at": wire_local(now, zone),
        "voided_by": actor,
        "reason": reason,
        "refund_id": f"{PREFIX}{sale['id']}",
        "total_amount": -sum(int(line["amount"]) for line in lines),
        "loyalty": loyalty_of(uow, posted, sale["member_row_id"], now, zone),
    }
    void_store.add(
        connection,
        kind="purchase",
        purchase_id=sale["id"],
        refund_id=refund_id,
        actor=actor,
        reason=reason,
        voided_at=now,
        answer=json.dumps(answer, ensure_ascii=False),
    )
    return True, answer
