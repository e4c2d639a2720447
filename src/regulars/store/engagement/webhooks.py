"""Webhook endpoints: where events go, which types each wants, and its sealed secrets.

Secrets arrive here already encrypted (services/engagement/sealing.py); nothing in this
module ever sees one in plain text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, select, update

from regulars.store.tables import webhook_endpoints


def insert(
    connection: Connection,
    *,
    url: str,
    events: str,
    sealed_secret: str,
    description: str | None,
    now: datetime,
) -> int:
    return int(
        connection.execute(
            webhook_endpoints.insert()
            .values(
                url=url,
                events=events,
                description=description,
                secret=sealed_secret,
                enabled=True,
                consecutive_failures=0,
                created_at=now,
                updated_at=now,
            )
            .returning(webhook_endpoints.c.id)
        ).scalar_one()
    )


def get(connection: Connection, endpoint_id: int) -> RowMapping | None:
    return (
        connection.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
        .mappings()
        .first()
    )


def all_endpoints(connection: Connection, *, enabled_only: bool = False) -> list[RowMapping]:
    query = select(webhook_endpoints).order_by(webhook_endpoints.c.id)
    if enabled_only:
        query = query.where(webhook_endpoints.c.enabled.is_(True))
    return list(connection.execute(query).mappings())


def rotate(
    connection: Connection,
    endpoint_id: int,
    *,
    sealed_secret: str,
    sealed_previous: str,
    previous_valid_until: datetime,
    now: datetime,
) -> None:
    connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(
            secret=sealed_secret,
            previous_secret=sealed_previous,
            previous_valid_until=previous_valid_until,
            updated_at=now,
        )
    )


def set_enabled(
    connection: Connection, endpoint_id: int, enabled: bool, reason: str | None, now: datetime
) -> None:
    connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(
            enabled=enabled,
            disabled_reason=None if enabled else reason,
            consecutive_failures=0 if enabled else webhook_endpoints.c.consecutive_failures,
            updated_at=now,
        )
    )


def record_failures(
    connection: Connection,
    counts: dict[int, tuple[bool, int]],
    *,
    disable_after: int,
    now: datetime,
) -> list[int]:
    """Book a batch's attempts per endpoint: ``(any_success, failures_after_last_success)``.

    A success resets the endpoint's run of consecutive failures; failures add to it, and an
    endpoint whose run reaches ``disable_after`` is disabled. Returns the endpoints disabled
    now. Endpoints with a success and no failure after it, already at zero, are not written
    (the happy path writes nothing here).
    """
    disabled: list[int] = []
    table = webhook_endpoints
    for endpoint_id, (succeeded, failures) in sorted(counts.items()):
        if succeeded and failures == 0:
            connection.execute(
                update(table)
                .where(table.c.id == endpoint_id, table.c.consecutive_failures != 0)
                .values(consecutive_failures=0)
            )
            continue
        run = table.c.consecutive_failures + failures if not succeeded else failures
        row = connection.execute(
            update(table)
            .where(table.c.id == endpoint_id)
            .values(consecutive_failures=run)
            .returning(table.c.consecutive_failures, table.c.enabled)
        ).first()
        if row is not None and row.enabled and row.consecutive_failures >= disable_after:
            connection.execute(
                update(table)
                .where(table.c.id == endpoint_id)
                .values(
                    enabled=False,
                    disabled_reason=(
                        f"disabled after {row.consecutive_failures} consecutive failed "
                        "attempts; enable it again once the receiver answers"
                    ),
                    updated_at=now,
                )
            )
            disabled.append(endpoint_id)
    return disabled
