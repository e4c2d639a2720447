"""The points ledger under any sequence of operations (hypothesis stateful testing).

Whatever happens — awards with any expiry and return window, spends, refunds that take
points back (spent or not), manual adjustments, releases, expiries, time passing — the
invariants a finance team relies on hold after every step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from regulars.domain.loyalty.ledger import (
    ACCOUNTS,
    MEMBER_AVAILABLE,
    MEMBER_DEBT,
    MEMBER_PENDING,
    InsufficientPoints,
    Ledger,
    spend_order,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.now = START
        self.awards: list[tuple[int, int]] = []  # (lot id, points) that may be refunded

    @rule(
        points=st.integers(1, 500),
        expiry_days=st.one_of(st.none(), st.integers(1, 60)),
        window_days=st.integers(0, 10),
    )
    def award(self, points: int, expiry_days: int | None, window_days: int) -> None:
        expires = None if expiry_days is None else self.now + timedelta(days=expiry_days)
        lot = self.ledger.award(
            points, at=self.now, release_at=self.now + timedelta(days=window_days), expires=expires
        )
        if lot is not None:
            self.awards.append((lot.id, points))

    @rule(points=st.integers(1, 800))
    def spend(self, points: int) -> None:
        spendable = self.ledger.spendable(self.now)
        candidates = sorted(
            (lot for lot in self.ledger.lots.values() if lot.spendable(self.now)), key=spend_order
        )
        before = self.ledger.balance(MEMBER_AVAILABLE)
        try:
            draws = self.ledger.spend(points, at=self.now)
        except InsufficientPoints:
            assert points > spendable
            assert self.ledger.balance(MEMBER_AVAILABLE) == before
            return
        assert points <= spendable
        assert sum(d.points for d in draws) == points
        # Soonest expiry first: every lot drawn before the last one was emptied, in order.
        order = [lot.id for lot in candidates]
        drawn = [d.lot_id for d in draws]
        assert drawn == order[: len(drawn)]
        for d in draws[:-1]:
            assert self.ledger.lots[d.lot_id].remaining == 0

    @precondition(lambda self: self.awards)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        lot_id, earned = self.awards.pop(data.draw(st.integers(0, len(self.awards) - 1)))
        share = data.draw(st.integers(1, earned))
        plan = self.ledger.claw_back([lot_id], share, at=self.now)
        taken = sum(d.points for d in (*plan.own, *plan.other))
        assert taken + plan.debt == share

    @rule(points=st.integers(-300, 300).filter(bool))
    def adjust(self, points: int) -> None:
        try:
            self.ledger.adjust(points, at=self.now)
        except InsufficientPoints:
            assert -points > self.ledger.spendable(self.now)

    @rule(days=st.integers(0, 40))
    def pass_time(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule()
    def release(self) -> None:
        self.ledger.release(self.now)
        assert self.ledger.release(self.now) == 0  # idempotent

    @rule()
    def expire(self) -> None:
        self.ledger.expire(self.now)
        assert self.ledger.expire(self.now) == 0  # idempotent

    @invariant()
    def double_entry_balances(self) -> None:
        assert sum(p.points for p in self.ledger.postings) == 0
        by_transaction: dict[int, int] = {}
        for p in self.ledger.postings:
            assert p.account in ACCOUNTS
            by_transaction[p.transaction] = by_transaction.get(p.transaction, 0) + p.points
        assert all(total == 0 for total in by_transaction.values())

    @invariant()
    def balances_are_the_lots(self) -> None:
        lots = self.ledger.lots.values()
        open_points = sum(lot.remaining for lot in lots if lot.released and not lot.closed)
        pending = sum(lot.remaining for lot in lots if not lot.released and not lot.closed)
        assert self.ledger.balance(MEMBER_AVAILABLE) == open_points
        assert self.ledger.balance(MEMBER_PENDING) == pending

    @invariant()
    def nothing_negative(self) -> None:
        assert all(0 <= lot.remaining <= lot.points for lot in self.ledger.lots.values())
        assert self.ledger.balance(MEMBER_AVAILABLE) >= 0
        assert self.ledger.balance(MEMBER_PENDING) >= 0
        assert self.ledger.balance(MEMBER_DEBT) <= 0

    @invariant()
    def expired_lots_cannot_be_spent(self) -> None:
        for lot in self.ledger.lots.values():
            if lot.expires_at is not None and lot.expires_at <= self.now:
                assert not lot.spendable(self.now)


LedgerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestLedger = LedgerMachine.TestCase
