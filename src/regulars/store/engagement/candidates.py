"""Who enters a campaign today: its runs, its candidates, and their admission under the cap.

Each due campaign gets a run (``campaign_runs``, one per run key: ``daily:2026-12-01``,
``wave``, ``event:<time>``). Its candidates are written by ONE ``INSERT … SELECT`` that is
the audience query (``store/engagement/audiences.py``) with the campaign's own conditions
(not entered yet, or not within ``every_days``; consent and an address for its message;
no open detractor case for a marketing message; the members of the trigger's events) and
the holdout draw computed by the database — the same integers as
:func:`regulars.domain.engagement.campaigns.holdout_draw`.

:func:`admit` then turns the day's candidates into assignments in one statement: a
candidate whose first step is a marketing message is admitted only while the member has
room under the frequency cap, counting the marketing messages of the last days and the
candidates of higher-priority campaigns ahead of it (both arms alike, so the holdout stays a
fair comparison).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from regulars.domain.engagement.audiences import Filter
from regulars.domain.engagement.campaigns import Event
from regulars.domain.feedback.nps import DETRACTOR_HIGHEST, PASSIVE_HIGHEST
from regulars.domain.times import as_utc
from regulars.store.dialect import refresh_statistics
from regulars.store.engagement.audiences import (
    Compiler,
    Context,
    audience_query,
    consent_granted,
    open_case_of,
)
from regulars.store.tables import (
    campaign_actions,
    campaign_assignments,
    campaign_candidates,
    campaign_runs,
    feedback_cases,
    members,
    outbox,
    purchases,
    survey_answers,
)

M32 = 4294967296


def start_run(
    connection: Connection,
    *,
    campaign_id: int,
    version: int,
    run_key: str,
    trigger: str,
    now: datetime,
    window_start: datetime | None,
) -> int | None:
    """A new run of the campaign; None if a run with this key exists (it already ran)."""
    found = connection.execute(
        select(campaign_runs.c.id).where(
            campaign_runs.c.campaign_id == campaign_id, campaign_runs.c.run_key == run_key
        )
    ).first()
    if found is not None:
        return None
    return int(
        connection.execute(
            insert(campaign_runs)
            .values(
                campaign_id=campaign_id,
                version=version,
                run_key=run_key,
                trigger=trigger,
                started_at=as_utc(now),
                window_start=as_utc(window_start),
                window_end=as_utc(now),
            )
            .returning(campaign_runs.c.id)
        ).scalar_one()
    )


def last_window_end(connection: Connection, campaign_id: int) -> datetime | None:
    value = connection.execute(
        select(func.max(campaign_runs.c.window_end)).where(
            campaign_runs.c.campaign_id == campaign_id
        )
    ).scalar_one_or_none()
    return None if value is None else as_utc(value)


def has_run(connection: Connection, campaign_id: int, run_key: str) -> bool:
    return (
        connection.execute(
            select(campaign_runs.c.id).where(
                campaign_runs.c.campaign_id == campaign_id, campaign_runs.c.run_key == run_key
            )
        ).first()
        is not None
    )


def _xor_shift(x: Any) -> Any:
    shifted = x.op(">>")(literal(16, Integer))
    return x.op("|")(shifted) - x.op("&")(shifted)


def with_arms(query: Any, seed: int, holdout_percent: int) -> Any:
    """``member_id`` and ``arm`` of the members of ``query``: the draw of
    :func:`regulars.domain.engagement.campaigns.holdout_draw` computed by the database, one
    layer of subquery per round (the same integers: every product stays below 2**63; xor
    written as ``(a | b) - (a & b)``, which SQLite can say)."""
    layer = query.subquery("audience")
    x = ((layer.c.member_id % 2**31) * literal(2654435761, BigInteger) + seed) % M32
    layer = select(layer.c.member_id, x.label("x")).subquery("draw0")
    for n in (1, 2):
        mixed = (_xor_shift(layer.c.x) * literal(0x45D9F3B, BigInteger)) % M32
        layer = select(layer.c.member_id, mixed.label("x")).subquery(f"draw{n}")
    draw = _xor_shift(layer.c.x)
    arm = case((draw * 100 < holdout_percent * M32, "holdout"), else_="treated")
    return select(layer.c.member_id, arm.label("arm"))


def event_members(event: Event, context: Context, start: datetime) -> Any:
    """The members of the events of ``(start, now]``, read from what the system records:
    members (signup), purchases (first purchase), the outbox (tier changed, points
    expiring), answers (0-10 by class) and cases (resolved or closed)."""
    end = as_utc(context.now)
    start = as_utc(start)
    if event is Event.SIGNUP:
        first_day = as_utc(start).astimezone(context.zone).date()
        return select(members.c.id).where(
            or_(
                and_(
                    members.c.signup_date.is_not(None),
                    members.c.signup_date > first_day,
                    members.c.signup_date <= context.today,
                ),
                and_(
                    members.c.signup_date.is_(None),
                    members.c.created_at > start,
                    members.c.created_at <= end,
                ),
            )
        )
    if event is Event.FIRST_PURCHASE:
        earlier = purchases.alias("earlier")
        return select(purchases.c.member_id).where(
            purchases.c.kind == "sale",
            purchases.c.member_id.is_not(None),
            purchases.c.occurred_at > start,
            purchases.c.occurred_at <= end,
            ~exists().where(
                earlier.c.member_id == purchases.c.member_id,
                earlier.c.kind == "sale",
                earlier.c.occurred_at < purchases.c.occurred_at,
            ),
        )
    if event in (Event.TIER_CHANGED, Event.POINTS_EXPIRING):
        topic = "tier.changed" if event is Event.TIER_CHANGED else "points.expiring_soon"
        return select(outbox.c.member_id).where(
            outbox.c.topic == topic,
            outbox.c.member_id.is_not(None),
            outbox.c.created_at > start,
            outbox.c.created_at <= end,
        )
    if event is Event.CASE_RESOLVED:
        return select(feedback_cases.c.member_id).where(
            feedback_cases.c.member_id.is_not(None),
            feedback_cases.c.status.in_(("resolved", "closed")),
            feedback_cases.c.closed_at > start,
            feedback_cases.c.closed_at <= end,
        )
    value = survey_answers.c.value
    by_class = {
        Event.DETRACTOR_ANSWER: value <= DETRACTOR_HIGHEST,
        Event.PASSIVE_ANSWER: and_(value > DETRACTOR_HIGHEST, value <= PASSIVE_HIGHEST),
        Event.PROMOTER_ANSWER: value > PASSIVE_HIGHEST,
    }
    return select(survey_answers.c.member_id).where(
        survey_answers.c.question == "nps",
        survey_answers.c.member_id.is_not(None),
        survey_answers.c.collected_at > start,
        survey_answers.c.collected_at <= end,
        by_class[event],
    )


def eligibility(
    compiler: Compiler,
    *,
    campaign_id: int,
    every_days: int | None,
    message_channels: Sequence[str],
    marketing_first: bool,
) -> list[Any]:
    """The campaign's own conditions, over the compiler's joins: not entered yet (or not
    within ``every_days``); consent on one of its message's channels with an address there;
    no open detractor case before a marketing message."""
    now = compiler.context.now
    entered = exists().where(
        campaign_assignments.c.campaign_id == campaign_id,
        campaign_assignments.c.member_id == members.c.id,
        *(
            []
            if every_days is None
            else [campaign_assignments.c.assigned_at > as_utc(now) - timedelta(days=every_days)]
        ),
    )
    conditions: list[Any] = [~entered]
    if message_channels:
        address = {"email": members.c.email, "sms": members.c.phone}
        reachable = [and_(address[c].is_not(None), consent_granted(c)) for c in message_channels]
        conditions.append(or_(*reachable))
    if marketing_first:
        conditions.append(~open_case_of(members.c.id))
    return conditions


def candidates_query(
    audience: Filter,
    context: Context,
    *,
    campaign_id: int,
    seed: int,
    holdout_percent: int,
    every_days: int | None,
    message_channels: Sequence[str],
    marketing_first: bool,
    event: Event | None = None,
    event_start: datetime | None = None,
) -> Any:
    """The one query of a campaign's candidates now: member id, arm, and ``columns``."""
    compiler, where = audience_query(audience, context)
    conditions = [
        where,
        *eligibility(
            compiler,
            campaign_id=campaign_id,
            every_days=every_days,
            message_channels=message_channels,
            marketing_first=marketing_first,
        ),
    ]
    if event is not None:
        conditions.append(
            members.c.id.in_(event_members(event, context, event_start or context.now))
        )
    return with_arms(compiler.select(where=conditions), seed, holdout_percent)


