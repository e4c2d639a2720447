"""Follow-up cases opened by detractors, and the notes of the staff who handle them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from regulars.domain.times import as_utc
from regulars.store.dialect import upsert_insert
from regulars.store.tables import (
    departments,
    employees,
    feedback_case_notes,
    feedback_cases,
    members,
    stores,
    surveys,
)

CASE_COLUMNS = (
    "response_id",
    "survey_id",
    "member_id",
    "score",
    "reason",
    "store_id",
    "department_id",
    "employee_id",
    "status",
    "owner",
    "opened_at",
    "due_at",
    "updated_at",
)
CASE_TIMES = ("opened_at", "due_at", "updated_at")
"""Moments are written and compared in UTC: SQLite keeps a datetime's wall clock and drops
its offset, so each is made UTC here (:func:`regulars.domain.times.as_utc`) first."""


def insert_cases(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Open cases (each a mapping of :data:`CASE_COLUMNS`); a response that already has a
    case keeps it."""
    if not rows:
        return
    statement = upsert_insert(connection, feedback_cases).on_conflict_do_nothing()
    connection.execute(
        statement, [{**row, **{t: as_utc(row[t]) for t in CASE_TIMES}} for row in rows]
    )


def _case_query() -> Any:
    c = feedback_cases
    return select(
        c,
        surveys.c.code.label("survey"),
        members.c.external_id.label("member"),
        stores.c.code.label("store"),
        departments.c.code.label("department"),
        employees.c.code.label("employee"),
    ).select_from(
        c.join(surveys, surveys.c.id == c.c.survey_id)
        .outerjoin(members, members.c.id == c.c.member_id)
        .outerjoin(stores, stores.c.id == c.c.store_id)
        .outerjoin(departments, departments.c.id == c.c.department_id)
        .outerjoin(employees, employees.c.id == c.c.employee_id)
    )


def case(connection: Connection, case_id: int) -> RowMapping | None:
    return (
        connection.execute(_case_query().where(feedback_cases.c.id == case_id)).mappings().first()
    )


def cases(
    connection: Connection,
    *,
    statuses: Sequence[str] = (),
    store: str | None = None,
    department: str | None = None,
    overdue_at: datetime | None = None,
    limit: int = 100,
    after_id: int = 0,
    owner: str | None = None,
) -> list[RowMapping]:
    """Cases in id order; ``owner`` "" keeps the unassigned ones."""
    query = _case_query().where(feedback_cases.c.id > after_id)
    if owner == "":
        query = query.where(feedback_cases.c.owner.is_(None))
    elif owner is not None:
        query = query.where(feedback_cases.c.owner == owner)
    if statuses:
        query = query.where(feedback_cases.c.status.in_(list(statuses)))
    if store is not None:
        query = query.where(stores.c.code == store)
    if department is not None:
        query = query.where(departments.c.code == department)
    if overdue_at is not None:
        query = query.where(feedback_cases.c.due_at < as_utc(overdue_at))
    return list(connection.execute(query.order_by(feedback_cases.c.id).limit(limit)).mappings())


def update_case(connection: Connection, case_id: int, values: dict[str, Any]) -> None:
    connection.execute(
        update(feedback_cases).where(feedback_cases.c.id == case_id).values(**_utc_times(values))
    )


def add_case_note(
    connection: Connection, case_id: int, at: datetime, author: str, text: str
) -> None:
    connection.execute(
        feedback_case_notes.insert().values(
            case_id=case_id, at=as_utc(at), author=author, text=text
        )
    )


def case_notes(connection: Connection, case_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(feedback_case_notes)
            .where(feedback_case_notes.c.case_id == case_id)
            .order_by(feedback_case_notes.c.at, feedback_case_notes.c.id)
        ).mappings()
    )


def case_ids_by_response(connection: Connection, response_ids: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(response_ids))
    rows = connection.execute(
        select(feedback_cases.c.response_id, feedback_cases.c.id).where(
            feedback_cases.c.response_id.in_(wanted)
        )
    )
    return {str(r): int(i) for r, i in rows}


def _utc_times(values: dict[str, Any]) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
