"""Detractors' follow-up cases in figures: open, overdue, opened and closed in a period —
overall and per store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from regulars.domain.feedback.cases import CaseStatus
from regulars.store.dialect import instant
from regulars.store.tables import feedback_cases, stores

OPEN = (CaseStatus.OPEN.value, CaseStatus.IN_PROGRESS.value)


def case_counts(
    connection: Connection, now: datetime, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Per store (code and name; None for cases without a store): cases ``open`` now (open or
    in progress), ``overdue`` (open past their due time at ``now``), the earliest due time of
    those (``oldest_due``), and cases ``opened`` and ``closed`` (resolved or closed) in
    ``[since, until)``. Stores with no case are left out."""
    c = feedback_cases.c
    is_open = c.status.in_(OPEN)
    overdue = and_(is_open, c.due_at < instant(connection, now))
    start, end = instant(connection, since), instant(connection, until)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            stores.c.code.label("store_code"),
            stores.c.name.label("store"),
            count(is_open).label("open"),
            count(overdue).label("overdue"),
            func.min(case((overdue, c.due_at))).label("oldest_due"),
            count(and_(c.opened_at >= start, c.opened_at < end)).label("opened"),
            count(and_(~is_open, c.closed_at >= start, c.closed_at < end)).label("closed"),
            func.count().label("cases"),
        )
        .select_from(feedback_cases.outerjoin(stores, stores.c.id == c.store_id))
        .group_by(stores.c.code, stores.c.name)
        .order_by(stores.c.code)
    )
    return [
        {
            k: int(v) if k in ("open", "overdue", "opened", "closed", "cases") else v
            for k, v in r.items()
        }
        for r in connection.execute(query).mappings()
    ]
