"""The loyalty programs in figures, read from the ledger: points moved, balances, tiers,
vouchers — per program, each one ``GROUP BY`` in the database.

Points moved are the ledger transactions' ``points`` (signed: an award is positive, a
redemption, an expiry or a refund's take-back negative; a release moves none), summed per
program and kind, over all time and inside a period. Balances are the accounts' cached
numbers, which ``regulars ledger verify`` holds to the entries; by double entry they add up:
everything ever moved = available + pending - debt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from regulars.store.dialect import instant
from regulars.store.tables import ledger_transactions, loyalty_accounts, loyalty_rewards


def points_moved(connection: Connection, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per program and transaction kind: points added (sum of the positive ``points``) and
    taken (sum of the negative ones, as a negative number), ever and in ``[since, until)``.

    Rows: ``program_id, kind, added, taken, added_in_period, taken_in_period``.
    """
    t = ledger_transactions.c
    in_period = and_(
        t.occurred_at >= instant(connection, since), t.occurred_at < instant(connection, until)
    )
    positive = t.points > 0
    negative = t.points < 0

    def total(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), t.points), else_=0)), 0)

    query = (
        select(
            loyalty_accounts.c.program_id,
            t.kind,
            total(positive).label("added"),
            total(negative).label("taken"),
            total(positive, in_period).label("added_in_period"),
            total(negative, in_period).label("taken_in_period"),
        )
        .join(loyalty_accounts, loyalty_accounts.c.id == t.account_id)
        .group_by(loyalty_accounts.c.program_id, t.kind)
        .order_by(loyalty_accounts.c.program_id, t.kind)
    )
    return [_ints(dict(r)) for r in connection.execute(query).mappings()]


def balances(connection: Connection) -> list[dict[str, Any]]:
    """Per program: accounts, points available, pending (inside the return window) and owed
    back by members (debt), from the accounts' cached balances."""
    a = loyalty_accounts.c
    query = (
        select(
            a.program_id,
            func.count().label("accounts"),
            func.coalesce(func.sum(a.available), 0).label("available"),
            func.coalesce(func.sum(a.pending), 0).label("pending"),
            func.coalesce(func.sum(a.debt), 0).label("debt"),
        )
        .group_by(a.program_id)
        .order_by(a.program_id)
    )
    return [_ints(dict(r)) for r in connection.execute(query).mappings()]


def tier_counts(connection: Connection) -> list[dict[str, Any]]:
    """Per program and tier code (None: no tier): how many accounts hold it."""
    a = loyalty_accounts.c
    query = (
        select(a.program_id, a.tier, func.count().label("members"))
        .group_by(a.program_id, a.tier)
        .order_by(a.program_id, a.tier)
    )
    return [_ints(dict(r)) for r in connection.execute(query).mappings()]


def voucher_counts(
    connection: Connection, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Per program, the reward vouchers: ``issued`` ever, ``open`` (issued and not yet used,
    expired or revoked), ``used``, ``expired``, ``revoked``; and in ``[since, until)``: issued,
    used and expired (by their expiry time)."""
    r = loyalty_rewards.c
    start, end = instant(connection, since), instant(connection, until)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            loyalty_accounts.c.program_id,
            func.count().label("issued"),
            count(r.state == "issued").label("open"),
            count(r.state == "redeemed").label("used"),
            count(r.state == "expired").label("expired"),
            count(r.state == "revoked").label("revoked"),
            count(and_(r.issued_at >= start, r.issued_at < end)).label("issued_in_period"),
            count(and_(r.redeemed_at >= start, r.redeemed_at < end)).label("used_in_period"),
            count(and_(r.state == "expired", r.expires_at >= start, r.expires_at < end)).label(
                "expired_in_period"
            ),
        )
        .join(loyalty_accounts, loyalty_accounts.c.id == r.account_id)
        .group_by(loyalty_accounts.c.program_id)
        .order_by(loyalty_accounts.c.program_id)
    )
    return [_ints(dict(row)) for row in connection.execute(query).mappings()]


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    """Sums come back as Decimal on PostgreSQL: points are integers."""
    return {k: int(v) if k not in ("kind", "tier") and v is not None else v for k, v in row.items()}
