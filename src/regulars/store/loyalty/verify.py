"""The ledger's invariants, checked in SQL: what every cached number should be, recomputed
from the entries that produced it.

Each function is one aggregate query (``GROUP BY`` in the database, never a Python loop over
entries) that returns only the rows that disagree, so a clean ledger of millions of entries
answers with empty lists. What is checked:

- an account's cached ``available`` and ``pending`` equal the sum of its entries in the
  ``member_available`` and ``member_pending`` books, and its ``debt`` the negated sum of its
  ``member_debt`` entries (posting books debt as a negative ``member_debt`` balance);
- the same cached ``available``/``pending`` equal what its open lots hold (released lots for
  ``available``, pending lots for ``pending``);
- a lot's ``remaining`` equals the sum of the member-book entries that name it (its award,
  then every draw, release and expiry), and a closed lot holds nothing;
- every transaction's entries sum to zero (double entry).

Stamps are a counter with no entries of their own (a stamp card's progress lives in the
transaction's ``detail``), so they are checked only against their bounds by the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select

from regulars.domain.loyalty.ledger import MEMBER_AVAILABLE, MEMBER_DEBT, MEMBER_PENDING
from regulars.store.tables import (
    ledger_entries,
    loyalty_accounts,
    loyalty_programs,
    members,
    points_lots,
)


@dataclass(frozen=True)
class AccountDrift:
    """One cached number of an account that its ledger does not support."""

    account_id: int
    member: str
    program: str
    field: str  # available | pending | debt
    cached: int
    ledger: int  # recomputed from the entries
    lots: int | None  # recomputed from the open lots (None for debt)


@dataclass(frozen=True)
class LotDrift:
    lot_id: int
    account_id: int
    remaining: int
    ledger: int
    closed: bool


def _book(name: str) -> ColumnElement[int]:
    return func.coalesce(
        func.sum(case((ledger_entries.c.book == name, ledger_entries.c.points), else_=0)), 0
    )


def account_drift(connection: Connection) -> list[AccountDrift]:
    """Every account whose cached balance, pending points or debt differs from its entries
    or from its lots."""
    books = (
        select(
            ledger_entries.c.account_id,
            _book(MEMBER_AVAILABLE).label("available"),
            _book(MEMBER_PENDING).label("pending"),
            _book(MEMBER_DEBT).label("debt"),
        )
        .group_by(ledger_entries.c.account_id)
        .subquery("books")
    )
    open_lot = points_lots.c.closed.is_(False)
    lots = (
        select(
            points_lots.c.account_id,
            func.coalesce(
                func.sum(
                    case(
                        (and_(open_lot, points_lots.c.released.is_(True)), points_lots.c.remaining),
                        else_=0,
                    )
                ),
                0,
            ).label("available"),
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(open_lot, points_lots.c.released.is_(False)),
                            points_lots.c.remaining,
                        ),
                        else_=0,
                    )
                ),
                0,
            ).label("pending"),
        )
        .group_by(points_lots.c.account_id)
        .subquery("lots")
    )
    a = loyalty_accounts.c
    ledger_available = func.coalesce(books.c.available, 0)
    ledger_pending = func.coalesce(books.c.pending, 0)
    ledger_debt = -func.coalesce(books.c.debt, 0)
    lots_available = func.coalesce(lots.c.available, 0)
    lots_pending = func.coalesce(lots.c.pending, 0)
    rows = connection.execute(
        select(
            a.id,
            members.c.external_id,
            loyalty_programs.c.code,
            a.available,
            a.pending,
            a.debt,
            ledger_available.label("ledger_available"),
            ledger_pending.label("ledger_pending"),
            ledger_debt.label("ledger_debt"),
            lots_available.label("lots_available"),
            lots_pending.label("lots_pending"),
        )
        .select_from(
            loyalty_accounts.join(members, members.c.id == a.member_id)
            .join(loyalty_programs, loyalty_programs.c.id == a.program_id)
            .outerjoin(books, books.c.account_id == a.id)
            .outerjoin(lots, lots.c.account_id == a.id)
        )
        .where(
            or_(
                a.available != ledger_available,
                a.pending != ledger_pending,
                a.debt != ledger_debt,
                a.available != lots_available,
                a.pending != lots_pending,
            )
        )
        .order_by(a.id)
    )
    drift: list[AccountDrift] = []
    for r in rows:
        checks = (
            ("available", r.available, r.ledger_available, r.lots_available),
            ("pending", r.pending, r.ledger_pending, r.lots_pending),
            ("debt", r.debt, r.ledger_debt, None),
        )
        for field, cached, ledger, held in checks:
            if cached != ledger or (held is not None and cached != held):
                drift.append(
                    AccountDrift(
                        account_id=int(r.id),
                        member=r.external_id,
                        program=r.code,
                        field=field,
                        cached=int(cached),
                        ledger=int(ledger),
                        lots=None if held is None else int(held),
                    )
                )
    return drift


def lot_drift(connection: Connection) -> list[LotDrift]:
    """Every lot whose ``remaining`` differs from its member-book entries, or that is closed
    while still holding points."""
    member_books = ledger_entries.c.book.in_([MEMBER_AVAILABLE, MEMBER_PENDING])
    held = (
        select(
            ledger_entries.c.lot_id,
            func.sum(ledger_entries.c.points).label("points"),
        )
        .where(ledger_entries.c.lot_id.is_not(None), member_books)
        .group_by(ledger_entries.c.lot_id)
        .subquery("held")
    )
    ledger = func.coalesce(held.c.points, 0)
    rows = connection.execute(
        select(
            points_lots.c.id,
            points_lots.c.account_id,
            points_lots.c.remaining,
            points_lots.c.closed,
            ledger.label("ledger"),
        )
        .select_from(points_lots.outerjoin(held, held.c.lot_id == points_lots.c.id))
        .where(
            or_(
                points_lots.c.remaining != ledger,
                and_(points_lots.c.closed.is_(True), points_lots.c.remaining != 0),
            )
        )
        .order_by(points_lots.c.id)
    )
    return [
        LotDrift(int(r.id), int(r.account_id), int(r.remaining), int(r.ledger), bool(r.closed))
        for r in rows
    ]


def unbalanced_transactions(connection: Connection) -> list[tuple[int, int]]:
    """``(transaction id, sum of its entries)`` of every transaction that is not balanced."""
    total = func.sum(ledger_entries.c.points)
    rows = connection.execute(
        select(ledger_entries.c.transaction_id, total)
        .group_by(ledger_entries.c.transaction_id)
        .having(total != literal(0))
        .order_by(ledger_entries.c.transaction_id)
    )
    return [(int(t), int(s)) for t, s in rows]


def counts(connection: Connection) -> tuple[int, int, int]:
    """``(accounts, lots, entries)``: how much was checked."""
    return (
        int(connection.execute(select(func.count()).select_from(loyalty_accounts)).scalar_one()),
        int(connection.execute(select(func.count()).select_from(points_lots)).scalar_one()),
        int(connection.execute(select(func.count()).select_from(ledger_entries)).scalar_one()),
    )
