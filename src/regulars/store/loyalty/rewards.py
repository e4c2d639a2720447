"""Reward vouchers (a stamp card's free coffee): issued, redeemed once, expired, revoked.

New vouchers are written by :class:`regulars.store.loyalty.writer.Writer` with the stamps
that completed them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from sqlalchemy import Connection, RowMapping, func, select, update

from regulars.store.dialect import is_postgres
from regulars.store.tables import loyalty_accounts, loyalty_rewards


def reward(connection: Connection, code: str) -> RowMapping | None:
    return (
        connection.execute(select(loyalty_rewards).where(loyalty_rewards.c.code == code))
        .mappings()
        .first()
    )


_ACCOUNT_REWARDS = "SELECT * FROM loyalty_rewards WHERE account_id = %s ORDER BY id"


def account_rewards(connection: Connection, account_id: int) -> list[Any]:
    """The account's vouchers, oldest first."""
    if is_postgres(connection):  # a quote shows them: a fixed, prepared text
        raw = connection.connection.driver_connection
        with raw.cursor(row_factory=dict_row) as cursor:  # type: ignore[union-attr]
            cursor.execute(
                "SELECT * FROM loyalty_rewards WHERE account_id = %s ORDER BY id", (account_id,)
            )
            return list(cursor.fetchall())
    return list(
        connection.execute(
            select(loyalty_rewards)
            .where(loyalty_rewards.c.account_id == account_id)
            .order_by(loyalty_rewards.c.id)
        ).mappings()
    )


def use(connection: Connection, code: str, key: str, now: datetime) -> bool:
    """Mark the voucher redeemed under ``key`` if it is issued and still valid; False when it
    was not (already used, expired, revoked)."""
    return bool(
        connection.execute(
            update(loyalty_rewards)
            .where(
                loyalty_rewards.c.code == code,
                loyalty_rewards.c.state == "issued",
                (loyalty_rewards.c.expires_at.is_(None)) | (loyalty_rewards.c.expires_at > now),
            )
            .values(state="redeemed", redeemed_at=now, redeem_key=key)
        ).rowcount
    )


def expire_due(connection: Connection, now: datetime) -> int:
    """Expire every issued voucher past its expiry; return how many."""
    return int(
        connection.execute(
            update(loyalty_rewards)
            .where(loyalty_rewards.c.state == "issued", loyalty_rewards.c.expires_at <= now)
            .values(state="expired")
        ).rowcount
    )


def issued_for_purchase(
    connection: Connection, account_id: int, purchase_id: int
) -> list[tuple[int, str]]:
    """``(id, code)`` of the account's unused vouchers that a purchase completed, oldest
    first."""
    return [
        (int(i), str(code))
        for i, code in connection.execute(
            select(loyalty_rewards.c.id, loyalty_rewards.c.code)
            .where(
                loyalty_rewards.c.purchase_id == purchase_id,
                loyalty_rewards.c.account_id == account_id,
                loyalty_rewards.c.state == "issued",
            )
            .order_by(loyalty_rewards.c.id)
        )
    ]


def revoke(connection: Connection, reward_id: int) -> None:
    connection.execute(
        update(loyalty_rewards).where(loyalty_rewards.c.id == reward_id).values(state="revoked")
    )


def rewards_by_state(connection: Connection, program_id: int) -> dict[str, int]:
    """Vouchers of a program counted by state (issued, redeemed, expired, void)."""
    rows = connection.execute(
        select(loyalty_rewards.c.state, func.count())
        .join(loyalty_accounts, loyalty_accounts.c.id == loyalty_rewards.c.account_id)
        .where(loyalty_accounts.c.program_id == program_id)
        .group_by(loyalty_rewards.c.state)
    )
    return {str(state): int(count) for state, count in rows}
