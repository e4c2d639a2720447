"""Surveys, invitations, answers and follow-up cases: every query of the feedback area.

:func:`answers_frame` is the one door analytics reads answers through; its columns are a
contract (:data:`ANSWER_COLUMNS`), kept stable whatever the tables become.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, RowMapping, Table, func, select, update

from regulars.store.dialect import upsert_insert
from regulars.store.tables import (
    departments,
    employees,
    feedback_case_notes,
    feedback_cases,
    members,
    purchases,
    stores,
    survey_answers,
    survey_invitations,
    surveys,
)

ANSWER_COLUMNS = (
    "response_id",
    "survey",
    "member_id",
    "question",
    "driver",
    "value",
    "text",
    "language",
    "store",
    "channel",
    "department",
    "employee",
    "purchase_id",
    "collected_at",
    "source",
)
DRIVER_QUESTIONS = ("driver_rating", "driver_importance")


def answers_frame(
    connection: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    survey: str | None = None,
) -> pd.DataFrame:
    """Every answer, one row per answered question, with the columns of :data:`ANSWER_COLUMNS`.

    ``member_id``, ``store``, ``department``, ``employee`` and ``purchase_id`` are the business's
    own ids/codes (None when absent or the member was erased); ``value`` is a float (NaN for
    text answers); ``collected_at`` is a UTC timestamp; ``driver`` is set only for
    ``driver_rating`` and ``driver_importance``. A ``csat`` row carries only the column of what
    it rates (``store``/``channel`` for a touchpoint, ``department`` or ``employee``); the other
    questions carry the whole context of the response. Optional filters: ``since`` (inclusive),
    ``until`` (exclusive), ``survey`` code.
    """
    a = survey_answers
    query = (
        select(
            a.c.response_id,
            surveys.c.code.label("survey"),
            members.c.external_id.label("member_id"),
            a.c.question,
            a.c.subject,
            a.c.value,
            a.c.text,
            a.c.language,
            stores.c.code.label("store"),
            a.c.channel,
            departments.c.code.label("department"),
            employees.c.code.label("employee"),
            purchases.c.external_id.label("purchase_id"),
            a.c.collected_at,
            a.c.source,
        )
        .select_from(
            a.join(surveys, surveys.c.id == a.c.survey_id)
            .outerjoin(members, members.c.id == a.c.member_id)
            .outerjoin(stores, stores.c.id == a.c.store_id)
            .outerjoin(departments, departments.c.id == a.c.department_id)
            .outerjoin(employees, employees.c.id == a.c.employee_id)
            .outerjoin(purchases, purchases.c.id == a.c.purchase_id)
        )
        .order_by(a.c.collected_at, a.c.response_id, a.c.id)
    )
    if since is not None:
        query = query.where(a.c.collected_at >= since)
    if until is not None:
        query = query.where(a.c.collected_at < until)
    if survey is not None:
        query = query.where(surveys.c.code == survey)
    rows = connection.execute(query).all()
    names = [*ANSWER_COLUMNS[:4], "subject", *ANSWER_COLUMNS[5:]]
    frame = pd.DataFrame(rows, columns=names)
    is_driver = frame["question"].isin(DRIVER_QUESTIONS)
    frame["driver"] = frame["subject"].where(is_driver, None).astype(object)
    frame = frame[list(ANSWER_COLUMNS)]
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["collected_at"] = pd.to_datetime(frame["collected_at"], utc=True)
    for name in ANSWER_COLUMNS:
        if name not in ("value", "collected_at"):
            column = frame[name].astype(object)
            frame[name] = column.where(column.notna(), None)
    return frame.reset_index(drop=True)


# --- surveys ---------------------------------------------------------------------------------


def survey_by_code(connection: Connection, code: str) -> RowMapping | None:
    return connection.execute(select(surveys).where(surveys.c.code == code)).mappings().first()


def survey_by_id(connection: Connection, survey_id: int) -> RowMapping | None:
    return connection.execute(select(surveys).where(surveys.c.id == survey_id)).mappings().first()


def survey_ids(connection: Connection, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = connection.execute(
        select(surveys.c.code, surveys.c.id).where(surveys.c.code.in_(wanted))
    )
    return {code: int(id_) for code, id_ in rows}


def list_surveys(connection: Connection) -> list[RowMapping]:
    return list(connection.execute(select(surveys).order_by(surveys.c.code)).mappings())


def save_survey(
    connection: Connection, code: str, name: str, definition: str, active: bool, now: datetime
) -> bool:
    """Insert or replace the survey ``code``; return True when it is new."""
    stored = survey_by_code(connection, code)
    values = {"name": name, "definition": definition, "active": active, "updated_at": now}
    if stored is None:
        connection.execute(surveys.insert().values(code=code, created_at=now, **values))
        return True
    connection.execute(update(surveys).where(surveys.c.id == stored["id"]).values(**values))
    return False


# --- invitations -----------------------------------------------------------------------------


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
        .values(**values)
        .on_conflict_do_nothing(index_elements=[survey_invitations.c.dedupe_key])
        .returning(survey_invitations.c.id)
    )
    added = connection.execute(statement).scalar()
    return None if added is None else int(added)


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
        .values(used_at=now, response_id=response_id)
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
                purchases.c.occurred_at >= since,
                purchases.c.occurred_at < until,
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


# --- answers ---------------------------------------------------------------------------------

ANSWER_WRITE_COLUMNS = (
    "response_id",
    "survey_id",
    "member_id",
    "question",
    "subject",
    "value",
    "text",
    "language",
    "store_id",
    "channel",
    "department_id",
    "employee_id",
    "purchase_id",
    "collected_at",
    "source",
)


def insert_answers(connection: Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Insert answers (tuples in :data:`ANSWER_WRITE_COLUMNS` order, timestamps as wire
    strings); answers already stored under the same (response, question, subject) are
    skipped. Return how many were new."""
    return _insert_new(connection, survey_answers, ANSWER_WRITE_COLUMNS, rows, ("collected_at",))


