"""Contracts: written by external id (new ones added, changed ones updated), read with the
codes of their member and plan."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from regulars.store.tables import members, subscription_plans, subscriptions

FIELDS = (
    "member_id",
    "plan_id",
    "monthly_fee",
    "started_on",
    "committed_until",
    "cancelled_on",
    "cancel_reason",
    "competitor",
    "channel",
    "device",
)
"""What a contract row holds beside its ``external_id`` (members and plans as ids)."""


def stored(connection: Connection, external_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored contracts among ``external_ids``: external id -> ``id`` and :data:`FIELDS`."""
    wanted = sorted(set(external_ids))
    found: dict[str, dict[str, Any]] = {}
    columns = [subscriptions.c.external_id, subscriptions.c.id]
    columns += [subscriptions.c[f] for f in FIELDS]
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        query = select(*columns).where(subscriptions.c.external_id.in_(chunk))
        for row in connection.execute(query).mappings():
            found[row["external_id"]] = {k: v for k, v in row.items() if k != "external_id"}
    return found


def add(connection: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Insert new contracts (``external_id`` and :data:`FIELDS`, dates as ``date``)."""
    if rows:
        connection.execute(
            insert(subscriptions), [{**r, "created_at": now, "updated_at": now} for r in rows]
        )


def change(connection: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Update stored contracts to the :data:`FIELDS` of ``rows`` (by ``external_id``)."""
    if rows:
        connection.execute(
            update(subscriptions).where(subscriptions.c.external_id == bindparam("_external_id")),
            [
                {**{f: r[f] for f in FIELDS}, "_external_id": r["external_id"], "updated_at": now}
                for r in rows
            ],
        )


def _with_codes() -> Any:
    return select(
        subscriptions.c.id,
        subscriptions.c.external_id.label("subscription_id"),
        members.c.external_id.label("member_id"),
        subscription_plans.c.code.label("plan"),
        subscription_plans.c.name.label("plan_name"),
        subscriptions.c.monthly_fee,
        subscriptions.c.started_on,
        subscriptions.c.committed_until,
        subscriptions.c.cancelled_on,
        subscriptions.c.cancel_reason,
        subscriptions.c.competitor,
        subscriptions.c.channel,
        subscriptions.c.device,
        subscriptions.c.created_at,
        subscriptions.c.updated_at,
    ).select_from(
        subscriptions.join(members, members.c.id == subscriptions.c.member_id).join(
            subscription_plans, subscription_plans.c.id == subscriptions.c.plan_id
        )
    )


def get(connection: Connection, external_id: str) -> RowMapping | None:
    """One contract with its member's id and its plan's code and name (and its row ``id``)."""
    query = _with_codes().where(subscriptions.c.external_id == external_id)
    return connection.execute(query).mappings().first()


def of_member(connection: Connection, member_id: int) -> list[RowMapping]:
    """A member's contracts, oldest first."""
    query = (
        _with_codes()
        .where(subscriptions.c.member_id == member_id)
        .order_by(subscriptions.c.started_on, subscriptions.c.external_id)
    )
    return list(connection.execute(query).mappings())


def cancelled_between(
    connection: Connection, first: date, last: date, external_ids: Iterable[str] | None = None
) -> list[RowMapping]:
    """Contracts cancelled from ``first`` to ``last`` (inclusive) whose member is not erased
    (optionally only those of ``external_ids``): ``id``, ``external_id``, ``member_id``,
    ``cancelled_on``."""
    query = (
        select(
            subscriptions.c.id,
            subscriptions.c.external_id,
            subscriptions.c.member_id,
            subscriptions.c.cancelled_on,
        )
        .join(members, members.c.id == subscriptions.c.member_id)
        .where(
            subscriptions.c.cancelled_on >= first,
            subscriptions.c.cancelled_on <= last,
            members.c.erased_at.is_(None),
        )
        .order_by(subscriptions.c.cancelled_on, subscriptions.c.id)
    )
    if external_ids is not None:
        query = query.where(subscriptions.c.external_id.in_(sorted(set(external_ids))))
    return list(connection.execute(query).mappings())
