"""What a purchase posted, read back from the ledger: its transactions, lots and vouchers.

A purchase's rows are found by ``purchase_id`` (each of the three tables has an index on it),
for the till's answer to a purchase sent again and for a void, which must know exactly what
it takes back.
"""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, select

from regulars.store.tables import (
    ledger_transactions,
    loyalty_accounts,
    loyalty_rewards,
    points_lots,
)


def transactions_of(connection: Connection, purchase_id: int) -> list[RowMapping]:
    """The purchase's ledger transactions, with each account's program, in order."""
    return list(
        connection.execute(
            select(
                ledger_transactions.c.id,
                ledger_transactions.c.account_id,
                loyalty_accounts.c.program_id,
                ledger_transactions.c.kind,
                ledger_transactions.c.points,
                ledger_transactions.c.detail,
            )
            .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
            .where(ledger_transactions.c.purchase_id == purchase_id)
            .order_by(ledger_transactions.c.id)
        ).mappings()
    )


def lots_of(connection: Connection, purchase_id: int) -> list[RowMapping]:
    """The lots the purchase's earnings opened."""
    return list(
        connection.execute(
            select(
                points_lots.c.account_id,
                points_lots.c.awarded_at,
                points_lots.c.release_at,
                points_lots.c.released,
            ).where(points_lots.c.purchase_id == purchase_id)
        ).mappings()
    )


def rewards_of(connection: Connection, purchase_id: int) -> list[RowMapping]:
    """The vouchers the purchase's stamps completed, oldest first."""
    return list(
        connection.execute(
            select(loyalty_rewards)
            .where(loyalty_rewards.c.purchase_id == purchase_id)
            .order_by(loyalty_rewards.c.id)
        ).mappings()
    )
