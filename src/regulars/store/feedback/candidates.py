"""Who may be asked to answer a survey: members who bought in a window, the members still
active, and the language each reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, RowMapping, select

from regulars.domain.times import as_utc
from regulars.store.tables import employees, members, purchases


def purchases_between(connection: Connection, since: datetime, until: datetime) -> list[RowMapping]:
    """Sales by members that happened in ``[since, until)``, with where and by whom."""
    return list(
        connection.execute(
            select(
                purchases.c.id,
                purchases.c.external_id,
                purchases.c.member_id,
                purchases.c.occurred_at,
                purchases.c.store_id,
                purchases.c.channel,
                purchases.c.employee_id,
                employees.c.department_id,
            )
            .select_from(purchases.outerjoin(employees, employees.c.id == purchases.c.employee_id))
            .where(
                purchases.c.member_id.is_not(None),
                purchases.c.kind == "sale",
                purchases.c.occurred_at >= as_utc(since),
                purchases.c.occurred_at < as_utc(until),
            )
            .order_by(purchases.c.occurred_at, purchases.c.id)
        ).mappings()
    )


def active_members(connection: Connection, segment: str | None = None) -> list[RowMapping]:
    query = select(members.c.id, members.c.external_id, members.c.locale).where(
        members.c.erased_at.is_(None)
    )
    if segment is not None:
        query = query.where(members.c.segment == segment)
    return list(connection.execute(query.order_by(members.c.id)).mappings())


def member_locales(connection: Connection, member_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(member_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        rows = connection.execute(
            select(members.c.id, members.c.locale).where(
                members.c.id.in_(chunk), members.c.erased_at.is_(None)
            )
        )
        found.update({int(m): str(loc) for m, loc in rows})
    return found
