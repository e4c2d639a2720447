"""A campaign's results per arm, aggregated by the database.

For every assignment: whether the member bought (a sale) within its attribution window
(after the assignment, up to ``attribution_until`` and never after ``as_of``), the net
spend in that window (sales less refunds and returns), the points its gifts gave, and
whether any step acted on it (reached). One ``GROUP BY arm`` sums them, with the sum of
squared spend for Welch's variance.

For a campaign that re-surveys (a ``survey`` step: detractor recovery), also whether the
member was re-surveyed, answered the NPS question after that, and whether that first answer
after the re-survey is passive or promoter (7-10): **recovered**. The bounds are the
domain's (:mod:`regulars.domain.feedback.nps`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Float, and_, case, cast, exists, func, select

from regulars.domain.feedback.nps import DETRACTOR_HIGHEST
from regulars.domain.times import as_utc
from regulars.store.tables import (
    campaign_actions,
    campaign_assignments,
    members,
    purchases,
    survey_answers,
)

A = campaign_assignments


def arm_totals(connection: Connection, campaign_id: int, as_of: datetime) -> dict[str, Any]:
    """arm -> {assigned, reached, converted, revenue, revenue_squares, points, open,
    resurveyed, answered, recovered}."""
    now = as_utc(as_of)
    window = and_(
        purchases.c.member_id == A.c.member_id,
        purchases.c.occurred_at > A.c.assigned_at,
        purchases.c.occurred_at <= A.c.attribution_until,
        purchases.c.occurred_at <= now,
    )
    revenue = (
        select(func.coalesce(func.sum(purchases.c.total_amount), 0)).where(window).scalar_subquery()
    )
    converted = case((exists().where(window, purchases.c.kind == "sale"), 1), else_=0)
    points = (
        select(func.coalesce(func.sum(campaign_actions.c.points), 0))
        .where(campaign_actions.c.assignment_id == A.c.id, campaign_actions.c.kind == "gift")
        .scalar_subquery()
    )
    reached = case((exists().where(campaign_actions.c.assignment_id == A.c.id), 1), else_=0)
    still_open = case((A.c.attribution_until > now, 1), else_=0)
    resurvey = (
        select(func.min(campaign_actions.c.done_at))
        .where(campaign_actions.c.assignment_id == A.c.id, campaign_actions.c.kind == "survey")
        .scalar_subquery()
    )
    after = and_(
        survey_answers.c.member_id == A.c.member_id,
        survey_answers.c.question == "nps",
        survey_answers.c.value.is_not(None),
        survey_answers.c.collected_at > resurvey,
        survey_answers.c.collected_at <= now,
    )
    first_answer = (
        select(survey_answers.c.value)
        .where(after)
        .order_by(survey_answers.c.collected_at, survey_answers.c.id)
        .limit(1)
        .scalar_subquery()
    )
    per = (
        select(
            A.c.arm,
            revenue.label("revenue"),
            converted.label("converted"),
            points.label("points"),
            reached.label("reached"),
            still_open.label("open"),
            case((resurvey.is_not(None), 1), else_=0).label("resurveyed"),
            case((exists().where(after), 1), else_=0).label("answered"),
            case((first_answer > DETRACTOR_HIGHEST, 1), else_=0).label("recovered"),
        )
        .where(A.c.campaign_id == campaign_id, A.c.assigned_at <= now)
        .subquery("per")
    )
    rows = connection.execute(
        select(
            per.c.arm,
            func.count().label("assigned"),
            func.sum(per.c.reached).label("reached"),
            func.sum(per.c.converted).label("converted"),
            func.sum(per.c.revenue).label("revenue"),
            func.sum(cast(per.c.revenue, Float) * cast(per.c.revenue, Float)).label("squares"),
            func.sum(per.c.points).label("points"),
            func.sum(per.c.open).label("open"),
            func.sum(per.c.resurveyed).label("resurveyed"),
            func.sum(per.c.answered).label("answered"),
            func.sum(per.c.recovered).label("recovered"),
        ).group_by(per.c.arm)
    ).mappings()
    return {
        r["arm"]: {
            "assigned": int(r["assigned"]),
            "reached": int(r["reached"] or 0),
            "converted": int(r["converted"] or 0),
            "revenue": int(r["revenue"] or 0),
            "revenue_squares": float(r["squares"] or 0.0),
            "points": int(r["points"] or 0),
            "open": int(r["open"] or 0),
            "resurveyed": int(r["resurveyed"] or 0),
            "answered": int(r["answered"] or 0),
            "recovered": int(r["recovered"] or 0),
        }
        for r in rows
    }


def assignments(connection: Connection, campaign_id: int) -> list[dict[str, Any]]:
    """Every assignment of the campaign: the member's external id, its arm, when it was
    assigned, the end of its attribution window, and whether any step acted on it."""
    reached = exists().where(campaign_actions.c.assignment_id == A.c.id)
    rows = connection.execute(
        select(
            members.c.external_id.label("member"),
            A.c.arm,
            A.c.assigned_at,
            A.c.attribution_until,
            case((reached, True), else_=False).label("reached"),
        )
        .join(members, members.c.id == A.c.member_id)
        .where(A.c.campaign_id == campaign_id)
        .order_by(A.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def runs(connection: Connection, campaign_id: int, limit: int = 30) -> list[dict[str, Any]]:
    from regulars.store.tables import campaign_runs

    return [
        dict(r)
        for r in connection.execute(
            select(campaign_runs)
            .where(campaign_runs.c.campaign_id == campaign_id)
            .order_by(campaign_runs.c.id.desc())
            .limit(limit)
        ).mappings()
    ]
