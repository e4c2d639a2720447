"""Everything in the store, flat, for exporting in the import files' own format."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, select

from regulars.store.members import MEMBER_FIELDS
from regulars.store.tables import (
    categories,
    employees,
    members,
    products,
    purchase_lines,
    purchases,
    stores,
)


def members_table(connection: Connection) -> pd.DataFrame:
    """Every member in id order: ``id`` (the row id), ``member_id`` and the member fields."""
    query = select(
        members.c.id,
        members.c.external_id.label("member_id"),
        *[members.c[f] for f in MEMBER_FIELDS],
    ).order_by(members.c.id)
    return pd.DataFrame(
        connection.execute(query).mappings().all(),
        columns=["id", "member_id", *MEMBER_FIELDS],
    )


def purchase_lines_table(connection: Connection) -> pd.DataFrame:
    """One row per purchase line, with the purchase's ids and codes as the files name them."""
    original = purchases.alias("original")
    query = (
        select(
            purchases.c.external_id.label("purchase_id"),
            members.c.external_id.label("member_id"),
            purchases.c.occurred_at,
            stores.c.code.label("store"),
            purchases.c.channel,
            employees.c.code.label("employee"),
            purchases.c.kind,
            original.c.external_id.label("original_purchase_id"),
            purchase_lines.c.line_no,
            products.c.code.label("product"),
            categories.c.code.label("category"),
            purchase_lines.c.quantity,
            purchase_lines.c.amount,
        )
        .join(purchase_lines, purchase_lines.c.purchase_id == purchases.c.id)
        .join(products, products.c.id == purchase_lines.c.product_id)
        .outerjoin(categories, categories.c.id == purchase_lines.c.category_id)
        .outerjoin(members, members.c.id == purchases.c.member_id)
        .outerjoin(stores, stores.c.id == purchases.c.store_id)
        .outerjoin(employees, employees.c.id == purchases.c.employee_id)
        .outerjoin(original, original.c.id == purchases.c.original_id)
        .order_by(purchases.c.id, purchase_lines.c.line_no)
    )
    return pd.read_sql(query, connection)
