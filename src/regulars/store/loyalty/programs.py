"""Loyalty programs: their definitions (one row per program, one per version) and budgets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from regulars.store.tables import loyalty_program_versions, loyalty_programs


def save_program(
    connection: Connection,
    code: str,
    name: str,
    kind: str,
    definition: str,
    budget: int | None,
    now: datetime,
) -> tuple[int, int, bool]:
    """Store a definition as the program's next version; return (id, version, changed).

    The same definition as the current one is not a new version.
    """
    row = (
        connection.execute(select(loyalty_programs).where(loyalty_programs.c.code == code))
        .mappings()
        .first()
    )
    if row is None:
        program_id = connection.execute(
            insert(loyalty_programs)
            .values(
                code=code,
                name=name,
                kind=kind,
                version=1,
                definition=definition,
                active=True,
                budget=budget,
                issued=0,
                created_at=now,
                updated_at=now,
            )
            .returning(loyalty_programs.c.id)
        ).scalar_one()
        version = 1
    else:
        program_id = row["id"]
        if row["definition"] == definition and row["active"]:
            return program_id, row["version"], False
        version = row["version"] + 1
        connection.execute(
            update(loyalty_programs)
            .where(loyalty_programs.c.id == program_id)
            .values(
                name=name,
                kind=kind,
                version=version,
                definition=definition,
                active=True,
                budget=budget,
                updated_at=now,
            )
        )
    connection.execute(
        insert(loyalty_program_versions).values(
            program_id=program_id, version=version, definition=definition, created_at=now
        )
    )
    return program_id, version, True


def programs(connection: Connection, active_only: bool = True) -> list[RowMapping]:
    query = select(loyalty_programs).order_by(loyalty_programs.c.id)
    if active_only:
        query = query.where(loyalty_programs.c.active.is_(True))
    return list(connection.execute(query).mappings())


def set_active(connection: Connection, code: str, active: bool, now: datetime) -> int:
    return connection.execute(
        update(loyalty_programs)
        .where(loyalty_programs.c.code == code)
        .values(active=active, updated_at=now)
    ).rowcount


def take_budget(connection: Connection, program_id: int, points: int) -> int:
    """Reserve up to ``points`` of a budgeted program's budget; return what was granted.

    Locks the program row (taken after the account lock, never before)."""
    row = connection.execute(
        update(loyalty_programs)
        .where(loyalty_programs.c.id == program_id)
        .values(issued=loyalty_programs.c.issued)
        .returning(loyalty_programs.c.issued, loyalty_programs.c.budget)
    ).one()
    if row.budget is None:
        return points
    granted = max(0, min(points, int(row.budget) - int(row.issued)))
    if granted:
        connection.execute(
            update(loyalty_programs)
            .where(loyalty_programs.c.id == program_id)
            .values(issued=loyalty_programs.c.issued + granted)
        )
    return granted


def program(connection: Connection, code: str) -> RowMapping | None:
    return (
        connection.execute(select(loyalty_programs).where(loyalty_programs.c.code == code))
        .mappings()
        .first()
    )


def set_state(
    connection: Connection, code: str, *, active: bool, ended_at: datetime | None, now: datetime
) -> int:
    """Pause, resume or end a program (``ended_at`` set: ended for good)."""
    return connection.execute(
        update(loyalty_programs)
        .where(loyalty_programs.c.code == code)
        .values(active=active, ended_at=ended_at, updated_at=now)
    ).rowcount


def versions(connection: Connection, program_id: int) -> list[RowMapping]:
    """Every version of a program's definition, newest first."""
    return list(
        connection.execute(
            select(loyalty_program_versions)
            .where(loyalty_program_versions.c.program_id == program_id)
            .order_by(loyalty_program_versions.c.version.desc())
        ).mappings()
    )
