"""Purchases and their lines: :func:`add` is the one way they are written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from regulars.store import catalogue
from regulars.store.bulk import (
    FEW_ROWS,
    Columns,
    array_text,
    ids_by_key,
    insert_new,
    insert_rows,
)
from regulars.store.dialect import is_postgres
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


def add(
    connection: Connection, heads: Mapping[str, Sequence[Any]], lines: Mapping[str, Sequence[Any]]
) -> dict[str, int]:
    """Write checked purchases and their lines; return external id -> id of those that were
    new. A purchase already there is skipped with its lines (a purchase is written whole).

    ``heads`` (external_id, member_id, occurred_at, store, channel, employee, kind,
    original_id) give members and original purchases as ids, store and employee as codes;
    ``lines`` (purchase, line_no, product, category, quantity, amount) give their purchase
    as its position in ``heads``, product and category as codes, quantities and amounts
    signed; blanks are None. Codes seen for the first time are registered (named after the
    code), a new product under the category of its first line; each purchase's total is
    the sum of its lines. Both the file import and the API write through here, in the
    caller's transaction.
    """
    store_ids = catalogue.ensure_ids(connection, catalogue.stores, heads["store"])
    employee_ids = catalogue.ensure_ids(connection, catalogue.employees, heads["employee"])
    category_ids = catalogue.ensure_ids(connection, catalogue.categories, lines["category"])
    first_category: dict[str, int | None] = {}
    for product, category in zip(lines["product"], category_ids, strict=True):
        first_category.setdefault(product, category)
    products = catalogue.ensure_products(connection, first_category)
    external_ids = heads["external_id"]
    owner = lines["purchase"]
    totals = [0] * len(external_ids)
    for purchase, amount in zip(owner, lines["amount"], strict=True):
        totals[purchase] += amount
    if is_postgres(connection) and len(owner) < FEW_ROWS:  # a till's purchase: one round trip
        return _add_together(
            connection,
            [
                external_ids,
                heads["member_id"],
                heads["occurred_at"],
                store_ids,
                heads["channel"],
                employee_ids,
                heads["kind"],
                heads["original_id"],
                totals,
            ],
            [
                [external_ids[purchase] for purchase in owner],
                lines["line_no"],
                [products[product] for product in lines["product"]],
                category_ids,
                lines["quantity"],
                lines["amount"],
            ],
        )
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
    if not added:
        return added
    ids = [added.get(e) for e in external_ids]
    new = [row for row, purchase in enumerate(owner) if ids[purchase] is not None]
    insert_lines(
        connection,
        {
            "purchase_id": [ids[owner[row]] for row in new],
            "line_no": [lines["line_no"][row] for row in new],
            "product_id": [products[lines["product"][row]] for row in new],
            "category_id": [category_ids[row] for row in new],
            "quantity": [lines["quantity"][row] for row in new],
            "amount": [lines["amount"][row] for row in new],
        },
    )
    return added


_ADD_TOGETHER = """
WITH p AS (
  INSERT INTO purchases (external_id, member_id, occurred_at, store_id, channel, employee_id,
                         kind, original_id, total_amount)
  SELECT * FROM unnest(%s::varchar[], %s::bigint[], %s::timestamptz[], %s::bigint[],
                       %s::varchar[], %s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[])
  ON CONFLICT DO NOTHING
  RETURNING external_id, id
), l AS (
  INSERT INTO purchase_lines (purchase_id, line_no, product_id, category_id, quantity, amount)
  SELECT p.id, l.line_no, l.product_id, l.category_id, l.quantity, l.amount
  FROM unnest(%s::varchar[], %s::integer[], %s::bigint[], %s::bigint[], %s::integer[],
              %s::bigint[]) AS l(external_id, line_no, product_id, category_id, quantity, amount)
  JOIN p ON p.external_id = l.external_id
)
SELECT external_id, id FROM p
"""


def _add_together(
    connection: Connection, heads: list[Sequence[Any]], lines: list[Sequence[Any]]
) -> dict[str, int]:
    """:func:`add`'s two inserts as one statement of fixed text (PostgreSQL, few rows): the
    lines of a purchase skipped as already present are skipped with it."""
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(_ADD_TOGETHER, [array_text(column) for column in (*heads, *lines)])
        return {str(external): int(i) for external, i in cursor.fetchall()}


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
    """A purchase with external ids and codes beside its row ids (``id``, ``member_row_id``),
    lines included (two queries)."""
    original = purchases.alias("original")
    head = (
        connection.execute(
            select(
                purchases.c.id,
                purchases.c.member_id.label("member_row_id"),
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
    return {**found, "lines": lines_with_codes(connection, found["id"])}


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


def undoings(connection: Connection, purchase_id: int) -> int:
    """How many refunds and returns reference the purchase."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(purchases)
            .where(purchases.c.original_id == purchase_id)
        ).scalar_one()
    )