def add_candidates(
    connection: Connection,
    query: Any,
    *,
    run_id: int,
    campaign_id: int,
    priority: int,
    version: int,
    entry_key: str,
    needs_slot: bool,
    attribution_until: datetime,
) -> int:
    """Write the candidates of ``query`` (a :func:`candidates_query`) for the run."""
    inner = query.subquery("audience")
    rows = select(
        literal(run_id, BigInteger),
        inner.c.member_id,
        literal(entry_key),
        literal(campaign_id, BigInteger),
        literal(priority, Integer),
        inner.c.arm,
        literal(needs_slot),
        literal(version, Integer),
        literal(as_utc(attribution_until), campaign_candidates.c.attribution_until.type),
    ).where(inner.c.member_id.is_not(None))
    result = connection.execute(
        insert(campaign_candidates)
        .from_select(
            [
                "run_id",
                "member_id",
                "entry_key",
                "campaign_id",
                "priority",
                "arm",
                "needs_slot",
                "version",
                "attribution_until",
            ],
            rows,
        )
        .execution_options(preserve_rowcount=True)
    )
    return int(result.rowcount)


def marketing_sent(since: datetime) -> Any:
    """Marketing messages per member planned after ``since`` (the frequency cap's count)."""
    return (
        select(campaign_actions.c.member_id, func.count().label("sent"))
        .where(
            campaign_actions.c.kind == "message",
            campaign_actions.c.marketing.is_(True),
            campaign_actions.c.done_at > as_utc(since),
            campaign_actions.c.member_id.in_(
                select(campaign_candidates.c.member_id).where(
                    campaign_candidates.c.needs_slot.is_(True)
                )
            ),
        )
        .group_by(campaign_actions.c.member_id)
        .subquery("sent")
    )


