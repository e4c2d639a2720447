"""Which purchases have earned (``purchase_accruals``), and what accrual reads of a purchase.

A purchase is claimed once (``INSERT … ON CONFLICT DO NOTHING``) in the transaction that
awards for it, so running the accrual again, or concurrently, never awards twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Row, func, select

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


_CLAIM = """
WITH claimed AS (
  INSERT INTO purchase_accruals (purchase_id, accrued_at)
  SELECT unnest(%s::bigint[]), %s::timestamptz
  ON CONFLICT DO NOTHING
  RETURNING purchase_id
), heads AS (
  SELECT p.id, p.external_id, p.member_id, p.occurred_at, p.store_id, p.channel,
         p.employee_id, p.kind, p.original_id, p.total_amount
  FROM purchases p JOIN claimed c ON c.purchase_id = p.id
), asked AS (
  SELECT (SELECT array_agg(id ORDER BY id) FROM loyalty_programs WHERE active) AS programs,
         (SELECT array_agg(version ORDER BY id) FROM loyalty_programs WHERE active) AS versions,
         array(SELECT nextval(pg_get_serial_sequence('ledger_transactions', 'id'))
               FROM generate_series(1, %s)) AS transactions,
         array(SELECT nextval(pg_get_serial_sequence('points_lots', 'id'))
               FROM generate_series(1, %s)) AS lots
)
SELECT heads.*, asked.* FROM asked LEFT JOIN heads ON true
"""


@dataclass
class Claim:
    """What a claim found: the claimed purchases' rows (any order), and, on PostgreSQL, the
    active programs' ``(id, version)`` read in the same statement and ids drawn in advance
    for the transactions and lots the accrual will write (those left unused are gaps)."""

    rows: list[Any]
    programs: list[tuple[int, int]] | None = None
    reserved: tuple[list[int], list[int]] = ([], [])


def claim_purchases(
    connection: Connection, purchase_ids: list[int], now: datetime, reserve: int = 0
) -> Claim:
    """:func:`claim_accruals`, returning the claimed purchases' rows: on PostgreSQL in one
    statement of the same text for any number of purchases, which also reads the programs
    in force and draws ``reserve`` transaction and lot ids."""
    if not purchase_ids:
        return Claim([])
    if not is_postgres(connection):
        claimed = claim_accruals(connection, purchase_ids, now)
        if not claimed:
            return Claim([])
        return Claim(list(connection.execute(select(purchases).where(purchases.c.id.in_(claimed)))))
    raw = connection.connection.driver_connection
    with raw.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
        cursor.execute(_CLAIM, (bulk.array_text(purchase_ids), now, reserve, reserve))
        rows = cursor.fetchall()
    first = rows[0]
    programs = list(zip(first.programs or [], first.versions or [], strict=True))
    return Claim(
        [r for r in rows if r.id is not None],
        [(int(i), int(v)) for i, v in programs],
        ([int(i) for i in first.transactions], [int(i) for i in first.lots]),
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
