"""The step schedule of assignments: each step done once per assignment, set by set.

For one campaign and one step index, :func:`record_actions` writes a ``campaign_actions``
row for every treated assignment due at that step (``INSERT … SELECT``; unique per
assignment and step, so a re-run adds nothing), holding back a marketing message from a
member at the frequency cap, whose step waits until the next day (:func:`postpone`). The
effects follow from the rows just written, again set by set: a message is an outbox event
(:func:`enqueue_messages`, delivered and composed by the delivery worker), a staff task a
``staff_tasks`` row at the member's home store (:func:`add_tasks`); gifts and vouchers go
through the ledger's posting code, in the service. :func:`advance` moves the assignments on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    String,
    cast,
    exists,
    func,
    literal,
    select,
    update,
)

from regulars.domain.times import as_utc
from regulars.store.dialect import refresh_statistics, upsert_insert
from regulars.store.tables import (
    campaign_actions,
    campaign_assignments,
    member_analytics,
    outbox,
    staff_tasks,
)

TOPIC = "campaign.message"

A = campaign_assignments
X = campaign_actions


def _due(campaign_id: int, step: int, now: datetime) -> list[Any]:
    return [
        A.c.campaign_id == campaign_id,
        A.c.step == step,
        A.c.arm == "treated",
        A.c.step_due_at.is_not(None),
        A.c.step_due_at <= as_utc(now),
    ]


def due_steps(connection: Connection, campaign_id: int, now: datetime) -> list[int]:
    """The step indexes at which some treated assignment of the campaign is due."""
    rows = connection.execute(
        select(A.c.step)
        .where(
            A.c.campaign_id == campaign_id,
            A.c.arm == "treated",
            A.c.step_due_at.is_not(None),
            A.c.step_due_at <= as_utc(now),
        )
        .distinct()
        .order_by(A.c.step)
    ).scalars()
    return [int(s) for s in rows]


def _sent(campaign_id: int, step: int, now: datetime, since: datetime) -> Any:
    """Marketing messages since ``since`` per member due at the step: one aggregate joined by
    hash (never a count per row, which PostgreSQL cannot plan as a join)."""
    due = select(A.c.member_id).where(*_due(campaign_id, step, now))
    return (
        select(X.c.member_id, func.count().label("sent"))
        .where(
            X.c.kind == "message",
            X.c.marketing.is_(True),
            X.c.done_at > as_utc(since),
            X.c.member_id.in_(due),
        )
        .group_by(X.c.member_id)
        .subquery("sent")
    )


def record_actions(
    connection: Connection,
    *,
    campaign_id: int,
    step: int,
    kind: str,
    now: datetime,
    marketing: bool = False,
    points: int = 0,
    cap: int | None = None,
    since: datetime | None = None,
) -> int:
    """One action row per due treated assignment at ``step`` (a marketing message only for
    members with room under the cap); return how many were written."""
    conditions = _due(campaign_id, step, now)
    source: Any = A
    if cap is not None and since is not None:
        sent = _sent(campaign_id, step, now, since)
        source = A.outerjoin(sent, sent.c.member_id == A.c.member_id)
        conditions.append(func.coalesce(sent.c.sent, 0) < cap)
    rows = (
        select(
            A.c.id,
            A.c.campaign_id,
            A.c.member_id,
            literal(step, Integer),
            literal(kind, String),
            literal(marketing),
            literal(points, BigInteger),
            literal(as_utc(now), X.c.done_at.type),
        )
        .select_from(source)
        .where(*conditions)
    )
    statement = (
        upsert_insert(connection, X)
        .from_select(
            [
                "assignment_id",
                "campaign_id",
                "member_id",
                "step",
                "kind",
                "marketing",
                "points",
                "done_at",
            ],
            rows,
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)  # psycopg reports -1 otherwise
    )
    return int(connection.execute(statement).rowcount)


def _acted(campaign_id: int, step: int, now: datetime) -> list[Any]:
    """Actions of the step whose assignment has not moved on yet: this run's."""
    return [
        X.c.campaign_id == campaign_id,
        X.c.step == step,
        X.c.assignment_id == A.c.id,
        *_due(campaign_id, step, now),
    ]