def existing_responses(connection: Connection, response_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(response_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        rows = connection.execute(
            select(survey_answers.c.response_id)
            .where(survey_answers.c.response_id.in_(chunk))
            .distinct()
        )
        found.update(str(r) for (r,) in rows)
    return found


def nps_answers(connection: Connection, response_ids: Iterable[str]) -> list[RowMapping]:
    """The 0-10 answer of each response, with its context and its open answers."""
    wanted = sorted(set(response_ids))
    a = survey_answers
    why = a.alias("why")
    to_10 = a.alias("to_10")
    found: list[RowMapping] = []
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        found.extend(
            connection.execute(
                select(
                    a.c.response_id,
                    a.c.survey_id,
                    a.c.member_id,
                    a.c.value,
                    a.c.language,
                    a.c.store_id,
                    a.c.department_id,
                    a.c.employee_id,
                    a.c.collected_at,
                    why.c.text.label("why"),
                    to_10.c.text.label("to_10"),
                    members.c.external_id.label("member_external_id"),
                )
                .select_from(
                    a.outerjoin(members, members.c.id == a.c.member_id)
                    .outerjoin(
                        why, (why.c.response_id == a.c.response_id) & (why.c.question == "nps_why")
                    )
                    .outerjoin(
                        to_10,
                        (to_10.c.response_id == a.c.response_id)
                        & (to_10.c.question == "nps_to_10"),
                    )
                )
                .where(a.c.question == "nps", a.c.response_id.in_(chunk))
                .order_by(a.c.id)
            ).mappings()
        )
    return found


# --- follow-up cases -------------------------------------------------------------------------

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


def insert_cases(connection: Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Open cases (tuples in :data:`CASE_COLUMNS` order); one case per response at most."""
    return _insert_new(
        connection, feedback_cases, CASE_COLUMNS, rows, ("opened_at", "due_at", "updated_at")
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
) -> list[RowMapping]:
    query = _case_query().where(feedback_cases.c.id > after_id)
    if statuses:
        query = query.where(feedback_cases.c.status.in_(list(statuses)))
    if store is not None:
        query = query.where(stores.c.code == store)
    if department is not None:
        query = query.where(departments.c.code == department)
    if overdue_at is not None:
        query = query.where(feedback_cases.c.due_at < overdue_at)
    return list(connection.execute(query.order_by(feedback_cases.c.id).limit(limit)).mappings())


def update_case(connection: Connection, case_id: int, values: dict[str, Any]) -> None:
    connection.execute(
        update(feedback_cases).where(feedback_cases.c.id == case_id).values(**values)
    )


def add_case_note(
    connection: Connection, case_id: int, at: datetime, author: str, text: str
) -> None:
    connection.execute(
        feedback_case_notes.insert().values(case_id=case_id, at=at, author=author, text=text)
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


def _insert_new(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    timestamps: Sequence[str],
) -> int:
    """Insert rows, skipping those whose unique key is taken; return how many were new.

    Plain ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` in batches (SQLAlchemy's
    insertmanyvalues): feedback arrives in thousands of rows, not millions, so it does not
    need the COPY path of :mod:`regulars.store.bulk`. Timestamps may be UTC wire strings.
    """
    statement = upsert_insert(connection, table).on_conflict_do_nothing().returning(table.c.id)
    records = []
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        for name in timestamps:
            value = record[name]
            if isinstance(value, str):
                record[name] = datetime.fromisoformat(value).replace(tzinfo=UTC)
        records.append(record)
    added = 0
    for start in range(0, len(records), 5_000):
        added += len(connection.execute(statement, records[start : start + 5_000]).all())
    return added


def nan_to_none(values: np.ndarray) -> list[Any]:
    """Floats with NaN as None, the store's wire form for a missing number."""
    return [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v) for v in values
    ]
