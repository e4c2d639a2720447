"""Void a redemption at the till (its cancel key): the points come back, once.

The points go back into the very lots the redemption drew, with their own expiry (those of
a lot that has expired since go to breakage, as they would have then), and settle a debt
the member owes first — :func:`regulars.services.loyalty.posting.give_back`, one ledger
transaction of kind ``void`` under the account's lock. Who voided (the API key), when and
why are kept on that transaction and in ``till_voids`` with the answer: voiding again
answers the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from regulars.domain.times import wire
from regulars.services.errors import NotFound
from regulars.services.loyalty import posting
from regulars.services.loyalty.accounts import MemberErased
from regulars.services.loyalty.programs import running
from regulars.store import erasure as erasure_store
from regulars.store import voids as void_store
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty import lots as lot_store
from regulars.store.loyalty import transactions as transaction_store
from regulars.store.loyalty.writer import Writer
from regulars.store.unit_of_work import UnitOfWork


def void_redemption(
    uow: UnitOfWork,
    transaction_id: int,
    *,
    actor: str,
    reason: str | None,
    now: datetime | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Give back what the redemption ``transaction_id`` spent; return (voided now, the
    answer). Voiding it again answers the first void's answer (False)."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    spent = transaction_store.transaction(connection, transaction_id)
    if spent is None or spent["kind"] != "redeem":
        raise NotFound(f"no redemption with transaction id {transaction_id}")
    done = void_store.of_redemption(connection, transaction_id)
    if done is not None:
        return False, json.loads(done["answer"])
    if erasure_store.account_member_erased(connection, spent["account_id"]):
        raise MemberErased("the redemption belonged to a member erased on request")
    account = account_store.lock(connection, spent["account_id"], now)
    done = void_store.of_redemption(connection, transaction_id)  # a void that held the lock
    if done is not None:
        return False, json.loads(done["answer"])
    rp = next((r for r in running(uow) if r.id == account.program_id), None)
    if rp is None:
        raise NotFound("the redemption's program is no longer running")
    drawn = transaction_store.spent_from(connection, transaction_id)
    lots = lot_store.lots_by_id(connection, [lot for lot, _ in drawn])
    closed = {lot_id for lot_id, lot in lots.items() if lot.closed}
    txn, restored, expired, settled = posting.give_back(
        Writer(connection),
        account,
        rp,
        transaction_id,
        drawn,
        closed,
        now,
        actor=actor,
        reason=reason,
    )
    redeemed = json.loads(spent["detail"]) if spent["detail"] else {}
    answer = {
        "transaction_id": txn,
        "voids": transaction_id,
        "member_id": redeemed.get("member_id"),
        "program": rp.program.code,
        "points": restored + expired,
        "returned": [
            {"lot_id": lot, "points": points} for lot, points in drawn if lot not in closed
        ],
        "expired": expired,
        "debt_settled": settled,
        "balance": account.available,
        "pending": account.pending,
        "debt": account.debt,
        "order_ref": redeemed.get("order_ref"),
        "voided_at": wire(now),
        "voided_by": actor,
        "reason": reason,
    }
    void_store.add(
        connection,
        kind="redemption",
        transaction_id=transaction_id,
        actor=actor,
        reason=reason,
        voided_at=now,
        answer=json.dumps(answer, ensure_ascii=False),
    )
    return True, answer
