"""Which purchases have earned (``purchase_accruals``), and what accrual reads of a purchase.

A purchase is claimed once (``INSERT … ON CONFLICT DO NOTHING``) in the transaction that
awards for it, so running the accrual again, or concurrently, never awards twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, DateTime, Row, bindparam, func, select
from sqlalchemy.dialects import postgresql

from regulars.store import bulk
from regulars.store.dialect import is_postgres, upsert_insert
from regulars.store.tables import (
    categories,
    products,
    purchase_accruals,
    purchase_lines,
    purchases,
    stores,
)


def claim_accruals(connection: Connection, purchase_ids: list[int], now: datetime) -> list[int]:
    """Mark purchases as accrued; return those that were not yet, in the given order."""
    if not purchase_ids:
        return []
    claimed = set(
        connection.execute(
            upsert_insert(connection, purchase_accruals)
            .values([{"purchase_id": i, "accrued_at": now} for i in purchase_ids])
            .on_conflict_do_nothing()
            .returning(purchase_accruals.c.purchase_id)
        ).scalars()
    )
    return [i for i in purchase_ids if i in claimed]


def claim_purchases(
    connection: Connection, purchase_ids: list[int], now: datetime
) -> list[Row[Any]]:
    """:func:`claim_accruals`, returning the claimed purchases' rows (any order): on
    PostgreSQL in one statement of the same text for any number of purchases."""
    if not purchase_ids:
        return []
    if not is_postgres(connection):
        claimed = claim_accruals(connection, purchase_ids, now)
        if not claimed:
            return []
        return list(connection.execute(select(purchases).where(purchases.c.id.in_(claimed))))
    claim = (
        postgresql.insert(purchase_accruals)
        .from_select(
            ["purchase_id", "accrued_at"],
            select(
                func.unnest(bindparam("ids", type_=postgresql.ARRAY(BigInteger))),
                bindparam("now", type_=DateTime(timezone=True)),
            ),
        )
        .on_conflict_do_nothing()
        .returning(purchase_accruals.c.purchase_id)
        .cte("claimed")
    )
    return list(
        connection.execute(
            select(purchases).join(claim, claim.c.purchase_id == purchases.c.id),
            {"ids": purchase_ids, "now": now},
        )
    )


def purchase_rows(connection: Connection, purchase_ids: list[int]) -> list[Row[Any]]:
    """The purchases' rows (any order)."""
    return list(connection.execute(select(purchases).where(purchases.c.id.in_(purchase_ids))))


def basket_lines(
    connection: Connection, purchase_ids: list[int]
) -> list[tuple[int, str, str | None, int, int, str | None]]:
    """``(purchase id, product code, category code, quantity, amount, store code)`` of every
    line of these purchases, in line order."""
    if not purchase_ids:
        return []
    rows = connection.execute(
        select(
            purchase_lines.c.purchase_id,
            products.c.code,
            categories.c.code,
            purchase_lines.c.quantity,
            purchase_lines.c.amount,
            stores.c.code,
        )
        .join(products, products.c.id == purchase_lines.c.product_id)
        .outerjoin(categories, categories.c.id == purchase_lines.c.category_id)
        .join(purchases, purchases.c.id == purchase_lines.c.purchase_id)
        .outerjoin(stores, stores.c.id == purchases.c.store_id)
        .where(bulk.among(connection, purchase_lines.c.purchase_id, purchase_ids))
        .order_by(purchase_lines.c.purchase_id, purchase_lines.c.line_no)
    )
    return [(p, product, category, q, a, store) for p, product, category, q, a, store in rows]


def purchase_total(connection: Connection, purchase_id: int) -> int:
    return int(
        connection.execute(
            select(purchases.c.total_amount).where(purchases.c.id == purchase_id)
        ).scalar_one()
    )


def refunded_so_far(connection: Connection, original_id: int) -> int:
    """The amount refunded of a purchase by refunds/returns already accrued."""
    return -int(
        connection.execute(
            select(func.coalesce(func.sum(purchases.c.total_amount), 0))
            .join(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
            .where(purchases.c.original_id == original_id)
        ).scalar_one()
    )


def purchase_ids(connection: Connection, external_ids: Iterable[str]) -> list[int]:
    """The ids of the purchases with these external ids (any order)."""
    wanted = list(set(external_ids))
    if not wanted:
        return []
    return [
        int(i)
        for i in connection.execute(
            select(purchases.c.id).where(bulk.among(connection, purchases.c.external_id, wanted))
        ).scalars()
    ]


def pending_purchases(connection: Connection, limit: int) -> list[int]:
    """Purchases not accrued yet, in the order they happened (sales before their refunds)."""
    return [
        int(i)
        for i in connection.execute(
            select(purchases.c.id)
            .outerjoin(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
            .where(purchase_accruals.c.purchase_id.is_(None))
            .order_by(purchases.c.occurred_at, purchases.c.id)
            .limit(limit)
        ).scalars()
    ]


def pending_count(connection: Connection) -> int:
    """How many purchases are not accrued yet."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(purchases)
            .outerjoin(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
            .where(purchase_accruals.c.purchase_id.is_(None))
        ).scalar_one()
    )
