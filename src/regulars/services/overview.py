"""A first look at what is in the store: counts, money, returning customers, by month."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select

from regulars.store.tables import members, purchase_lines, purchases, stores
from regulars.store.unit_of_work import UnitOfWork


def overview(uow: UnitOfWork) -> dict[str, Any]:
    """Headline figures, computed in the database (no transaction leaves it)."""
    c = uow.connection
    sale = purchases.c.kind == "sale"
    totals = (
        c.execute(
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
    returning = c.execute(
        select(func.count().filter(per_member.c.n >= 2), func.count()).select_from(per_member)
    ).one()
    by_segment: dict[str, int] = dict(
        c.execute(select(members.c.segment, func.count()).group_by(members.c.segment)).all()
    )
    by_store = [
        dict(r)
        for r in c.execute(
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
    lines = c.execute(select(func.count()).select_from(purchase_lines)).scalar_one()
    sales_count = int(totals["sales"])
    return {
        "members": sum(by_segment.values()),
        "members_by_segment": by_segment,
        "sales": sales_count,
        "refunds_and_returns": int(totals["refunds"]),
        "purchase_lines": int(lines),
        "net_revenue": int(totals["net_revenue"]),
        "average_check": round(int(totals["net_revenue"]) / sales_count) if sales_count else 0,
        "buyers": int(totals["buyers"]),
        "returning_customers": int(returning[0]),
        "returning_share": (returning[0] / returning[1]) if returning[1] else 0.0,
        "first_purchase": totals["first"],
        "last_purchase": totals["last"],
        "by_store": by_store,
    }


def monthly(uow: UnitOfWork) -> pd.DataFrame:
    """Sales count and net revenue per calendar month (UTC)."""
    c = uow.connection
    if c.dialect.name == "postgresql":
        month = func.to_char(purchases.c.occurred_at, "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", purchases.c.occurred_at)
    rows = (
        c.execute(
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


__all__ = ["monthly", "overview"]
