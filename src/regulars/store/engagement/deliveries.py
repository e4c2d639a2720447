"""Deliveries: one row per outbox event and target, claimed by workers, sent, booked.

The worker's round (services/engagement/delivery.py) is two short transactions around the
sending, which happens outside any:

1. :func:`claim_events` takes due, undispatched outbox events (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so workers never take the same event), :func:`add` writes their deliveries
   (idempotent on event, channel and target), :func:`mark_dispatched` / :func:`mark_done`
   books the events, and :func:`claim_due` leases due deliveries to this worker: it sets
   ``claimed_until`` (again ``SKIP LOCKED``), so other workers pass them by, and a killed
   worker's rows come back when the lease ends.
2. :func:`record_sent` / :func:`record_attempts` book the outcomes, and :func:`finish_events`
   marks an event sent once every one of its deliveries is.

SQLite has no row locks: a statement that writes takes the whole database, so one worker at a
time (a second one waits on the busy timeout) — the file store is for one machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)

from regulars.domain.times import as_utc
from regulars.store.bulk import among, insert_ignoring_conflicts
from regulars.store.tables import deliveries, outbox, webhook_endpoints

STATES = ("pending", "sent", "failed", "dead")
DUE_STATES = ("pending", "failed")
BULK_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"  # UTC, as store.bulk takes timestamps


def claim_events(connection: Connection, now: datetime, limit: int) -> list[RowMapping]:
    """Lock up to ``limit`` due events no worker has dispatched yet, oldest first."""
    return list(
        connection.execute(
            select(
                outbox.c.id,
                outbox.c.topic,
                outbox.c.member_id,
                outbox.c.channel,
                outbox.c.payload,
                outbox.c.created_at,
            )
            .where(outbox.c.dispatched_at.is_(None), outbox.c.available_at <= now)
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).mappings()
    )


def add(connection: Connection, rows: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """Write deliveries (``event_id``, ``channel``, ``target``, ``endpoint_id``,
    ``content``), due now, in one statement; one that exists already is left as it is."""
    if not rows:
        return
    moment = as_utc(now).strftime(BULK_TIMESTAMP)
    insert_ignoring_conflicts(
        connection,
        deliveries,
        {
            "event_id": [row["event_id"] for row in rows],
            "channel": [row["channel"] for row in rows],
            "target": [row["target"] for row in rows],
            "endpoint_id": [row.get("endpoint_id") for row in rows],
            "content": [row.get("content") for row in rows],
            "state": ["pending"] * len(rows),
            "attempts": [0] * len(rows),
            "next_attempt_at": [moment] * len(rows),
            "created_at": [moment] * len(rows),
        },
    )


def mark_dispatched(connection: Connection, event_ids: Iterable[int], now: datetime) -> None:
    ids = list(event_ids)
    if ids:
        connection.execute(
            update(outbox).where(among(connection, outbox.c.id, ids)).values(dispatched_at=now)
        )


def mark_done(
    connection: Connection, event_ids: Iterable[int], now: datetime, reason: str | None = None
) -> None:
    """Events with nothing (left) to deliver: dispatched and sent at once."""
    ids = list(event_ids)
    if ids:
        connection.execute(
            update(outbox)
            .where(among(connection, outbox.c.id, ids))
            .values(dispatched_at=now, sent_at=now, last_error=reason)
        )


def hold(connection: Connection, event_id: int, until: datetime, reason: str) -> None:
    """Leave an event undispatched until ``until`` (a composer asked to wait)."""
    connection.execute(
        update(outbox).where(outbox.c.id == event_id).values(available_at=until, last_error=reason)
    )


def _due(now: datetime) -> Any:
    enabled = select(webhook_endpoints.c.id).where(webhook_endpoints.c.enabled.is_(True))
    return and_(
        deliveries.c.state.in_(DUE_STATES),
        deliveries.c.next_attempt_at <= now,
        or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until <= now),
        or_(deliveries.c.endpoint_id.is_(None), deliveries.c.endpoint_id.in_(enabled)),
    )


def claim_due(
    connection: Connection, now: datetime, until: datetime, limit: int
) -> list[RowMapping]:
    """Lease up to ``limit`` due deliveries to the caller until ``until``; return them by id.

    Rows of a disabled webhook endpoint are not due: they wait for it to be enabled again.
    """
    chosen = (
        select(deliveries.c.id)
        .where(_due(now))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = connection.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(chosen))
        .values(claimed_until=until)
        .returning(
            deliveries.c.id,
            deliveries.c.event_id,
            deliveries.c.channel,
            deliveries.c.target,
            deliveries.c.endpoint_id,
            deliveries.c.content,
            deliveries.c.attempts,
        )
    ).mappings()
    return sorted(rows, key=lambda row: int(row["id"]))


def events(connection: Connection, event_ids: Iterable[int]) -> dict[int, RowMapping]:
    """Outbox events by id: what a delivery carries."""
    ids = list(set(event_ids))
    if not ids:
        return {}
    rows = connection.execute(
        select(outbox.c.id, outbox.c.topic, outbox.c.payload, outbox.c.created_at).where(
            among(connection, outbox.c.id, ids)
        )
    ).mappings()
    return {int(row["id"]): row for row in rows}


def record_sent(connection: Connection, delivery_ids: Iterable[int], now: datetime) -> None:
    ids = list(delivery_ids)
    if ids:
        connection.execute(
            update(deliveries)
            .where(among(connection, deliveries.c.id, ids))
            .values(
                state="sent",
                attempts=deliveries.c.attempts + 1,
                sent_at=now,
                claimed_until=None,
                last_error=None,
            )
        )


def record_attempts(connection: Connection, attempts: Sequence[Mapping[str, Any]]) -> None:
    """Book failed attempts: each of ``attempts`` has ``id``, ``state`` (failed or dead),
    ``next_attempt_at``, ``last_error`` and ``peer_status``."""
    if not attempts:
        return
    connection.execute(
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            attempts=deliveries.c.attempts + 1,
            next_attempt_at=bindparam("b_next"),
            last_error=bindparam("b_error"),
            peer_status=bindparam("b_peer"),
            claimed_until=None,
        ),
        [
            {
                "b_id": row["id"],
                "b_state": row["state"],
                "b_next": row["next_attempt_at"],
                "b_error": row["last_error"],
                "b_peer": row["peer_status"],
            }
            for row in attempts
        ],
    )


def release(connection: Connection, delivery_ids: Iterable[int]) -> None:
    """Give claimed rows back unsent (a worker stopping before it sent them)."""
    ids = list(delivery_ids)
    if ids:
        connection.execute(
            update(deliveries)
            .where(among(connection, deliveries.c.id, ids))
            .values(claimed_until=None)
        )


def finish_events(connection: Connection, event_ids: Iterable[int], now: datetime) -> None:
    """Mark sent the events among ``event_ids`` whose deliveries have all been sent."""
    ids = list(set(event_ids))
    if not ids:
        return
    unsent = exists().where(deliveries.c.event_id == outbox.c.id, deliveries.c.state != "sent")
    connection.execute(
        update(outbox)
        .where(among(connection, outbox.c.id, ids), outbox.c.sent_at.is_(None), ~unsent)
        .values(sent_at=now)
    )


def counts(connection: Connection) -> list[RowMapping]:
    """``channel``, ``state``, ``count`` for every pair that has rows."""
    return list(
        connection.execute(
            select(deliveries.c.channel, deliveries.c.state, func.count().label("count"))
            .group_by(deliveries.c.channel, deliveries.c.state)
            .order_by(deliveries.c.channel, deliveries.c.state)
        ).mappings()
    )


def undispatched(connection: Connection) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.dispatched_at.is_(None))
        ).scalar_one()
    )


def _listing() -> Any:
    return select(
        deliveries.c.id,
        deliveries.c.event_id,
        outbox.c.topic,
        deliveries.c.channel,
        deliveries.c.target,
        deliveries.c.endpoint_id,
        deliveries.c.state,
        deliveries.c.attempts,
        deliveries.c.next_attempt_at,
        deliveries.c.last_error,
        deliveries.c.peer_status,
        deliveries.c.created_at,
        deliveries.c.sent_at,
    ).select_from(deliveries.outerjoin(outbox, outbox.c.id == deliveries.c.event_id))


def in_state(
    connection: Connection, state: str, *, after: int = 0, limit: int = 100
) -> list[RowMapping]:
    return list(
        connection.execute(
            _listing()
            .where(deliveries.c.state == state, deliveries.c.id > after)
            .order_by(deliveries.c.id)
            .limit(limit)
        ).mappings()
    )


def get(connection: Connection, delivery_id: int) -> RowMapping | None:
    return connection.execute(_listing().where(deliveries.c.id == delivery_id)).mappings().first()


def of_event(connection: Connection, event_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            _listing().where(deliveries.c.event_id == event_id).order_by(deliveries.c.id)
        ).mappings()
    )


def requeue(connection: Connection, delivery_id: int, now: datetime) -> None:
    """Make a delivery due now with a fresh count of attempts."""
    connection.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(state="pending", attempts=0, next_attempt_at=now, claimed_until=None)
    )
    connection.execute(
        update(outbox)
        .where(
            outbox.c.id
            == select(deliveries.c.event_id).where(deliveries.c.id == delivery_id).scalar_subquery()
        )
        .values(sent_at=None)
    )


def prune(connection: Connection, before: datetime) -> tuple[int, int]:
    """Delete deliveries sent before ``before``, and the events sent before it that no
    delivery and no dedupe key still needs (a dedupe key keeps enqueuing idempotent).
    Returns how many deliveries and events went."""
    gone = connection.execute(
        delete(deliveries).where(deliveries.c.state == "sent", deliveries.c.sent_at < before)
    ).rowcount
    left = exists().where(deliveries.c.event_id == outbox.c.id)
    events_gone = connection.execute(
        delete(outbox).where(outbox.c.sent_at < before, outbox.c.dedupe_key.is_(None), ~left)
    ).rowcount
    return int(gone or 0), int(events_gone or 0)
