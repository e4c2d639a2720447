"""Purchases and their lines: :func:`add` is the one way they are written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import Connection, RowMapping, select

from regulars.store import catalogue
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


def add(connection: Connection, heads: Columns, lines: Columns) -> dict[str, int]:
    """Write checked purchases and their lines; return external id -> id of those that were
    new. A purchase already there is skipped with its lines (a purchase is written whole).

    ``heads`` (external_id, member_id, occurred_at, store, channel, employee, kind,
    original_id) give members and original purchases as ids, store and employee as codes;
    ``lines`` (purchase, line_no, product, category, quantity, amount) give their purchase
    as its position in ``heads``, product and category as codes, quantities and amounts
    signed. Codes seen for the first time are registered (named after the code), a
    new product under the category of its first line; each purchase's total is the sum of
    its lines. Both the file import and the API write through here, in the caller's
    transaction.
    """
    store_ids = catalogue.ensure_ids(connection, catalogue.stores, heads["store"])
    employee_ids = catalogue.ensure_ids(connection, catalogue.employees, heads["employee"])
    category_ids = catalogue.ensure_ids(connection, catalogue.categories, lines["category"])
    positions, distinct = catalogue.distinct_codes(lines["product"])  # never blank
    first = np.unique(positions, return_index=True)[1]
    products = catalogue.ensure_products(
        connection, dict(zip(distinct, category_ids[first].tolist(), strict=True))
    )
    product_ids = np.array([products[p] for p in distinct], dtype=np.int64)[positions]
    external_ids = list(heads["external_id"])
    owner = np.asarray(lines["purchase"], dtype=np.int64)
    amounts = np.asarray(lines["amount"], dtype=np.int64)
    totals = np.zeros(len(external_ids), dtype=np.int64)
    np.add.at(totals, owner, amounts)
    added = insert_purchases(
        connection,
        {
            "external_id": external_ids,
            "member_id": heads["member_id"],
            "occurred_at": heads["occurred_at"],
            "store_id": store_ids,
            "channel": heads["channel"],
            "employee_id": employee_ids,
            "kind": heads["kind"],
            "original_id": heads["original_id"],
            "total_amount": totals,
        },
    )
    if added:
        ids = np.array([added.get(e, 0) for e in external_ids], dtype=np.int64)[owner]
        new = ids > 0
        insert_lines(
            connection,
            {
                "purchase_id": ids[new],
                "line_no": np.asarray(lines["line_no"], dtype=np.int64)[new],
                "product_id": product_ids[new],
                "category_id": category_ids[new],
                "quantity": np.asarray(lines["quantity"], dtype=np.int64)[new],
                "amount": amounts[new],
            },
        )
    return added


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
