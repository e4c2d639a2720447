"""Survey definitions: one row per survey code, its questions as the JSON of
:class:`regulars.domain.feedback.surveys.SurveyDefinition`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, RowMapping, select, update

from regulars.store.tables import surveys


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
