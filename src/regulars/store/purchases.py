"""Purchases and their lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from regulars.store.bulk import Columns, ids_by_key, insert_new, insert_rows
from regulars.store.tables import (
    categories,
    members,
    products,
    purchase_lines,
    purchases,
    stores,
)

PURCHASE_COLUMNS = (
    "external_id",
    "member_id",
    "occurred_at",
    "store_id",
    "channel",
    "employee_id",
    "kind",
    "original_id",
    "total_amount",
)
LINE_COLUMNS = ("purchase_id", "line_no", "product_id", "category_id", "quantity", "amount")


def insert_purchases(connection: Connection, columns: Columns) -> dict[str, int]:
    """Add purchases (:data:`PURCHASE_COLUMNS`), skipping external ids already there; return
    external id -> id of those that were new."""
    return insert_new(connection, purchases, columns, "external_id")


def insert_lines(connection: Connection, columns: Columns) -> int:
    """Add the lines (:data:`LINE_COLUMNS`) of purchases :func:`insert_purchases` just added
    in this transaction (a purchase and its lines are written together, so they are new)."""
    return insert_rows(connection, purchase_lines, columns)


def ids_by_external_id(connection: Connection, external_ids: Iterable[str]) -> dict[str, int]:
    return ids_by_key(connection, purchases, "external_id", external_ids)


def get(connection: Connection, external_id: str) -> RowMapping | None:
    return (
        connection.execute(select(purchases).where(purchases.c.external_id == external_id))
        .mappings()
        .first()
    )


def lines_of(connection: Connection, purchase_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(purchase_lines)
            .where(purchase_lines.c.purchase_id == purchase_id)
            .order_by(purchase_lines.c.line_no)
        ).mappings()
    )


def with_codes(connection: Connection, external_id: str) -> dict[str, Any] | None:
    """A purchase as the API shows it: external ids and codes instead of row ids, lines
    included (two queries)."""
    original = purchases.alias("original")
    head = (
        connection.execute(
            select(
                purchases.c.id,
                purchases.c.external_id.label("purchase_id"),
                members.c.external_id.label("member_id"),
                purchases.c.occurred_at,
                stores.c.code.label("store"),
                purchases.c.channel,
                purchases.c.kind,
                original.c.external_id.label("original_purchase_id"),
                purchases.c.total_amount,
            )
            .outerjoin(members, members.c.id == purchases.c.member_id)
            .outerjoin(stores, stores.c.id == purchases.c.store_id)
            .outerjoin(original, original.c.id == purchases.c.original_id)
            .where(purchases.c.external_id == external_id)
        )
        .mappings()
        .first()
    )
    if head is None:
        return None
    found = dict(head)
    return {**found, "lines": lines_with_codes(connection, found.pop("id"))}


def lines_with_codes(connection: Connection, purchase_id: int) -> list[dict[str, Any]]:
    """A purchase's lines with product and category codes instead of ids."""
    query = (
        select(
            purchase_lines.c.line_no,
            products.c.code.label("product"),
            categories.c.code.label("category"),
            purchase_lines.c.quantity,
            purchase_lines.c.amount,
        )
        .join(products, products.c.id == purchase_lines.c.product_id)
        .outerjoin(categories, categories.c.id == purchase_lines.c.category_id)
        .where(purchase_lines.c.purchase_id == purchase_id)
        .order_by(purchase_lines.c.line_no)
    )
    return [dict(r) for r in connection.execute(query).mappings()]
