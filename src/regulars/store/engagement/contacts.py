"""Who a message goes to, read at the moment of sending: a member's addresses, language and
consent in force; a case's details and the contact of the store or department responsible.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from regulars.domain.times import as_utc
from regulars.store.members import consent_state
from regulars.store.tables import departments, feedback_cases, members, stores, surveys


def member_contact(connection: Connection, member_id: int) -> RowMapping | None:
    """The member's name, addresses, locale and erasure time; None for an unknown id."""
    return (
        connection.execute(
            select(
                members.c.id,
                members.c.external_id,
                members.c.name,
                members.c.email,
                members.c.phone,
                members.c.locale,
                members.c.erased_at,
            ).where(members.c.id == member_id)
        )
        .mappings()
        .first()
    )


def consent_now(connection: Connection, member_id: int) -> dict[str, bool]:
    """The consent in force on each channel (and ``night``) that has any history."""
    return {
        channel: granted for (_, channel), granted in consent_state(connection, [member_id]).items()
    }


def case_for_alert(connection: Connection, case_id: int) -> RowMapping | None:
    """A case with what an alert says about it and where the alert goes."""
    c = feedback_cases
    return (
        connection.execute(
            select(
                c.c.id,
                c.c.score,
                c.c.reason,
                c.c.status,
                c.c.opened_at,
                c.c.due_at,
                surveys.c.code.label("survey"),
                stores.c.code.label("store_code"),
                stores.c.name.label("store_name"),
                stores.c.alert_email.label("store_alert_email"),
                stores.c.alert_webhook.label("store_alert_webhook"),
                departments.c.code.label("department_code"),
                departments.c.name.label("department_name"),
                departments.c.alert_email.label("department_alert_email"),
                departments.c.alert_webhook.label("department_alert_webhook"),
            )
            .select_from(
                c.join(surveys, surveys.c.id == c.c.survey_id)
                .outerjoin(stores, stores.c.id == c.c.store_id)
                .outerjoin(departments, departments.c.id == c.c.department_id)
            )
            .where(c.c.id == case_id)
        )
        .mappings()
        .first()
    )


def overdue_cases(connection: Connection, now: datetime) -> list[dict[str, Any]]:
    """Open or in-progress cases whose due time has passed: ``{"id", "due_at"}``, by id."""
    rows = connection.execute(
        select(feedback_cases.c.id, feedback_cases.c.due_at)
        .where(
            feedback_cases.c.status.in_(("open", "in_progress")),
            feedback_cases.c.due_at <= as_utc(now),
        )
        .order_by(feedback_cases.c.id)
    )
    return [{"id": int(case_id), "due_at": as_utc(due_at)} for case_id, due_at in rows]
