"""The store at a glance: counts, money, returning customers, by store and by month."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from regulars.domain.times import as_utc
from regulars.store.dialect import is_postgres
from regulars.store.tables import members, purchase_lines, purchases, stores


def headline(connection: Connection) -> dict[str, Any]:
    """Totals over every purchase and member (times in UTC); one query per figure group."""
    sale = purchases.c.kind == "sale"
    totals = (
        connection.execute(
            select(
                func.count().filter(sale).label("sales"),
                func.count().filter(~sale).label("refunds"),
                func.coalesce(func.sum(purchases.c.total_amount), 0).label("net_revenue"),
                func.count(func.distinct(purchases.c.member_id)).label("buyers"),
                func.min(purchases.c.occurred_at).label("first"),
                func.max(purchases.c.occurred_at).label("last"),
            )
        )
        .mappings()
        .one()
    )
    per_member = (
        select(purchases.c.member_id, func.count().label("n"))
        .where(sale, purchases.c.member_id.is_not(None))
        .group_by(purchases.c.member_id)
        .subquery()
    )
    returning, repeat_buyers = connection.execute(
        select(func.count().filter(per_member.c.n >= 2), func.count()).select_from(per_member)
    ).one()
    by_segment = {
        str(segment): int(n)
        for segment, n in connection.execute(
            select(members.c.segment, func.count()).group_by(members.c.segment)
        )
    }
    by_store = [
        dict(r)
        for r in connection.execute(
            select(
                stores.c.code,
                stores.c.name,
                func.count(purchases.c.id).label("purchases"),
                func.sum(purchases.c.total_amount).label("net_revenue"),
            )
            .join(purchases, purchases.c.store_id == stores.c.id)
            .group_by(stores.c.code, stores.c.name)
            .order_by(stores.c.code)
        ).mappings()
    ]
    lines = connection.execute(select(func.count()).select_from(purchase_lines)).scalar_one()
    return {
        "sales": int(totals["sales"]),
        "refunds": int(totals["refunds"]),
        "net_revenue": int(totals["net_revenue"]),
        "buyers": int(totals["buyers"]),
        "first_purchase": as_utc(totals["first"]),
        "last_purchase": as_utc(totals["last"]),
        "returning_buyers": int(returning),
        "buyers_with_a_sale": int(repeat_buyers),
        "members_by_segment": by_segment,
        "by_store": by_store,
        "purchase_lines": int(lines),
    }


def monthly(connection: Connection) -> pd.DataFrame:
    """Sales count, net revenue and active members per calendar month (UTC)."""
    if is_postgres(connection):
        month = func.to_char(purchases.c.occurred_at, "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", purchases.c.occurred_at)
    rows = (
        connection.execute(
            select(
                month.label("month"),
                func.count().filter(purchases.c.kind == "sale").label("sales"),
                func.sum(purchases.c.total_amount).label("net_revenue"),
                func.count(func.distinct(purchases.c.member_id)).label("active_members"),
            )
            .group_by(month)
            .order_by(month)
        )
        .mappings()
        .all()
    )
    return pd.DataFrame(rows, columns=["month", "sales", "net_revenue", "active_members"])
