"""What tiers and discount cards measure over a rolling window: spend, purchases, points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select

from regulars.store.tables import ledger_transactions, loyalty_accounts, purchases


def cumulative_spend(
    connection: Connection, member_id: int, since: datetime | None, now: datetime
) -> int:
    """What the member spent (net of refunds) in ``(since, now]`` (``since`` None: ever)."""
    query = select(func.coalesce(func.sum(purchases.c.total_amount), 0)).where(
        purchases.c.member_id == member_id, purchases.c.occurred_at <= now
    )
    if since is not None:
        query = query.where(purchases.c.occurred_at > since)
    return int(connection.execute(query).scalar_one())


def by_member(
    connection: Connection, program_id: int, measure: str, since: datetime, now: datetime
) -> dict[int, int]:
    """Each member's ``measure`` over ``(since, now]``: ``points`` earned in the program,
    ``spend`` (net of refunds) or ``purchases`` (sales less refunds and returns)."""
    if measure == "points":
        query: Any = (
            select(loyalty_accounts.c.member_id, func.sum(ledger_transactions.c.points))
            .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
            .where(
                loyalty_accounts.c.program_id == program_id,
                ledger_transactions.c.kind == "earn",
                ledger_transactions.c.occurred_at > since,
                ledger_transactions.c.occurred_at <= now,
            )
            .group_by(loyalty_accounts.c.member_id)
        )
    else:
        value = (
            func.sum(purchases.c.total_amount)
            if measure == "spend"
            else func.sum(case((purchases.c.kind == "sale", 1), else_=-1))
        )
        query = (
            select(purchases.c.member_id, value)
            .where(
                purchases.c.member_id.is_not(None),
                purchases.c.occurred_at > since,
                purchases.c.occurred_at <= now,
            )
            .group_by(purchases.c.member_id)
        )
    return {int(m): int(v or 0) for m, v in connection.execute(query)}


def windows(
    connection: Connection,
    program_id: int,
    measure: str,
    rows: list[tuple[int, datetime, datetime]],
) -> list[int]:
    """Each ``(member_id, since, until)``'s ``measure`` over ``(since, until]``: ``spend``
    (net of refunds), ``purchases`` (sales less refunds and returns) or ``points`` earned in
    the program — what a tier measures, at the moment of a member's sale. One indexed query
    per row, of one text (a till's sale asks for one row)."""
    if measure == "points":
        query: Any = (
            select(func.coalesce(func.sum(ledger_transactions.c.points), 0))
            .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
            .where(
                loyalty_accounts.c.member_id == bindparam("m"),
                loyalty_accounts.c.program_id == program_id,
                ledger_transactions.c.kind == "earn",
                ledger_transactions.c.occurred_at > bindparam("s"),
                ledger_transactions.c.occurred_at <= bindparam("u"),
            )
        )
    else:
        value = (
            purchases.c.total_amount
            if measure == "spend"
            else case((purchases.c.kind == "sale", 1), else_=-1)
        )
        query = select(func.coalesce(func.sum(value), 0)).where(
            purchases.c.member_id == bindparam("m"),
            purchases.c.occurred_at > bindparam("s"),
            purchases.c.occurred_at <= bindparam("u"),
        )
    return [
        int(connection.execute(query, {"m": m, "s": s, "u": u}).scalar_one()) for m, s, u in rows
    ]
