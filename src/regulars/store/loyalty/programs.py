"""Loyalty programs: their definitions (one row per program, one per version) and budgets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from regulars.store import memory
from regulars.store.dialect import is_postgres
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


_ACTIVE = (
    select(loyalty_programs.c.id, loyalty_programs.c.version)
    .where(loyalty_programs.c.active.is_(True))
    .order_by(loyalty_programs.c.id)
)


_ACTIVE_TEXT = "SELECT id, version FROM loyalty_programs WHERE active ORDER BY id"


def running_definitions(
    connection: Connection,
    versions: list[tuple[int, int]] | None = None,
    *,
    settled: bool = False,
) -> list[tuple[int, int, str]]:
    """``(id, version, definition)`` of the active programs, in id order (``versions``: the
    ``(id, version)`` in force, when the caller read them already).

    A version's definition never changes, so only the ids and versions in force are read
    (one small query); the definition of a version this database was already asked for is
    remembered (:mod:`regulars.store.memory`) — a sale does not fetch the programs' texts.
    ``settled``: this transaction wrote no program, so what it reads is committed and is
    remembered at once (a quote, which commits nothing); otherwise when it commits."""
    if versions is not None:
        pass
    elif is_postgres(connection):
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(_ACTIVE_TEXT)
            versions = [(int(i), int(v)) for i, v in cursor.fetchall()]
    else:
        versions = [(int(i), int(v)) for i, v in connection.execute(_ACTIVE)]
    known: dict[tuple[int, int], str] = memory.recall(connection, "program_definitions")
    missing = [pair for pair in versions if pair not in known]
    if missing:
        read = {
            (int(r.id), int(r.version)): r.definition
            for r in connection.execute(
                select(
                    loyalty_programs.c.id, loyalty_programs.c.version, loyalty_programs.c.definition
                ).where(loyalty_programs.c.id.in_([i for i, _ in missing]))
            )
        }
        if settled:
            memory.recall(connection, "program_definitions").update(read)
        else:
            memory.remember(connection, "program_definitions", read)
        known = {**known, **read}
    return [(i, v, known[(i, v)]) for i, v in versions]
