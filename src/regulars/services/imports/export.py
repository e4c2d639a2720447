"""Data back out, in the very format the importers read (so an export re-imports cleanly)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import select

from regulars.domain.members import ContactChannel
from regulars.services.imports.tabular import write_table
from regulars.store import members as member_store
from regulars.store.tables import (
    categories,
    employees,
    members,
    products,
    purchase_lines,
    purchases,
    stores,
)
from regulars.store.unit_of_work import UnitOfWork


def members_frame(uow: UnitOfWork) -> pd.DataFrame:
    query = select(
        members.c.id,
        members.c.external_id.label("member_id"),
        *[members.c[f] for f in member_store.MEMBER_FIELDS],
    ).order_by(members.c.id)
    frame = pd.DataFrame(
        uow.connection.execute(query).mappings().all(),
        columns=["id", "member_id", *member_store.MEMBER_FIELDS],
    )
    state = member_store.consent_state(uow.connection, frame["id"].tolist())
    for channel in ContactChannel:
        frame[f"consent_{channel.value}"] = [
            _yes_no(state.get((i, channel.value))) for i in frame["id"]
        ]
    return frame.drop(columns="id")


def _yes_no(granted: bool | None) -> str | None:
    return None if granted is None else ("yes" if granted else "no")


def purchases_frame(uow: UnitOfWork) -> pd.DataFrame:
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
    frame = pd.read_sql(query, uow.connection)
    occurred = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["occurred_at"] = occurred.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return frame


def export(uow: UnitOfWork, kind: Literal["members", "purchases"], path: Path) -> int:
    """Write all members or purchases to ``path`` (CSV or Parquet); return the row count."""
    frame = members_frame(uow) if kind == "members" else purchases_frame(uow)
    write_table(frame, path)
    return len(frame)
