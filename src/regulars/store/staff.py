"""Staff users, their console sessions and their sign-in attempts.

The rules (password hashing, how a session token is made, throttling) live in
:mod:`regulars.services.staff`; this module only reads and writes rows. Every time is written
in UTC and read back aware.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from regulars.domain.times import as_utc
from regulars.store.tables import staff_sessions, staff_sign_ins, staff_users

USER_TIMES = ("created_at", "updated_at", "last_sign_in_at")


def _user(row: RowMapping | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {**row, **{t: as_utc(row[t]) for t in USER_TIMES}}


def add_user(connection: Connection, values: dict[str, Any]) -> int:
    """Store a new staff user; an e-mail already taken raises an integrity error."""
    statement = insert(staff_users).values(**_utc(values)).returning(staff_users.c.id)
    return int(connection.execute(statement).scalar_one())


def user(connection: Connection, staff_id: int) -> dict[str, Any] | None:
    query = select(staff_users).where(staff_users.c.id == staff_id)
    return _user(connection.execute(query).mappings().first())


def user_by_email(connection: Connection, email: str) -> dict[str, Any] | None:
    query = select(staff_users).where(staff_users.c.email == email)
    return _user(connection.execute(query).mappings().first())


def users(connection: Connection) -> list[dict[str, Any]]:
    rows = connection.execute(select(staff_users).order_by(staff_users.c.id)).mappings()
    return [u for u in (_user(r) for r in rows) if u is not None]


def count_users(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(staff_users)).scalar_one())


def update_user(connection: Connection, staff_id: int, values: dict[str, Any]) -> None:
    connection.execute(
        update(staff_users).where(staff_users.c.id == staff_id).values(**_utc(values))
    )


def add_session(connection: Connection, values: dict[str, Any]) -> int:
    statement = insert(staff_sessions).values(**_utc(values)).returning(staff_sessions.c.id)
    return int(connection.execute(statement).scalar_one())


def session_by_hash(connection: Connection, token_hash: str) -> dict[str, Any] | None:
    row = (
        connection.execute(select(staff_sessions).where(staff_sessions.c.token_hash == token_hash))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return {
        **row,
        **{t: as_utc(row[t]) for t in ("created_at", "expires_at", "last_seen_at", "ended_at")},
    }


def touch_session(connection: Connection, session_id: int, at: datetime) -> None:
    connection.execute(
        update(staff_sessions)
        .where(staff_sessions.c.id == session_id)
        .values(last_seen_at=as_utc(at))
    )


def end_session(connection: Connection, session_id: int, at: datetime) -> None:
    connection.execute(
        update(staff_sessions)
        .where(staff_sessions.c.id == session_id, staff_sessions.c.ended_at.is_(None))
        .values(ended_at=as_utc(at))
    )


def end_sessions_of(connection: Connection, staff_id: int, at: datetime) -> int:
    """End every open session of the user (disabled, or a new password)."""
    return int(
        connection.execute(
            update(staff_sessions)
            .where(staff_sessions.c.staff_id == staff_id, staff_sessions.c.ended_at.is_(None))
            .values(ended_at=as_utc(at))
        ).rowcount
    )


def record_sign_in(
    connection: Connection, email: str, address: str, at: datetime, succeeded: bool
) -> None:
    connection.execute(
        insert(staff_sign_ins).values(
            email=email, address=address, at=as_utc(at), succeeded=succeeded
        )
    )


def failed_sign_ins(
    connection: Connection, email: str, address: str, since: datetime
) -> tuple[list[datetime], list[datetime]]:
    """The times of failed sign-ins since ``since``: for the e-mail, and from the address."""
    found = []
    for column, value in ((staff_sign_ins.c.email, email), (staff_sign_ins.c.address, address)):
        times = connection.execute(
            select(staff_sign_ins.c.at).where(
                column == value,
                staff_sign_ins.c.at > as_utc(since),
                staff_sign_ins.c.succeeded.is_(False),
            )
        ).scalars()
        found.append([as_utc(t) for t in times])
    return found[0], found[1]


def forget_sign_ins(connection: Connection, before: datetime) -> None:
    """Delete sign-in attempts older than ``before`` (they no longer count)."""
    connection.execute(delete(staff_sign_ins).where(staff_sign_ins.c.at < as_utc(before)))


def _utc(values: dict[str, Any]) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