def postpone(
    connection: Connection, campaign_id: int, step: int, now: datetime, until: datetime
) -> int:
    """Due assignments at ``step`` that got no action (held by the cap) wait until ``until``."""
    acted = exists().where(X.c.assignment_id == A.c.id, X.c.step == step)
    return int(
        connection.execute(
            update(A).where(*_due(campaign_id, step, now), ~acted).values(step_due_at=as_utc(until))
        ).rowcount
    )


def acted_members(
    connection: Connection, campaign_id: int, step: int, now: datetime
) -> list[tuple[int, int, int]]:
    """``(action id, assignment id, member id)`` of this run's actions at ``step``."""
    rows = connection.execute(
        select(X.c.id, A.c.id, A.c.member_id)
        .select_from(X.join(A, A.c.id == X.c.assignment_id))
        .where(*_acted(campaign_id, step, now))
        .order_by(A.c.member_id)
    ).all()
    return [(int(x), int(a), int(m)) for x, a, m in rows]


def keys_posted(
    connection: Connection, campaign_id: int, step: int, now: datetime, prefix: str, suffix: str
) -> set[str]:
    """Which ledger source keys ``prefix + assignment id + suffix`` of this run's actions at
    ``step`` already have a transaction: the keys are made and looked up by the database
    (one statement, through the unique index on ``source_key``), not sent as a list."""
    from regulars.store.tables import ledger_transactions

    keys = (
        select(literal(prefix, String) + cast(A.c.id, String) + literal(suffix, String))
        .select_from(X.join(A, A.c.id == X.c.assignment_id))
        .where(*_acted(campaign_id, step, now))
    )
    return set(
        connection.execute(
            select(ledger_transactions.c.source_key).where(
                ledger_transactions.c.source_key.in_(keys)
            )
        ).scalars()
    )


def set_points(connection: Connection, points: dict[int, int]) -> None:
    """Record the points each gift action actually gave (by action id; the others keep the
    0 they were written with)."""
    from regulars.store.bulk import write_together

    if points:
        write_together(
            connection,
            [],
            [(X, {"id": list(points), "points": list(points.values())})],
        )


def enqueue_messages(
    connection: Connection, campaign_id: int, step: int, now: datetime, marketing: bool
) -> int:
    """One ``campaign.message`` outbox event per action of this run at ``step``; its payload
    names the action (the composer reads the rest when it sends)."""
    action_id = cast(X.c.id, String)
    payload = (
        literal('{"action": ')
        + action_id
        + literal(f', "marketing": {"true" if marketing else "false"}}}')
    )
    rows = select(
        literal(TOPIC, String),
        X.c.member_id,
        payload,
        literal(f"{TOPIC}:") + action_id,
        literal(as_utc(now), outbox.c.created_at.type),
        literal(as_utc(now), outbox.c.available_at.type),
    ).where(*_acted(campaign_id, step, now))
    statement = (
        upsert_insert(connection, outbox)
        .from_select(
            ["topic", "member_id", "payload", "dedupe_key", "created_at", "available_at"], rows
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)  # psycopg reports -1 otherwise
    )
    return int(connection.execute(statement).rowcount)


