"""Survey invitations: who was asked, by which link (its token's hash), and whether the
link was used."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update

from regulars.domain.times import as_utc
from regulars.store.dialect import upsert_insert
from regulars.store.tables import (
    departments,
    employees,
    members,
    purchases,
    stores,
    survey_invitations,
    surveys,
)


def last_invited(connection: Connection, member_ids: Iterable[int]) -> dict[int, datetime]:
    """When each member was last invited to any survey (members never invited are absent)."""
    wanted = sorted(set(member_ids))
    found: dict[int, datetime] = {}
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        rows = connection.execute(
            select(survey_invitations.c.member_id, func.max(survey_invitations.c.created_at))
            .where(survey_invitations.c.member_id.in_(chunk))
            .group_by(survey_invitations.c.member_id)
        )
        found.update({int(m): at for m, at in rows})
    return found


def add_invitation(connection: Connection, values: dict[str, Any]) -> int | None:
    """Insert one invitation; None when its ``dedupe_key`` was already used."""
    statement = (
        upsert_insert(connection, survey_invitations)
        .values(**{k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()})
        .on_conflict_do_nothing(index_elements=[survey_invitations.c.dedupe_key])
        .returning(survey_invitations.c.id)
    )
    added = connection.execute(statement).scalar()
    return None if added is None else int(added)


def add_invitations(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert many invitations in one statement (rows with the same keys); ``dedupe_key`` ->
    id of those added (a key already used is absent)."""
    if not rows:
        return {}
    i = survey_invitations
    statement = (
        upsert_insert(connection, i)
        .on_conflict_do_nothing(index_elements=[i.c.dedupe_key])
        .returning(i.c.dedupe_key, i.c.id)
    )
    values = [
        {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()} for row in rows
    ]
    added = connection.execute(statement, values)
    return {str(key): int(id_) for key, id_ in added}


def invitation(connection: Connection, invitation_id: int) -> RowMapping | None:
    return _invitation(connection, survey_invitations.c.id == invitation_id)


def invitation_by_token(connection: Connection, token_hash: str) -> RowMapping | None:
    return _invitation(connection, survey_invitations.c.token_hash == token_hash)


def _invitation(connection: Connection, where: Any) -> RowMapping | None:
    i = survey_invitations
    return (
        connection.execute(
            select(
                i,
                surveys.c.code.label("survey_code"),
                surveys.c.definition,
                surveys.c.active.label("survey_active"),
                members.c.external_id.label("member_external_id"),
                members.c.locale.label("member_locale"),
                stores.c.code.label("store_code"),
                stores.c.name.label("store_name"),
                departments.c.code.label("department_code"),
                employees.c.code.label("employee_code"),
                employees.c.name.label("employee_name"),
                purchases.c.external_id.label("purchase_external_id"),
            )
            .select_from(
                i.join(surveys, surveys.c.id == i.c.survey_id)
                .join(members, members.c.id == i.c.member_id)
                .outerjoin(stores, stores.c.id == i.c.store_id)
                .outerjoin(departments, departments.c.id == i.c.department_id)
                .outerjoin(employees, employees.c.id == i.c.employee_id)
                .outerjoin(purchases, purchases.c.id == i.c.purchase_id)
            )
            .where(where)
        )
        .mappings()
        .first()
    )


def use_invitation(
    connection: Connection, invitation_id: int, response_id: str, now: datetime
) -> bool:
    """Mark the invitation used; False when it already was (a second submit loses the race)."""
    result = connection.execute(
        update(survey_invitations)
        .where(survey_invitations.c.id == invitation_id, survey_invitations.c.used_at.is_(None))
        .values(used_at=as_utc(now), response_id=response_id)
    )
    return result.rowcount == 1


def invitations_of(connection: Connection, member_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(survey_invitations)
            .where(survey_invitations.c.member_id == member_id)
            .order_by(survey_invitations.c.id)
        ).mappings()
    )
