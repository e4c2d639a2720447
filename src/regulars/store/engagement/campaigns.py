"""Campaigns: their definitions (one row per campaign, one per version), state and budget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from regulars.domain.times import as_utc
from regulars.store.tables import campaign_versions, campaigns


def save(
    connection: Connection,
    *,
    code: str,
    name: str,
    definition: str,
    priority: int,
    seed: int,
    budget_points: int | None,
    now: datetime,
) -> tuple[int, int, bool]:
    """Store a definition as the campaign's next version; return (id, version, changed).

    The same definition as the current one is not a new version. A new campaign starts as
    a draft; a new version keeps the campaign's state (the caller refuses an ended one)."""
    now = as_utc(now)
    row = (
        connection.execute(select(campaigns).where(campaigns.c.code == code).with_for_update())
        .mappings()
        .first()
    )
    if row is None:
        campaign_id = connection.execute(
            insert(campaigns)
            .values(
                code=code,
                name=name,
                version=1,
                definition=definition,
                state="draft",
                priority=priority,
                seed=seed,
                budget_points=budget_points,
                points_issued=0,
                created_at=now,
                updated_at=now,
            )
            .returning(campaigns.c.id)
        ).scalar_one()
        version = 1
    else:
        campaign_id = row["id"]
        if row["definition"] == definition:
            return campaign_id, row["version"], False
        version = row["version"] + 1
        connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(
                name=name,
                version=version,
                definition=definition,
                priority=priority,
                seed=seed,
                budget_points=budget_points,
                updated_at=now,
            )
        )
    connection.execute(
        insert(campaign_versions).values(
            campaign_id=campaign_id, version=version, definition=definition, created_at=now
        )
    )
    return campaign_id, version, True


def get(connection: Connection, code: str, *, lock: bool = False) -> RowMapping | None:
    query = select(campaigns).where(campaigns.c.code == code)
    if lock:
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def all_campaigns(connection: Connection, state: str | None = None) -> list[RowMapping]:
    query = select(campaigns).order_by(campaigns.c.priority.desc(), campaigns.c.id)
    if state is not None:
        query = query.where(campaigns.c.state == state)
    return list(connection.execute(query).mappings())


def running(connection: Connection) -> list[RowMapping]:
    """The running campaigns, highest priority first, each locked for this transaction (a
    second daily job waits for the first)."""
    return list(
        connection.execute(
            select(campaigns)
            .where(campaigns.c.state == "running")
            .order_by(campaigns.c.priority.desc(), campaigns.c.id)
            .with_for_update()
        ).mappings()
    )


def versions(connection: Connection, campaign_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(campaign_versions)
            .where(campaign_versions.c.campaign_id == campaign_id)
            .order_by(campaign_versions.c.version)
        ).mappings()
    )


def definition_of(connection: Connection, campaign_id: int, version: int) -> str | None:
    return connection.execute(
        select(campaign_versions.c.definition).where(
            campaign_versions.c.campaign_id == campaign_id, campaign_versions.c.version == version
        )
    ).scalar_one_or_none()


def set_state(connection: Connection, campaign_id: int, state: str, now: datetime) -> None:
    values: dict[str, Any] = {"state": state, "updated_at": as_utc(now)}
    if state == "running":
        values["launched_at"] = as_utc(now)
    if state == "ended":
        values["ended_at"] = as_utc(now)
    connection.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(**values))


def take_budget(connection: Connection, campaign_id: int, points: int) -> int:
    """Reserve up to ``points`` of the campaign's budget; return what was granted.

    The row is locked by the first statement (an update that changes nothing), so two jobs
    granting at once are served one after the other and the check constraint
    ``points_issued <= budget_points`` never fires."""
    row = connection.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(points_issued=campaigns.c.points_issued)
        .returning(campaigns.c.points_issued, campaigns.c.budget_points)
    ).one()
    granted = (
        points
        if row.budget_points is None
        else max(0, min(points, int(row.budget_points) - int(row.points_issued)))
    )
    if granted:
        connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(points_issued=campaigns.c.points_issued + granted)
        )
    return granted


def give_back(connection: Connection, campaign_id: int, points: int) -> None:
    """Return reserved points that were not issued (a program's own budget cut an award)."""
    if points > 0:
        connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(points_issued=campaigns.c.points_issued - points)
        )