def admit(
    connection: Connection, run_ids: Sequence[int], now: datetime, *, cap: int, since: datetime
) -> dict[int, tuple[int, int, int]]:
    """Turn the runs' candidates into assignments under the cap (see the module); empty the
    candidates; return run id -> (treated, holdout, capped)."""
    if not run_ids:
        return {}
    refresh_statistics(connection, campaign_candidates)
    c = campaign_candidates
    takes = case((and_(c.c.needs_slot.is_(True), c.c.arm == "treated"), 1), else_=0)
    ranked = (
        select(
            c,
            func.coalesce(
                func.sum(takes).over(
                    partition_by=c.c.member_id,
                    order_by=(c.c.priority.desc(), c.c.campaign_id, c.c.entry_key),
                    rows=(None, -1),
                ),
                0,
            ).label("ahead"),
        )
        .where(c.c.run_id.in_(run_ids))
        .subquery("ranked")
    )
    sent = marketing_sent(since)
    admitted = (
        select(
            ranked.c.campaign_id,
            ranked.c.run_id,
            ranked.c.member_id,
            ranked.c.entry_key,
            ranked.c.arm,
            ranked.c.version,
            literal(as_utc(now), campaign_assignments.c.assigned_at.type),
            ranked.c.attribution_until,
            literal(0, Integer),
            case(
                (
                    ranked.c.arm == "treated",
                    literal(as_utc(now), campaign_assignments.c.assigned_at.type),
                ),
                else_=None,
            ),
        )
        .select_from(ranked.outerjoin(sent, sent.c.member_id == ranked.c.member_id))
        .where(
            or_(
                ranked.c.needs_slot.is_(False),
                ranked.c.ahead + func.coalesce(sent.c.sent, 0) < cap,
            )
        )
    )
    connection.execute(
        insert(campaign_assignments).from_select(
            [
                "campaign_id",
                "run_id",
                "member_id",
                "entry_key",
                "arm",
                "version",
                "assigned_at",
                "attribution_until",
                "step",
                "step_due_at",
            ],
            admitted,
        )
    )
    refresh_statistics(connection, campaign_assignments, campaign_actions)
    counts: dict[int, tuple[int, int, int]] = {}
    candidates: dict[Any, Any] = dict(
        connection.execute(
            select(c.c.run_id, func.count()).where(c.c.run_id.in_(run_ids)).group_by(c.c.run_id)
        ).all()
    )
    arms = connection.execute(
        select(
            campaign_assignments.c.run_id,
            func.sum(case((campaign_assignments.c.arm == "treated", 1), else_=0)),
            func.sum(case((campaign_assignments.c.arm == "holdout", 1), else_=0)),
        )
        .where(campaign_assignments.c.run_id.in_(run_ids))
        .group_by(campaign_assignments.c.run_id)
    ).all()
    found = {int(r): (int(t or 0), int(h or 0)) for r, t, h in arms}
    for run_id in run_ids:
        treated, holdout = found.get(run_id, (0, 0))
        total = int(candidates.get(run_id, 0))
        counts[run_id] = (treated, holdout, total - treated - holdout)
        connection.execute(
            update(campaign_runs)
            .where(campaign_runs.c.id == run_id)
            .values(candidates=total, treated=treated, holdout=holdout, capped=counts[run_id][2])
        )
    connection.execute(delete(c).where(c.c.run_id.in_(run_ids)))
    return counts


def preview(connection: Connection, query: Any, sample: int) -> tuple[int, list[tuple[str, str]]]:
    """The size of a candidates query and a sample of (member, arm), in one statement."""
    inner = query.subquery("audience")
    rows = connection.execute(
        select(members.c.external_id, inner.c.arm, func.count().over().label("size"))
        .join(inner, inner.c.member_id == members.c.id)
        .order_by(members.c.id)
        .limit(max(1, sample))
    ).all()
    size = int(rows[0].size) if rows else 0
    return size, [(r.external_id, r.arm) for r in rows[:sample]]
