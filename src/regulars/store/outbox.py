"""The transactional outbox: events and messages written in the same transaction as the
change that caused them, delivered later by the delivery worker
(``regulars.services.engagement.delivery``; its queries are in ``store/engagement/``).

A ``dedupe_key`` makes enqueuing idempotent: the same key is enqueued once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from regulars.store.dialect import upsert_insert
from regulars.store.tables import outbox


def enqueue(
    connection: Connection,
    topic: str,
    payload: dict[str, Any],
    *,
    member_id: int | None = None,
    channel: str | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
    available_at: datetime | None = None,
) -> bool:
    """Add one event; return False when ``dedupe_key`` was already enqueued."""
    now = now or datetime.now(UTC)
    statement = (
        upsert_insert(connection, outbox)
        .values(
            topic=topic,
            member_id=member_id,
            channel=channel,
            payload=json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True),
            dedupe_key=dedupe_key,
            created_at=now,
            available_at=available_at or now,
        )
        .on_conflict_do_nothing(index_elements=[outbox.c.dedupe_key])
        .execution_options(preserve_rowcount=True)  # psycopg reports -1 otherwise
    )
    return connection.execute(statement).rowcount == 1


def enqueue_many(connection: Connection, events: list[dict[str, Any]]) -> None:
    """Add many events in one statement: each a mapping of ``topic``, ``payload``,
    ``member_id``, ``channel``, ``dedupe_key``, ``created_at`` and ``available_at`` (a
    ``dedupe_key`` already enqueued is skipped)."""
    if not events:
        return
    rows = [
        {
            **event,
            "payload": json.dumps(event["payload"], ensure_ascii=False, default=str,
                                  sort_keys=True),
        }
        for event in events
    ]  # fmt: skip
    statement = upsert_insert(connection, outbox).on_conflict_do_nothing(
        index_elements=[outbox.c.dedupe_key]
    )
    connection.execute(statement, rows)


def topics(connection: Connection, member_id: int | None = None) -> list[RowMapping]:
    query = select(outbox).order_by(outbox.c.id)
    if member_id is not None:
        query = query.where(outbox.c.member_id == member_id)
    return list(connection.execute(query).mappings())
