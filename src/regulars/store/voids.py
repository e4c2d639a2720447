"""Voids at the till (``till_voids``): who voided which sale or redemption, when, why, and
the answer given, so that voiding again answers the same."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select

from regulars.store.tables import till_voids


def of_purchase(connection: Connection, purchase_id: int) -> RowMapping | None:
    """The void of a sale, if it was voided."""
    return (
        connection.execute(select(till_voids).where(till_voids.c.purchase_id == purchase_id))
        .mappings()
        .first()
    )


def of_redemption(connection: Connection, transaction_id: int) -> RowMapping | None:
    """The void of a redemption (its ledger transaction), if it was voided."""
    return (
        connection.execute(select(till_voids).where(till_voids.c.transaction_id == transaction_id))
        .mappings()
        .first()
    )


def add(
    connection: Connection,
    *,
    kind: str,
    actor: str,
    reason: str | None,
    voided_at: datetime,
    answer: str,
    purchase_id: int | None = None,
    refund_id: int | None = None,
    transaction_id: int | None = None,
) -> None:
    connection.execute(
        insert(till_voids).values(
            kind=kind,
            purchase_id=purchase_id,
            refund_id=refund_id,
            transaction_id=transaction_id,
            actor=actor,
            reason=reason,
            voided_at=voided_at,
            answer=answer,
        )
    )