def add_tasks(
    connection: Connection,
    *,
    campaign_id: int,
    step: int,
    now: datetime,
    kind: str,
    title: str,
    due_at: datetime,
    assignee: str | None,
) -> int:
    """One open staff task per action of this run at ``step``, at the member's home store."""
    rows = (
        select(
            X.c.member_id,
            member_analytics.c.home_store_id,
            literal(campaign_id, BigInteger),
            X.c.id,
            literal(kind, String),
            literal(title, String),
            literal(as_utc(due_at), staff_tasks.c.due_at.type),
            literal("open", String),
            literal(assignee, String),
            literal(as_utc(now), staff_tasks.c.created_at.type),
        )
        .select_from(
            X.join(A, A.c.id == X.c.assignment_id).outerjoin(
                member_analytics, member_analytics.c.member_id == X.c.member_id
            )
        )
        .where(*_acted(campaign_id, step, now))
    )
    statement = (
        upsert_insert(connection, staff_tasks)
        .from_select(
            [
                "member_id",
                "store_id",
                "campaign_id",
                "action_id",
                "kind",
                "title",
                "due_at",
                "status",
                "assignee",
                "created_at",
            ],
            rows,
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)  # psycopg reports -1 otherwise
    )
    return int(connection.execute(statement).rowcount)


def advance(
    connection: Connection,
    campaign_id: int,
    step: int,
    now: datetime,
    next_due: datetime | None,
    *,
    to_step: int | None = None,
    acted_only: bool = True,
) -> int:
    """Move the due assignments at ``step`` to ``to_step`` (default the next), due at
    ``next_due`` (None: done). ``acted_only``: only those whose action at ``step`` exists
    (a wait has none)."""
    conditions = _due(campaign_id, step, now)
    if acted_only:
        conditions.append(exists().where(X.c.assignment_id == A.c.id, X.c.step == step))
    target = step + 1 if to_step is None else to_step
    return int(
        connection.execute(
            update(A).where(*conditions).values(step=target, step_due_at=as_utc(next_due))
        ).rowcount
    )


def finish_ended(connection: Connection, campaign_id: int) -> int:
    """An ended campaign's assignments stop where they are."""
    return int(
        connection.execute(
            update(A)
            .where(A.c.campaign_id == campaign_id, A.c.step_due_at.is_not(None))
            .values(step_due_at=None)
        ).rowcount
    )


def refresh(connection: Connection) -> None:
    """Statistics of the schedule's tables after a step wrote many rows (see
    :func:`regulars.store.dialect.refresh_statistics`)."""
    refresh_statistics(connection, A, X)


def tasks(
    connection: Connection,
    *,
    status: str | None,
    store: str | None,
    limit: int,
    task_id: int | None = None,
) -> list[dict[str, Any]]:
    """Staff tasks, oldest due first, with the member's id, the store's and campaign's code."""
    from regulars.store.tables import campaigns, members, stores

    query = (
        select(
            staff_tasks.c.id,
            members.c.external_id.label("member"),
            stores.c.code.label("store"),
            campaigns.c.code.label("campaign"),
            staff_tasks.c.kind,
            staff_tasks.c.title,
            staff_tasks.c.due_at,
            staff_tasks.c.status,
            staff_tasks.c.assignee,
            staff_tasks.c.done_at,
        )
        .join(members, members.c.id == staff_tasks.c.member_id)
        .outerjoin(stores, stores.c.id == staff_tasks.c.store_id)
        .outerjoin(campaigns, campaigns.c.id == staff_tasks.c.campaign_id)
        .order_by(staff_tasks.c.due_at, staff_tasks.c.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(staff_tasks.c.status == status)
    if store is not None:
        query = query.where(stores.c.code == store)
    if task_id is not None:
        query = query.where(staff_tasks.c.id == task_id)
    return [dict(r) for r in connection.execute(query).mappings()]


def finish_task(connection: Connection, task_id: int, now: datetime, by: str | None) -> bool:
    """Mark an open task done at ``now`` (its assignee becomes ``by`` when it had none);
    False when it was not open (done already, or no such task)."""
    statement = (
        update(staff_tasks)
        .where(staff_tasks.c.id == task_id, staff_tasks.c.status == "open")
        .values(
            status="done",
            done_at=as_utc(now),
            assignee=func.coalesce(staff_tasks.c.assignee, by),
        )
    )
    return int(connection.execute(statement).rowcount) == 1
