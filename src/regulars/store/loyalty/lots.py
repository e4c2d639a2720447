"""Points lots: what each award left to spend, when it opens and when it expires.

Lots are read as :class:`regulars.domain.loyalty.ledger.Lot` (times in UTC), so that the
domain's rules (spend order, claw-back) decide what to draw; this module then draws, releases
and closes them. Only ever called under the account's lock (see the package doc).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, RowMapping, and_, func, select, update

from regulars.domain.loyalty.ledger import Lot
from regulars.domain.times import as_utc
from regulars.store.dialect import is_postgres
from regulars.store.tables import loyalty_accounts, outbox, points_lots


def _lot(row: Any) -> Lot:
    return Lot(
        id=row.id,
        points=row.points,
        remaining=row.remaining,
        awarded_at=as_utc(row.awarded_at),
        release_at=as_utc(row.release_at),
        expires_at=as_utc(row.expires_at),
        released=row.released,
        closed=row.closed,
    )


_OPEN_LOTS = (
    "SELECT id, points, remaining, awarded_at, release_at, expires_at, released, closed "
    "FROM points_lots WHERE account_id = %s AND NOT closed AND remaining > 0"
)


def open_lots(connection: Connection, account_id: int) -> list[Lot]:
    """The account's lots that still hold points (pending or open)."""
    if is_postgres(connection):  # every spend and quote reads them: a fixed, prepared text
        raw = connection.connection.driver_connection
        with raw.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
            cursor.execute(_OPEN_LOTS, (account_id,))
            return [_lot(r) for r in cursor.fetchall()]
    rows = connection.execute(
        select(points_lots).where(
            points_lots.c.account_id == account_id,
            points_lots.c.closed.is_(False),
            points_lots.c.remaining > 0,
        )
    )
    return [_lot(r) for r in rows]


def purchase_lots(connection: Connection, account_id: int, purchase_id: int) -> list[Lot]:
    """The lots a purchase awarded to the account."""
    rows = connection.execute(
        select(points_lots).where(
            points_lots.c.account_id == account_id, points_lots.c.purchase_id == purchase_id
        )
    )
    return [_lot(r) for r in rows]


def draw_lots(connection: Connection, draws: Sequence[tuple[int, int]]) -> None:
    """Take ``points`` from each ``(lot_id, points)``; the CHECK keeps remaining >= 0."""
    for lot_id, points in draws:
        connection.execute(
            update(points_lots)
            .where(points_lots.c.id == lot_id)
            .values(remaining=points_lots.c.remaining - points)
        )


def release_due(
    connection: Connection, account_id: int, now: datetime
) -> list[tuple[int, int, bool]]:
    """Mark the account's pending lots whose return window has passed as released; return
    each one's ``(id, remaining, closed)`` (none when nothing was due)."""
    rows = list(
        connection.execute(
            select(points_lots.c.id, points_lots.c.remaining, points_lots.c.closed).where(
                points_lots.c.account_id == account_id,
                points_lots.c.released.is_(False),
                points_lots.c.release_at <= now,
            )
        )
    )
    if rows:
        connection.execute(
            update(points_lots)
            .where(points_lots.c.id.in_([r.id for r in rows]))
            .values(released=True)
        )
    return [(int(r.id), int(r.remaining), bool(r.closed)) for r in rows]


def close_expired(connection: Connection, account_id: int, now: datetime) -> list[tuple[int, int]]:
    """Close the account's open lots past their expiry (nothing remains in them); return
    what each one held, ``(id, remaining)`` (none when nothing was due)."""
    rows = list(
        connection.execute(
            select(points_lots.c.id, points_lots.c.remaining).where(
                points_lots.c.account_id == account_id,
                points_lots.c.released.is_(True),
                points_lots.c.closed.is_(False),
                points_lots.c.expires_at <= now,
            )
        )
    )
    if rows:
        connection.execute(
            update(points_lots)
            .where(points_lots.c.id.in_([r.id for r in rows]))
            .values(closed=True, remaining=0)
        )
    return [(int(r.id), int(r.remaining)) for r in rows]


def lots_due(
    connection: Connection, *, release: bool, now: datetime, limit: int, after: int = 0
) -> list[int]:
    """Accounts (ids above ``after``, ascending, at most ``limit``) with lots due for release
    (or, ``release=False``, for expiry)."""
    if release:
        condition = and_(points_lots.c.released.is_(False), points_lots.c.release_at <= now)
    else:
        condition = and_(
            points_lots.c.released.is_(True),
            points_lots.c.closed.is_(False),
            points_lots.c.expires_at <= now,
        )
    rows = connection.execute(
        select(points_lots.c.account_id)
        .where(condition, points_lots.c.account_id > after)
        .group_by(points_lots.c.account_id)
        .order_by(points_lots.c.account_id)
        .limit(limit)
    )
    return [int(r[0]) for r in rows]


def account_lots(connection: Connection, account_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(points_lots)
            .where(points_lots.c.account_id == account_id)
            .order_by(points_lots.c.id)
        ).mappings()
    )


def expiring_soon(
    connection: Connection, now: datetime, days: int
) -> list[tuple[int, int, datetime, int]]:
    """``(account id, member id, expires at, points)`` of open points that expire within
    ``days``, one per account and expiry moment."""
    rows = connection.execute(
        select(
            points_lots.c.account_id,
            loyalty_accounts.c.member_id,
            points_lots.c.expires_at,
            func.sum(points_lots.c.remaining),
        )
        .join(loyalty_accounts, loyalty_accounts.c.id == points_lots.c.account_id)
        .where(
            points_lots.c.released.is_(True),
            points_lots.c.closed.is_(False),
            points_lots.c.remaining > 0,
            points_lots.c.expires_at > now,
            points_lots.c.expires_at <= now + timedelta(days=days),
        )
        .group_by(points_lots.c.account_id, loyalty_accounts.c.member_id, points_lots.c.expires_at)
    )
    return [(int(a), int(m), expires, int(points)) for a, m, expires, points in rows]


def warned(connection: Connection, dedupe_key: str) -> bool:
    """Whether the expiry warning with this key is already in the outbox (counted by looking
    first: ``outbox.enqueue``'s rowcount is not reliable on psycopg)."""
    found = connection.execute(select(outbox.c.id).where(outbox.c.dedupe_key == dedupe_key))
    return found.first() is not None


def lots_by_id(connection: Connection, lot_ids: Sequence[int]) -> dict[int, Lot]:
    """These lots as they are now, by id."""
    if not lot_ids:
        return {}
    rows = connection.execute(select(points_lots).where(points_lots.c.id.in_(sorted(set(lot_ids)))))
    return {int(r.id): _lot(r) for r in rows}
