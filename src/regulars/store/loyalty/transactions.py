"""Ledger transactions: what happened to an account (earn, redeem, reverse, expire, …).

New transactions and their entries are written by
:class:`regulars.store.loyalty.writer.Writer`; this module reads them back — by idempotency
key, per account, per purchase, per period — and records a redemption's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, select, update

from regulars.domain.loyalty.ledger import MEMBER_AVAILABLE
from regulars.store import bulk
from regulars.store.tables import ledger_entries, ledger_transactions, loyalty_accounts, purchases


def transaction_by_key(connection: Connection, source_key: str) -> RowMapping | None:
    return (
        connection.execute(
            select(ledger_transactions).where(ledger_transactions.c.source_key == source_key)
        )
        .mappings()
        .first()
    )


def keys_taken(connection: Connection, keys: Sequence[str]) -> set[str]:
    """Which of these idempotency keys already have a transaction (5,000 keys a query)."""
    done: set[str] = set()
    for start in range(0, len(keys), 5000):
        done |= set(
            connection.execute(
                select(ledger_transactions.c.source_key).where(
                    ledger_transactions.c.source_key.in_(keys[start : start + 5000])
                )
            ).scalars()
        )
    return done


def set_detail(connection: Connection, transaction_id: int, detail: str) -> None:
    connection.execute(
        update(ledger_transactions)
        .where(ledger_transactions.c.id == transaction_id)
        .values(detail=detail)
    )


def account_history(connection: Connection, account_id: int, limit: int) -> list[RowMapping]:
    """The account's newest ``limit`` transactions, newest first."""
    return list(
        connection.execute(
            select(ledger_transactions)
            .where(ledger_transactions.c.account_id == account_id)
            .order_by(ledger_transactions.c.id.desc())
            .limit(limit)
        ).mappings()
    )


def earned_by_account(
    connection: Connection, account_ids: list[int], since: datetime, until: datetime
) -> dict[int, int]:
    """Points each account earned from purchases in ``[since, until)`` (for caps)."""
    rows = connection.execute(
        select(ledger_transactions.c.account_id, func.sum(ledger_transactions.c.points))
        .where(
            bulk.among(connection, ledger_transactions.c.account_id, account_ids),
            ledger_transactions.c.kind == "earn",
            ledger_transactions.c.occurred_at >= since,
            ledger_transactions.c.occurred_at < until,
        )
        .group_by(ledger_transactions.c.account_id)
    )
    return {int(a): int(p) for a, p in rows}


def earned_by_purchase(
    connection: Connection, account_id: int, purchase_id: int
) -> tuple[int, str | None] | None:
    """What the purchase earned in the account: its earn transaction's ``(points, detail)``
    (None when it earned nothing there)."""
    row = connection.execute(
        select(ledger_transactions.c.points, ledger_transactions.c.detail).where(
            ledger_transactions.c.purchase_id == purchase_id,
            ledger_transactions.c.kind == "earn",
            ledger_transactions.c.account_id == account_id,
        )
    ).first()
    return None if row is None else (int(row.points), row.detail)


def taken_back(connection: Connection, account_id: int, original_id: int) -> int:
    """Points the refunds and returns of a purchase have taken back from the account so far."""
    return -int(
        connection.execute(
            select(func.coalesce(func.sum(ledger_transactions.c.points), 0))
            .join(purchases, purchases.c.id == ledger_transactions.c.purchase_id)
            .where(
                purchases.c.original_id == original_id,
                ledger_transactions.c.kind == "reverse",
                ledger_transactions.c.account_id == account_id,
            )
        ).scalar_one()
    )


def points_by_kind(connection: Connection, program_id: int) -> dict[str, int]:
    """Points moved per transaction kind (earn, redeem, expire, reverse, …) in a program."""
    rows = connection.execute(
        select(ledger_transactions.c.kind, func.sum(ledger_transactions.c.points))
        .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
        .where(loyalty_accounts.c.program_id == program_id)
        .group_by(ledger_transactions.c.kind)
    )
    return {str(kind): int(points or 0) for kind, points in rows}


def transaction(connection: Connection, transaction_id: int) -> RowMapping | None:
    return (
        connection.execute(
            select(ledger_transactions).where(ledger_transactions.c.id == transaction_id)
        )
        .mappings()
        .first()
    )


def spent_from(connection: Connection, transaction_id: int) -> list[tuple[int, int]]:
    """``(lot id, points)`` a spend drew, from its ``member_available`` entries, in order."""
    rows = connection.execute(
        select(ledger_entries.c.lot_id, ledger_entries.c.points)
        .where(
            ledger_entries.c.transaction_id == transaction_id,
            ledger_entries.c.book == MEMBER_AVAILABLE,
            ledger_entries.c.lot_id.is_not(None),
        )
        .order_by(ledger_entries.c.id)
    )
    return [(int(lot), -int(points)) for lot, points in rows]
