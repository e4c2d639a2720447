"""What one purchase posted in one program account: the till's receipt, line by line.

The accrual (:mod:`regulars.services.loyalty.accrual`) fills an :class:`Effect` for every
account a purchase touched while it posts — points earned (pending during the return window,
or settling debt first), stamps added and the vouchers they completed, a tier the purchase
lifted the member to; for a refund or a void, what was taken back. The till's answer is built
from these (:mod:`regulars.services.purchases.receipts`) without reading anything back, and
:func:`posted_by` reads the same from the ledger for a purchase sent again, so that a replay
says what the first answer said.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regulars.domain.times import as_utc
from regulars.store.loyalty import receipts as receipt_store
from regulars.store.unit_of_work import UnitOfWork


@dataclass
class Voucher:
    code: str
    name: str
    product: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Held:
    """An account's balances after the purchase, as the answer shows them."""

    available: int
    pending: int
    debt: int
    stamps: int
    tier: str | None


@dataclass
class Effect:
    """What a purchase did to one account: points (earned, or taken back when negative), the
    part of them that settled debt, whether earned points wait for the return window (and
    until when), stamps (added, or taken back), the vouchers issued and revoked, and a tier
    change (``tier_from`` -> ``tier_to``)."""

    account_id: int
    program_id: int
    points: int = 0
    settled_debt: int = 0
    pending_until: datetime | None = None
    debt_added: int = 0
    stamps: int = 0
    vouchers: list[Voucher] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    tier_from: str | None = None
    tier_to: str | None = None
    member_id: int | None = None
    held: Held | None = None

    @property
    def tier_changed(self) -> bool:
        return self.tier_from != self.tier_to


Effects = dict[int, dict[int, Effect]]
"""Purchase id -> account id -> what the purchase posted there."""


def effect(effects: Effects | None, purchase_id: int, account: Any) -> Effect:
    """The effect being recorded for ``purchase_id`` in ``account`` (a throwaway one when the
    caller collects none)."""
    if effects is None:
        return Effect(account.id, account.program_id)
    by_account = effects.setdefault(purchase_id, {})
    found = by_account.get(account.id)
    if found is None:
        found = Effect(account.id, account.program_id, member_id=account.member_id)
        by_account[account.id] = found
    return found


def note_balances(effects: Effects | None, accounts: Iterable[Any]) -> None:
    """Give every recorded effect its account's balances as they are now (after posting)."""
    if not effects:
        return
    held = {a.id: Held(a.available, a.pending, a.debt, a.stamps, a.tier) for a in accounts}
    for by_account in effects.values():
        for account_id, one in by_account.items():
            one.held = held.get(account_id, one.held)


def posted_by(uow: UnitOfWork, purchase_id: int) -> dict[int, Effect]:
    """What the purchase posted, account by account, read from the ledger: its earn (or
    reverse) transactions with their details, its lots and the vouchers it issued."""
    connection = uow.connection
    found: dict[int, Effect] = {}
    for row in receipt_store.transactions_of(connection, purchase_id):
        one = found.setdefault(row["account_id"], Effect(row["account_id"], row["program_id"]))
        detail = json.loads(row["detail"]) if row["detail"] else {}
        if row["kind"] == "earn":
            one.points += int(row["points"])
            one.stamps += int(detail.get("stamps", 0))
            one.settled_debt += int(detail.get("settled_debt", 0))
            tier = detail.get("tier")
            if tier:
                one.tier_from, one.tier_to = tier["from"], tier["to"]
        elif row["kind"] == "reverse":
            one.points += int(row["points"])
            one.debt_added += int(detail.get("debt", 0))
            one.stamps -= int(detail.get("stamps", 0))
            one.revoked += list(detail.get("revoked", []))
            tier = detail.get("tier")
            if tier:
                one.tier_from, one.tier_to = tier["from"], tier["to"]
    for lot in receipt_store.lots_of(connection, purchase_id):
        held = found.get(lot["account_id"])
        if held is not None and as_utc(lot["release_at"]) > as_utc(lot["awarded_at"]):
            held.pending_until = as_utc(lot["release_at"])  # earned pending (window > 0)
    for reward in receipt_store.rewards_of(connection, purchase_id):
        issuer = found.get(reward["account_id"])
        if issuer is not None:
            issuer.vouchers.append(
                Voucher(
                    reward["code"], reward["name"], reward["product"], as_utc(reward["expires_at"])
                )
            )
    return found
