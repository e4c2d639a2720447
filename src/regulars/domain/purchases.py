"""Purchases, their lines, and the refunds and returns that undo them — and the one set of
rules a purchase line must keep to be recorded.

Amounts are integers in the currency's minor units (won have none, so 4,500 won is 4500).
A sale has positive amounts and quantities; a refund or a return references the purchase it
undoes and carries negative amounts, so that summing a member's lines gives net spend.

The rules are data, stated here once, and two runners apply them: the vectorised checks of
:mod:`regulars.services.purchases.batch` (files, big batches) and the row-by-row checks of
:mod:`regulars.services.purchases.rows` (a small API request). Both judge one row per
purchase line, in this order, and report each failure as (row, field, value, reason):

1. each field by :data:`FIELDS` (required, length, choice, whole number, date and time;
   pass by pass, see :func:`regulars.domain.fields.checks_in_order`);
2. each of :data:`LINE_RULES` (a refund names its original, a sale names none, ...), read
   on the line after step 1 (choices lower-cased, blanks given their default);
3. :data:`SHARED` fields must be the same on every line of a purchase (:data:`DIFFERS`, the
   line that differs from the purchase's first line is rejected);
4. line numbers are unique within a purchase (a line without one is numbered by its
   position among its purchase's lines; :data:`REPEATED_LINE`);
5. a purchase is all or nothing: every other line of a purchase with a rejected line is
   rejected too (:func:`sibling_rejected`);
6. when written, sales go before refunds and returns (:func:`written_after_sales`), and a
   purchase whose member or original purchase is unknown is rejected whole
   (:data:`REFERENCES`, resolved in that order);
7. quantities and amounts are stored with the sign :func:`signed` gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from regulars.domain.bounds import MAX_AMOUNT, MAX_LINE_NO, MAX_QUANTITY, MIN_LINE_NO
from regulars.domain.fields import Field


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


def signed(kind: PurchaseKind | str, value: int) -> int:
    """The stored quantity of a line: negative for refunds and returns, positive on a sale.

    Files from POS systems write refunds either way round; both are accepted. The rule
    decides a sign only: the runners ask it once per kind and sign of value.

    >>> signed(PurchaseKind.REFUND, 2), signed(PurchaseKind.REFUND, -2), signed("sale", -2)
    (-2, -2, 2)
    """
    return -abs(value) if PurchaseKind(kind).undoes_a_sale else abs(value)


def signed_amount(kind: PurchaseKind | str, value: int) -> int:
    """The stored amount of a line: a sale's line keeps the sign the POS gave it (a negative
    line is a discount or a coupon, and lowers the sale's total and what it earns); a refund
    or return line is stored negative whichever way round the file wrote it.

    >>> signed_amount("sale", 4500), signed_amount("sale", -500)
    (4500, -500)
    >>> signed_amount(PurchaseKind.REFUND, 4500), signed_amount(PurchaseKind.RETURN, -4500)
    (-4500, -4500)
    """
    return -abs(value) if PurchaseKind(kind).undoes_a_sale else value


def written_after_sales(kind: str) -> bool:
    """Refunds and returns are written after the sales of the same import, so that a
    refund may come before its sale in a file."""
    return kind in UNDOING


CODE = 64
"""Ids and codes (purchase, member, store, employee, product, category) are at most this long."""

UNDOING = tuple(k.value for k in PurchaseKind if k.undoes_a_sale)
HEAD = (
    "purchase_id",
    "member_id",
    "occurred_at",
    "store",
    "channel",
    "employee",
    "kind",
    "original_purchase_id",
)
"""The fields of a purchase, written on each of its lines."""
LINE = ("line_no", "product", "category", "quantity", "amount")
"""The fields of one line."""
COLUMNS = HEAD + LINE
"""A purchase line as files and the API give it, one row per line."""

FIELDS = (
    Field("purchase_id", required=True, max_length=CODE),
    Field("member_id", max_length=CODE),
    Field("occurred_at", required=True, moment=True),
    Field("store", max_length=CODE),
    Field("employee", max_length=CODE),
    Field("original_purchase_id", max_length=CODE),
    Field("kind", choices=tuple(k.value for k in PurchaseKind), default=PurchaseKind.SALE.value),
    Field(
        "channel", choices=tuple(c.value for c in SalesChannel), default=SalesChannel.STORE.value
    ),
    Field("product", required=True, max_length=CODE),
    Field("category", max_length=CODE),
    Field("quantity", whole=True, maximum=MAX_QUANTITY, nonzero=True, default=1),
    Field("amount", required=True, whole=True, maximum=MAX_AMOUNT),
    Field("line_no", whole=True, minimum=MIN_LINE_NO, maximum=MAX_LINE_NO),
)
"""Every field's own rules (their order matters: see ``fields.checks_in_order``)."""
REQUIRED = tuple(f.name for f in FIELDS if f.required)


# Conditions on one line, read after the field checks. A tiny vocabulary, so that the row
# runner evaluates a rule on one line (``holds``) and the vectorised runner on a whole
# column at once, from the same statement.


@dataclass(frozen=True)
class Given:
    """The field is not blank."""

    field: str

    def holds(self, line: Mapping[str, Any]) -> bool:
        return line[self.field] is not None


@dataclass(frozen=True)
class Among:
    """The field's value is one of ``values``."""

    field: str
    values: tuple[str, ...]

    def holds(self, line: Mapping[str, Any]) -> bool:
        return line[self.field] in self.values


@dataclass(frozen=True)
class Same:
    """Both fields are given and equal."""

    field: str
    other: str

    def holds(self, line: Mapping[str, Any]) -> bool:
        value = line[self.field]
        return value is not None and value == line[self.other]


@dataclass(frozen=True)
class Not:
    condition: Condition

    def holds(self, line: Mapping[str, Any]) -> bool:
        return not self.condition.holds(line)


@dataclass(frozen=True)
class All:
    conditions: tuple[Condition, ...]

    def holds(self, line: Mapping[str, Any]) -> bool:
        return all(c.holds(line) for c in self.conditions)


Condition = Given | Among | Same | Not | All


@dataclass(frozen=True)
class LineRule:
    """A line is rejected, on ``field``, for ``reason`` when ``when`` holds."""

    field: str
    when: Condition
    reason: str


UNDOES = Among("kind", UNDOING)
LINE_RULES = (
    LineRule(
        "original_purchase_id",
        All((UNDOES, Not(Given("original_purchase_id")))),
        "is required for a refund or a return",
    ),
    LineRule(
        "original_purchase_id",
        All((Not(UNDOES), Given("original_purchase_id"))),
        "is only for refunds and returns",
    ),
    LineRule(
        "original_purchase_id",
        Same("original_purchase_id", "purchase_id"),
        "cannot be the purchase itself",
    ),
)

SHARED = HEAD[1:]
"""Fields every line of a purchase must give alike (compared as given, before checks)."""
DIFFERS = "differs between the lines of one purchase"
REPEATED_LINE = "repeats a line number of this purchase"


def sibling_rejected(row: int) -> str:
    """Why a good line is not imported: the purchase's first rejected line is at ``row``."""
    return f"not imported: line at row {row} of this purchase was rejected"


@dataclass(frozen=True)
class Reference:
    """A field naming something that must already be in the store when the purchase is
    written; if it is not, the whole purchase is rejected for ``reason``."""

    field: str
    reason: str


MEMBER = Reference("member_id", "no member with this id (import members first, or leave blank)")
ORIGINAL = Reference("original_purchase_id", "no purchase with this id")
REFERENCES = (MEMBER, ORIGINAL)
