"""The points ledger under any sequence of operations, run by the production code on a real
store (hypothesis stateful testing, on SQLite and on the real PostgreSQL).

Each example is one member's account in a points program whose expiry policy and return
window change between awards (each change is a new program version, as when a business
edits its program). Points are earned for purchases (``posting.award``, kind ``earn``),
corrected by staff (``accounts.adjust``: ``posting.award`` or ``posting.spend`` of kind
``adjust``), redeemed at the till (``accounts.redeem_points``: ``posting.spend``), taken
back by refunds (the accrual of a refund: ``posting.claw_back``), released after the return
window and expired (``posting.release``, ``posting.expire``) while time passes. After every
step the store must show what a finance team relies on:

- the account's cached balances (available, pending, debt) are the sums of its ledger
  entries per book, and what its open and pending lots still hold;
- no lot holds less than nothing or more than it was awarded;
- every ledger transaction's entries sum to zero;
- a spend draws the soonest-expiring lots first (``domain.loyalty.ledger.spend_order``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, func, select

from regulars.bootstrap import App
from regulars.domain.loyalty.ledger import (
    BOOKS,
    MEMBER_AVAILABLE,
    MEMBER_DEBT,
    MEMBER_PENDING,
    Lot,
    refund_share,
    spend_order,
)
from regulars.domain.times import as_utc
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty import accrual, posting
from regulars.services.loyalty import voids as loyalty_voids
from regulars.services.loyalty.programs import RunningProgram, install_program, running_program
from regulars.services.loyalty.verify import verify_ledger
from regulars.services.members import upsert_members
from regulars.services.purchases import voids
from regulars.store.catalogue import ensure_codes, products
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty.accounts import Account
from regulars.store.loyalty.writer import Writer
from regulars.store.tables import (
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    points_lots,
    purchase_lines,
    purchases,
)
from regulars.store.unit_of_work import UnitOfWork

CODE = "ledger-machine"
START = datetime(2026, 1, 1, tzinfo=UTC)
POINT_PRICE = 10  # a purchase of 10 earns a point

EXPIRY = st.one_of(
    st.just({"policy": "never"}),
    st.builds(lambda days: {"policy": "days", "days": days}, st.integers(1, 60)),
    st.builds(lambda months: {"policy": "end_of_month", "months": months}, st.integers(0, 2)),
    st.builds(lambda years: {"policy": "end_of_year", "years": years}, st.integers(0, 1)),
)
WINDOW = st.one_of(st.just(0), st.integers(1, 10))  # days points stay pending

# Bounded so that each database costs well under 20 seconds.
SETTINGS = settings(max_examples=30, stateful_step_count=30, deadline=None)


def definition(expiry: dict[str, Any], window_days: int) -> dict[str, Any]:
    return {
        "code": CODE,
        "kind": "points",
        "points": {
            "earn": {"points": 1, "per_amount": POINT_PRICE},
            "expiry": expiry,
            "return_window_days": window_days,
        },
    }


@dataclass
class Sale:
    id: int
    amount: int
    earned: int
    refunded: int = 0
    external_id: str = ""


@dataclass
class Redemption:
    transaction_id: int
    points: int
    drawn: list[tuple[int, int]]


class LedgerMachine(RuleBasedStateMachine):
    """One member's account, driven through the services and posting rules production runs."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app
        self.now = START
        self.member = f"M-{uuid.uuid4().hex[:12]}"
        self.purchases = 0
        self.sales: list[Sale] = []
        self.redemptions: list[Redemption] = []
        self.seen: list[Lot] = []  # the lots as the last check read them (for preconditions)
        with app.unit_of_work() as uow:
            upsert_members(uow, [{"member_id": self.member}], "UTC")
            codes = ensure_codes(uow.connection, products, ["machine-item"])
            uow.commit()
            found = account_store.member_id(uow.connection, self.member)
        self.product = codes["machine-item"]
        assert found is not None
        self.member_id = found

    # --- helpers ---------------------------------------------------------------------------

    def _program(self, uow: UnitOfWork, expiry: dict[str, Any], window_days: int) -> RunningProgram:
        """The program as it runs now, after installing this definition (a new version when
        it differs from the current one)."""
        install_program(uow, definition(expiry, window_days), now=self.now)
        return running_program(uow, CODE)

    def _purchase(self, uow: UnitOfWork, kind: str, total: int, original: int | None) -> int:
        """A purchase as the POS recorded it: its head and one line of its whole amount."""
        self.purchases += 1
        purchase = int(
            uow.connection.execute(
                purchases.insert()
                .values(
                    external_id=f"{self.member}-{self.purchases}",
                    member_id=self.member_id,
                    occurred_at=self.now,
                    channel="store",
                    kind=kind,
                    original_id=original,
                    total_amount=total,
                )
                .returning(purchases.c.id)
            ).scalar_one()
        )
        uow.connection.execute(
            purchase_lines.insert().values(
                purchase_id=purchase,
                line_no=1,
                product_id=self.product,
                quantity=1 if kind == "sale" else -1,
                amount=total,
            )
        )
        return purchase

    def _account_id(self, connection: Connection) -> int | None:
        found = connection.execute(
            select(loyalty_accounts.c.id).where(loyalty_accounts.c.member_id == self.member_id)
        ).scalar()
        return None if found is None else int(found)

    def _lots(self, connection: Connection) -> list[Lot]:
        """Every lot of the member's account, read straight from the table."""
        rows = connection.execute(
            select(points_lots)
            .join(loyalty_accounts, loyalty_accounts.c.id == points_lots.c.account_id)
            .where(loyalty_accounts.c.member_id == self.member_id)
        )
        return [
            Lot(
                id=r.id,
                points=r.points,
                remaining=r.remaining,
                awarded_at=as_utc(r.awarded_at),
                release_at=as_utc(r.release_at),
                expires_at=as_utc(r.expires_at),
                released=r.released,
                closed=r.closed,
            )
            for r in rows
        ]

    def _spendable(self) -> list[Lot]:
        """The lots a spend may draw now, in the order the domain says it draws them."""
        with self.app.engine.connect() as connection:
            lots = self._lots(connection)
        return sorted((lot for lot in lots if lot.spendable(self.now)), key=spend_order)

    def _post(self, job: Callable[[Writer, Account, RunningProgram, datetime], int]) -> int:
        """Run ``posting.release`` or ``posting.expire`` on the account, as the jobs do: under
        the account's lock, then flushed and committed."""
        with self.app.unit_of_work() as uow:
            account_id = self._account_id(uow.connection)
            if account_id is None:
                return 0
            w = Writer(uow.connection)
            account = account_store.lock(uow.connection, account_id, self.now)
            total = job(w, account, running_program(uow, CODE), self.now)
            w.flush()
            uow.commit()
        return total

    # --- what happens to the account ---------------------------------------------------------

    @rule(points=st.integers(1, 500), expiry=EXPIRY, window_days=WINDOW)
    def earn(self, points: int, expiry: dict[str, Any], window_days: int) -> None:
        with self.app.unit_of_work() as uow:
            rp = self._program(uow, expiry, window_days)
            sale = self._purchase(uow, "sale", points * POINT_PRICE, None)
            account = account_store.lock_member(uow.connection, self.member_id, rp.id, self.now)
            before = (account.available, account.pending, account.debt)
            w = Writer(uow.connection)
            awarded = posting.award(
                w, account, rp, points, kind="earn", at=self.now, purchase_id=sale
            )
            w.flush()
            uow.commit()
        assert awarded == points  # no budget: all of it
        self.sales.append(
            Sale(sale, points * POINT_PRICE, points, 0, f"{self.member}-{self.purchases}")
        )
        # Debt is settled first; the rest is pending during the return window, else open.
        available, pending, debt = before
        settled = min(points, debt)
        rest = (0, points - settled) if window_days else (points - settled, 0)
        expected = (available + rest[0], pending + rest[1], debt - settled)
        with self.app.engine.connect() as connection:
            row = connection.execute(
                select(
                    loyalty_accounts.c.available,
                    loyalty_accounts.c.pending,
                    loyalty_accounts.c.debt,
                ).where(loyalty_accounts.c.id == account.id)
            ).one()
        assert tuple(row) == expected
        event("earning settled debt" if settled else "earning, no debt")

    @rule(data=st.data(), expiry=EXPIRY)
    def adjust(self, data: st.DataObject, expiry: dict[str, Any]) -> None:
        spendable = sum(lot.remaining for lot in self._spendable())
        points = data.draw(
            st.integers(1, 300) | st.integers(-spendable - 50, -1), label="adjustment"
        )
        try:
            with self.app.unit_of_work() as uow:
                self._program(uow, expiry, 0)
                loyalty.adjust(uow, self.member, CODE, points, "correction", "test", now=self.now)
                uow.commit()
        except loyalty.NotEnoughPoints:
            assert -points > spendable
            event("adjustment refused")
            return
        assert points > 0 or -points <= spendable
        event("adjustment up" if points > 0 else "adjustment down")

    @precondition(lambda self: any(lot.spendable(self.now) for lot in self.seen))
    @rule(data=st.data())
    def spend(self, data: st.DataObject) -> None:
        order = self._spendable()
        spendable = sum(lot.remaining for lot in order)
        points = data.draw(st.integers(1, spendable + 50), label="points")
        try:
            with self.app.unit_of_work() as uow:
                answer = loyalty.redeem_points(
                    uow, self.member, CODE, points, uuid.uuid4().hex, now=self.now
                )
                uow.commit()
        except loyalty.NotEnoughPoints:
            assert points > spendable
            event("spend refused")
            return
        assert points <= spendable
        event(f"spend drew {min(len(answer['lots']), 3)}+ lots")
        draws = [(d["lot_id"], d["points"]) for d in answer["lots"]]
        self.redemptions.append(Redemption(answer["transaction_id"], points, draws))
        assert sum(p for _, p in draws) == points
        # Soonest expiry first: the lots drawn are the first in spend order, and every one
        # but the last was emptied.
        assert [lot_id for lot_id, _ in draws] == [lot.id for lot in order[: len(draws)]]
        before = {lot.id: lot.remaining for lot in order}
        assert all(p == before[lot_id] for lot_id, p in draws[:-1])
        assert 0 < draws[-1][1] <= before[draws[-1][0]]

    @precondition(lambda self: any(s.refunded < s.amount for s in self.sales))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        sale = data.draw(st.sampled_from([s for s in self.sales if s.refunded < s.amount]))
        left = sale.amount - sale.refunded
        amount = data.draw(st.just(left) | st.integers(1, left), label="refund")
        with self.app.unit_of_work() as uow:
            refund = self._purchase(uow, "refund", -amount, sale.id)
            assert accrual.accrue_ids(uow, [refund], self.now) == 1
            uow.commit()
        sale.refunded += amount
        with self.app.engine.connect() as connection:
            taken = -connection.execute(
                select(func.coalesce(func.sum(ledger_transactions.c.points), 0))
                .join(purchases, purchases.c.id == ledger_transactions.c.purchase_id)
                .where(purchases.c.original_id == sale.id, ledger_transactions.c.kind == "reverse")
            ).scalar_one()
        # Refunds take back, in all, their share of what the sale earned (spent or not).
        assert taken == refund_share(sale.earned, sale.refunded, sale.amount)
        with self.app.engine.connect() as connection:
            debt = connection.execute(
                select(loyalty_accounts.c.debt).where(
                    loyalty_accounts.c.member_id == self.member_id
                )
            ).scalar_one()
        event("refund left debt" if debt else "refund left no debt")

    @precondition(lambda self: any(s.refunded == 0 for s in self.sales))
    @rule(data=st.data())
    def void_sale(self, data: st.DataObject) -> None:
        """The till's cancel key on a sale: everything it earned is taken back (spent or
        not), once; voiding it again answers the same and takes nothing more."""
        sale = data.draw(st.sampled_from([s for s in self.sales if s.refunded == 0]))
        with self.app.unit_of_work() as uow:
            voided, answer = voids.void_purchase(
                uow,
                sale.external_id,
                actor="till-1",
                reason="mistake",
                timezone="UTC",
                now=self.now,
            )
            uow.commit()
        assert voided
        with self.app.unit_of_work() as uow:
            again = voids.void_purchase(
                uow, sale.external_id, actor="till-1", reason=None, timezone="UTC", now=self.now
            )
        assert again == (False, answer)
        sale.refunded = sale.amount
        (points,) = [p for p in answer["loyalty"] if p["program"] == CODE]
        assert points["points"] == -sale.earned  # all of it, whatever was spent since
        event("void took debt" if points["debt_added"] else "void left no debt")

    @precondition(lambda self: bool(self.redemptions))
    @rule(data=st.data())
    def void_redemption(self, data: st.DataObject) -> None:
        """The till's cancel key on a redemption: its points go back into the lots they came
        from (those expired since, to breakage), settling debt first; once."""
        spent = data.draw(st.sampled_from(self.redemptions))
        self.redemptions.remove(spent)
        before = {lot.id: lot for lot in self.seen}
        with self.app.unit_of_work() as uow:
            voided, answer = loyalty_voids.void_redemption(
                uow, spent.transaction_id, actor="till-1", reason="mistake", now=self.now
            )
            uow.commit()
        assert voided
        assert answer["points"] == spent.points
        closed = {lot for lot, _ in spent.drawn if before[lot].closed}
        assert answer["expired"] == sum(p for lot, p in spent.drawn if lot in closed)
        assert answer["returned"] == [
            {"lot_id": lot, "points": p} for lot, p in spent.drawn if lot not in closed
        ]
        with self.app.unit_of_work() as uow:
            again = loyalty_voids.void_redemption(
                uow, spent.transaction_id, actor="till-1", reason=None, now=self.now
            )
        assert again == (False, answer)
        event("void of a redemption settled debt" if answer["debt_settled"] else "void: no debt")

    @rule(days=st.integers(0, 40))
    def pass_time(self, days: int) -> None:
        self.now += timedelta(days=days)

    @precondition(
        lambda self: any(not lot.released and lot.release_at <= self.now for lot in self.seen)
    )
    @rule()
    def release(self) -> None:
        with self.app.engine.connect() as connection:
            lots = self._lots(connection)
        due = sum(
            lot.remaining
            for lot in lots
            if not lot.released and not lot.closed and lot.release_at <= self.now
        )
        assert self._post(posting.release) == due
        assert self._post(posting.release) == 0  # idempotent
        event("release moved points" if due else "release: nothing due")

    @precondition(
        lambda self: any(
            lot.released and not lot.closed and lot.expires_at and lot.expires_at <= self.now
            for lot in self.seen
        )
    )
    @rule()
    def expire(self) -> None:
        with self.app.engine.connect() as connection:
            lots = self._lots(connection)
        due = sum(
            lot.remaining
            for lot in lots
            if lot.released
            and not lot.closed
            and lot.expires_at is not None
            and lot.expires_at <= self.now
        )
        assert self._post(posting.expire) == due
        assert self._post(posting.expire) == 0  # idempotent
        event("expiry broke points" if due else "expiry: nothing due")

    # --- what must hold after every step -----------------------------------------------------

    @invariant()
    def the_books_add_up(self) -> None:
        with self.app.engine.connect() as connection:
            account_id = self._account_id(connection)
            if account_id is None:
                return
            account = (
                connection.execute(
                    select(loyalty_accounts).where(loyalty_accounts.c.id == account_id)
                )
                .mappings()
                .one()
            )
            books: dict[str, int] = {
                book: int(points)
                for book, points in connection.execute(
                    select(ledger_entries.c.book, func.sum(ledger_entries.c.points))
                    .where(ledger_entries.c.account_id == account_id)
                    .group_by(ledger_entries.c.book)
                )
            }
            unbalanced = connection.execute(
                select(ledger_entries.c.transaction_id, func.sum(ledger_entries.c.points))
                .where(ledger_entries.c.account_id == account_id)
                .group_by(ledger_entries.c.transaction_id)
                .having(func.sum(ledger_entries.c.points) != 0)
            ).all()
            lots = self._lots(connection)
        self.seen = lots
        assert set(books) <= set(BOOKS)
        # Every transaction's entries sum to zero.
        assert unbalanced == []
        # The cached balances are the sums of the entries per book...
        assert account["available"] == books.get(MEMBER_AVAILABLE, 0)
        assert account["pending"] == books.get(MEMBER_PENDING, 0)
        assert account["debt"] == -books.get(MEMBER_DEBT, 0)
        # ...and what the lots still hold; no lot below zero or above its award.
        assert all(0 <= lot.remaining <= lot.points for lot in lots)
        held = [lot for lot in lots if not lot.closed]
        assert account["available"] == sum(lot.remaining for lot in held if lot.released)
        assert account["pending"] == sum(lot.remaining for lot in held if not lot.released)
        assert min(account["available"], account["pending"], account["debt"]) >= 0
        # `regulars ledger verify` (the same invariants, in SQL) agrees: no drift.
        with self.app.unit_of_work() as uow:
            report = verify_ledger(uow)
        assert report["clean"], report


def test_the_ledger_adds_up_whatever_happens(app: App) -> None:
    with app.unit_of_work() as uow:
        install_program(uow, definition({"policy": "never"}, 0), now=START)
        uow.commit()
    run_state_machine_as_test(lambda: LedgerMachine(app), settings=SETTINGS)
