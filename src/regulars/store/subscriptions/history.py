"""What happens to a contract over its life: plan changes and monthly bills.

Both are written in bulk and skip what is already there (a plan change by its external id,
a bill by its contract and month), so a re-import adds nothing twice; dates are given as
``YYYY-MM-DD`` strings, the bulk writers' wire form.
"""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, select

from regulars.store.bulk import Columns, insert_ignoring_conflicts, insert_new
from regulars.store.tables import subscription_bills, subscription_plan_changes
from regulars.store.tables import subscription_plans as plans

CHANGE_COLUMNS = (
    "external_id",
    "subscription_id",
    "changed_on",
    "from_plan_id",
    "to_plan_id",
    "fee_before",
    "fee_after",
)
BILL_COLUMNS = ("subscription_id", "month", "amount", "data_gb", "voice_minutes", "usage")


def add_changes(connection: Connection, columns: Columns) -> int:
    """Add plan changes (:data:`CHANGE_COLUMNS`), skipping external ids already stored;
    return how many were new."""
    return len(insert_new(connection, subscription_plan_changes, columns, "external_id"))


def add_bills(connection: Connection, columns: Columns) -> int:
    """Add bills (:data:`BILL_COLUMNS`), skipping a contract's month already billed; return
    how many were new."""
    return insert_ignoring_conflicts(connection, subscription_bills, columns)


def changes_of(connection: Connection, subscription_id: int) -> list[RowMapping]:
    """A contract's plan changes, oldest first, with plan codes."""
    before, after = plans.alias("before"), plans.alias("after")
    c = subscription_plan_changes
    query = (
        select(
            c.c.external_id.label("change_id"),
            c.c.changed_on,
            before.c.code.label("from_plan"),
            after.c.code.label("to_plan"),
            c.c.fee_before,
            c.c.fee_after,
        )
        .join(before, before.c.id == c.c.from_plan_id)
        .join(after, after.c.id == c.c.to_plan_id)
        .where(c.c.subscription_id == subscription_id)
        .order_by(c.c.changed_on, c.c.external_id)
    )
    return list(connection.execute(query).mappings())


def bills_of(
    connection: Connection, subscription_id: int, limit: int | None = None
) -> list[RowMapping]:
    """A contract's bills, newest month first (the latest ``limit`` of them)."""
    b = subscription_bills
    query = (
        select(b.c.month, b.c.amount, b.c.data_gb, b.c.voice_minutes, b.c.usage)
        .where(b.c.subscription_id == subscription_id)
        .order_by(b.c.month.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(connection.execute(query).mappings())
