"""Survey answers, one row per answered question: written in bulk, read back as a frame.

:func:`answers_frame` is the one door analytics reads answers through; its columns are a
contract (:data:`ANSWER_COLUMNS`), kept stable whatever the tables become.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Connection, RowMapping, select

from regulars.domain.times import as_utc
from regulars.store.dialect import upsert_insert
from regulars.store.tables import (
    departments,
    employees,
    members,
    purchases,
    stores,
    survey_answers,
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
        query = query.where(a.c.collected_at >= as_utc(since))
    if until is not None:
        query = query.where(a.c.collected_at < as_utc(until))
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


class AnswerRow(NamedTuple):
    """One answered question as it is stored: by ids, not by the business's codes."""

    response_id: str
    survey_id: int
    member_id: int | None
    question: str
    subject: str
    value: float | None
    text: str | None
    language: str
    store_id: int | None
    channel: str | None
    department_id: int | None
    employee_id: int | None
    purchase_id: int | None
    collected_at: datetime | str
    """A datetime, or the UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` a checked import makes."""
    source: str


ANSWER_WRITE_COLUMNS = AnswerRow._fields


def insert_answers(connection: Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Insert answers (:class:`AnswerRow`, or tuples in its order); answers already stored
    under the same (response, question, subject) are skipped. Return how many were new.

    Plain ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` in
    batches (SQLAlchemy's insertmanyvalues): feedback arrives in thousands of rows, not
    millions, so it does not need the COPY path of :mod:`regulars.store.bulk`.
    """
    statement = (
        upsert_insert(connection, survey_answers)
        .on_conflict_do_nothing()
        .returning(survey_answers.c.id)
    )
    records = []
    for row in rows:
        record = dict(zip(ANSWER_WRITE_COLUMNS, row, strict=True))
        at = record["collected_at"]
        record["collected_at"] = as_utc(datetime.fromisoformat(at) if isinstance(at, str) else at)
        records.append(record)
    added = 0
    for start in range(0, len(records), 5_000):
        added += len(connection.execute(statement, records[start : start + 5_000]).all())
    return added


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
