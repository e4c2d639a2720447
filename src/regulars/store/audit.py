"""The audit log: one row per action that changed data, with who, when, what, before, after.

Written by :func:`regulars.services.audit.record` in the transaction of the change itself,
so an entry exists exactly when the change was committed. Read newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from regulars.domain.times import as_utc
from regulars.store.tables import audit_log


def add(connection: Connection, values: dict[str, Any]) -> int:
    statement = (
        insert(audit_log).values(**{**values, "at": as_utc(values["at"])}).returning(audit_log.c.id)
    )
    return int(connection.execute(statement).scalar_one())


def entries(
    connection: Connection,
    *,
    before_id: int | None = None,
    member_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries newest first; ``before_id`` pages back (keyset)."""
    query = select(audit_log)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if member_id is not None:
        query = query.where(audit_log.c.member_id == member_id)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if since is not None:
        query = query.where(audit_log.c.at >= as_utc(since))
    rows = connection.execute(query.order_by(audit_log.c.id.desc()).limit(limit)).mappings()
    return [{**r, "at": as_utc(r["at"])} for r in rows]
