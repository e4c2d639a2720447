"""The cancelled contracts the churn-reasons analysis reads
(:mod:`regulars.analytics.subscriptions.reasons`): one row each, with the plan in force when
it ended, its member's segment, the operator's reason and competitor, and the member's own
in the latest exit-survey answer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from regulars.store.tables import (
    members,
    subscription_exit_answers,
    subscription_plan_changes,
    subscription_plans,
    subscriptions,
)


def _latest_answer(column: Any) -> Any:
    a = subscription_exit_answers
    return (
        select(column)
        .where(a.c.subscription_id == subscriptions.c.id)
        .order_by(a.c.collected_at.desc(), a.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def cancellations(
    connection: Connection, since: date | None = None, until: date | None = None
) -> pd.DataFrame:
    """Contracts cancelled from ``since`` to ``until`` (inclusive; open-ended when None)."""
    c = subscription_plan_changes
    plan_then = (
        select(c.c.to_plan_id)
        .where(
            c.c.subscription_id == subscriptions.c.id,
            c.c.changed_on <= subscriptions.c.cancelled_on,
        )
        .order_by(c.c.changed_on.desc(), c.c.external_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ended_on = subscription_plans.alias("ended_on")
    query = (
        select(
            subscriptions.c.external_id.label("subscription_id"),
            subscriptions.c.cancelled_on,
            ended_on.c.code.label("plan"),
            members.c.segment,
            subscriptions.c.cancel_reason.label("operator_reason"),
            subscriptions.c.competitor.label("operator_competitor"),
            _latest_answer(subscription_exit_answers.c.reason).label("exit_reason"),
            _latest_answer(subscription_exit_answers.c.competitor).label("exit_competitor"),
        )
        .join(members, members.c.id == subscriptions.c.member_id)
        .join(ended_on, ended_on.c.id == func.coalesce(plan_then, subscriptions.c.plan_id))
        .where(subscriptions.c.cancelled_on.is_not(None))
        .order_by(subscriptions.c.cancelled_on, subscriptions.c.external_id)
    )
    if since is not None:
        query = query.where(subscriptions.c.cancelled_on >= since)
    if until is not None:
        query = query.where(subscriptions.c.cancelled_on <= until)
    result = connection.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)
