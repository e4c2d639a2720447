"""A first look at what is in the store: counts, money, returning customers, by month."""

from __future__ import annotations

from typing import Any

import pandas as pd

from regulars.domain.times import wire
from regulars.store.reads import overview as overview_reads
from regulars.store.unit_of_work import UnitOfWork


def overview(uow: UnitOfWork) -> dict[str, Any]:
    """Headline figures, computed in the database (no transaction leaves it)."""
    figures = overview_reads.headline(uow.connection)
    sales = figures["sales"]
    by_segment = figures["members_by_segment"]
    with_a_sale = figures["buyers_with_a_sale"]
    return {
        "members": sum(by_segment.values()),
        "members_by_segment": by_segment,
        "sales": sales,
        "refunds_and_returns": figures["refunds"],
        "purchase_lines": figures["purchase_lines"],
        "net_revenue": figures["net_revenue"],
        "average_check": round(figures["net_revenue"] / sales) if sales else 0,
        "buyers": figures["buyers"],
        "returning_customers": figures["returning_buyers"],
        "returning_share": (figures["returning_buyers"] / with_a_sale) if with_a_sale else 0.0,
        "first_purchase": wire(figures["first_purchase"]),
        "last_purchase": wire(figures["last_purchase"]),
        "by_store": figures["by_store"],
    }


def monthly(uow: UnitOfWork) -> pd.DataFrame:
    """Sales count and net revenue per calendar month (UTC)."""
    return overview_reads.monthly(uow.connection)


__all__ = ["monthly", "overview"]
