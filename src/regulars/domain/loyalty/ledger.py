"""The points ledger: lots, expiry policies, spending soonest-expiring first, double entry.

Points are integers. Every award is a **lot**: it is *pending* (locked while the purchase can
still be returned) until ``release_at``, then *open* (spendable) until ``expires_at``, when
whatever remains expires. A spend draws the open lots that expire soonest first (lots that
never expire last, older lots before newer at equal expiry).

Every change is a ledger transaction of **entries** whose points sum to zero (double
entry), each entry in one of these **books**:

- ``member_available`` / ``member_pending``: what the program owes the member (liability);
- ``member_debt``: points the member owes after a refund took back points already spent
  (its balance is ``<= 0``; later earnings settle it first);
- ``program_expense`` (points issued), ``program_redeemed`` (points spent on purchases),
  ``program_breakage`` (points expired), ``program_adjustment`` (manual corrections).

These are the rules production runs: ``services.loyalty.posting`` posts the entries, and asks
:func:`plan_spend`, :func:`plan_clawback`, :func:`refund_share` and :func:`expires_at` which
lots to draw and how many points to take. The ledger's state machine test
(``tests/integration/loyalty/test_ledger_state_machine.py``) drives that code on real stores.

>>> from datetime import datetime, UTC
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> soon = Lot(1, 100, 100, t, t, datetime(2026, 2, 1, tzinfo=UTC), released=True)
>>> later = Lot(2, 100, 100, t, t, None, released=True)
>>> plan_spend([later, soon], 130, t)
[Draw(lot_id=1, points=100), Draw(lot_id=2, points=30)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MEMBER_AVAILABLE = "member_available"
MEMBER_PENDING = "member_pending"
MEMBER_DEBT = "member_debt"
PROGRAM_EXPENSE = "program_expense"
PROGRAM_REDEEMED = "program_redeemed"
PROGRAM_BREAKAGE = "program_breakage"
PROGRAM_ADJUSTMENT = "program_adjustment"
BOOKS = (
    MEMBER_AVAILABLE,
    MEMBER_PENDING,
    MEMBER_DEBT,
    PROGRAM_EXPENSE,
    PROGRAM_REDEEMED,
    PROGRAM_BREAKAGE,
    PROGRAM_ADJUSTMENT,
)


class InsufficientPoints(Exception):
    """A spend asked for more points than the member can spend now."""

    def __init__(self, wanted: int, spendable: int) -> None:
        super().__init__(f"{wanted} points asked, {spendable} spendable")
        self.wanted = wanted
        self.spendable = spendable


class ExpiryKind(StrEnum):
    DAYS = "days"
    END_OF_MONTH = "end_of_month"
    END_OF_YEAR = "end_of_year"
    NEVER = "never"


@dataclass(frozen=True)
class ExpiryPolicy:
    """When an award's points expire: N days after, at the end of the month (``months``
    later, 0 = this month), at the end of the year (``years`` later), or never.

    >>> from datetime import datetime, UTC
    >>> ExpiryPolicy(ExpiryKind.END_OF_MONTH).expires_at(datetime(2026, 2, 10, tzinfo=UTC))
    datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """

    kind: ExpiryKind = ExpiryKind.NEVER
    days: int = 365
    months: int = 0
    years: int = 0

    def expires_at(self, awarded_at: datetime) -> datetime | None:
        return expires_at(self, awarded_at)


def expires_at(policy: ExpiryPolicy, awarded_at: datetime) -> datetime | None:
    """The first instant at which points awarded at ``awarded_at`` are no longer spendable."""
    if policy.kind is ExpiryKind.NEVER:
        return None
    if policy.kind is ExpiryKind.DAYS:
        return awarded_at + timedelta(days=policy.days)
    start = awarded_at.replace(hour=0, minute=0, second=0, microsecond=0)
    if policy.kind is ExpiryKind.END_OF_MONTH:
        month_index = start.year * 12 + (start.month - 1) + policy.months + 1
        return start.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)
    return start.replace(year=start.year + policy.years + 1, month=1, day=1)


@dataclass
class Lot:
    """Points from one award. ``remaining`` never goes below zero."""

    id: int
    points: int
    remaining: int
    awarded_at: datetime
    release_at: datetime
    expires_at: datetime | None
    released: bool = False
    closed: bool = False

    def spendable(self, now: datetime) -> bool:
        return (
            self.released
            and not self.closed
            and self.remaining > 0
            and (self.expires_at is None or now < self.expires_at)
        )


def spend_order(lot: Lot) -> tuple[int, datetime, int]:
    """Soonest expiry first, never-expiring last; older lots first at equal expiry."""
    if lot.expires_at is None:
        return (1, lot.awarded_at, lot.id)
    return (0, lot.expires_at, lot.id)


@dataclass(frozen=True)
class Draw:
    lot_id: int
    points: int


def plan_spend(lots: Iterable[Lot], points: int, now: datetime) -> list[Draw]:
    """Which lots a spend of ``points`` draws on, soonest expiry first.

    Raises :class:`InsufficientPoints` when the spendable lots hold fewer points.
    """
    if points <= 0:
        raise ValueError("a spend takes a positive number of points")
    candidates = sorted((lot for lot in lots if lot.spendable(now)), key=spend_order)
    spendable = sum(lot.remaining for lot in candidates)
    if spendable < points:
        raise InsufficientPoints(points, spendable)
    draws: list[Draw] = []
    left = points
    for lot in candidates:
        if left == 0:
            break
        take = min(lot.remaining, left)
        draws.append(Draw(lot.id, take))
        left -= take
    return draws


@dataclass(frozen=True)
class Clawback:
    """How a refund takes back ``points``: first from the purchase's own lots (pending or
    open), then from the member's other open lots (soonest expiry first), and what cannot
    be taken becomes ``debt``, settled from later earnings — the balance never goes negative.
    """

    own: tuple[Draw, ...]
    other: tuple[Draw, ...]
    debt: int


def plan_clawback(
    own_lots: Sequence[Lot], other_lots: Sequence[Lot], points: int, now: datetime
) -> Clawback:
    left = points
    own: list[Draw] = []
    for lot in sorted(own_lots, key=spend_order):
        if left == 0:
            break
        if lot.closed or lot.remaining <= 0:
            continue
        take = min(lot.remaining, left)
        own.append(Draw(lot.id, take))
        left -= take
    other: list[Draw] = []
    spendable = sum(lot.remaining for lot in other_lots if lot.spendable(now))
    if left and spendable:
        other = plan_spend(other_lots, min(left, spendable), now)
        left -= sum(d.points for d in other)
    return Clawback(tuple(own), tuple(other), left)


def refund_share(earned: int, refunded_amount: int, original_amount: int) -> int:
    """Points a refund takes back: the purchase's award in proportion to the refunded
    amount, rounded down (in the member's favour); a full refund takes back everything.

    >>> refund_share(45, 4500, 9000), refund_share(45, 9000, 9000), refund_share(45, 1, 9000)
    (22, 45, 0)
    """
    if original_amount <= 0 or refunded_amount >= original_amount:
        return earned
    return earned * abs(refunded_amount) // original_amount
