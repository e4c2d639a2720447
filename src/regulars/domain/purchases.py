"""Purchases, their lines, and the refunds and returns that undo them.

Amounts are integers in the currency's minor units (won have none, so 4,500 won is 4500).
A sale has positive amounts and quantities; a refund or a return references the purchase it
undoes and carries negative amounts, so that summing a member's lines gives net spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SalesChannel(StrEnum):
    """Where a purchase was made (the brief's touchpoint channels)."""

    STORE = "store"
    WEB = "web"
    APP = "app"
    PHONE = "phone"


class PurchaseKind(StrEnum):
    """A sale, or a refund / return of an earlier sale."""

    SALE = "sale"
    REFUND = "refund"
    RETURN = "return"

    @property
    def undoes_a_sale(self) -> bool:
        return self is not PurchaseKind.SALE


@dataclass(frozen=True)
class PurchaseLine:
    product: str
    category: str | None
    quantity: int
    amount: int


@dataclass(frozen=True)
class Purchase:
    external_id: str
    occurred_at: datetime
    member: str | None = None
    store: str | None = None
    channel: SalesChannel = SalesChannel.STORE
    employee: str | None = None
    kind: PurchaseKind = PurchaseKind.SALE
    original: str | None = None
    lines: tuple[PurchaseLine, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def signed(kind: PurchaseKind, value: int) -> int:
    """The stored sign of an amount or quantity: negative for refunds and returns.

    Files from POS systems write refunds either way round; both are accepted.

    >>> signed(PurchaseKind.REFUND, 4500), signed(PurchaseKind.REFUND, -4500)
    (-4500, -4500)
    """
    return -abs(value) if kind.undoes_a_sale else value
