"""Programs as data: install a definition (a new version each time it changes), list them,
and load the running ones (parsed once per version and cached).

Shared helpers of the loyalty services live here too: the member lookup and the account
lock, so that every use case takes locks the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from regulars.domain.loyalty.programs import Program, ProgramError, ProgramKind, parse_program
from regulars.services.errors import Invalid, NotFound
from regulars.store.loyalty import ledger as ledger_store
from regulars.store.tables import members
from regulars.store.unit_of_work import UnitOfWork

_PARSED: dict[str, Program] = {}  # by definition text: ids repeat across stores


@dataclass(frozen=True)
class RunningProgram:
    id: int
    version: int
    program: Program


def utc(value: datetime | None) -> datetime | None:
    """Datetimes from SQLite come back naive; the store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def install_program(
    uow: UnitOfWork, definition: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Check and store a definition; the same code again makes a new version."""
    try:
        program = parse_program(definition)
    except ProgramError as error:
        raise Invalid(
            str(error), [{"field": error.field, "value": error.value, "reason": error.reason}]
        ) from None
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    program_id, version, changed = ledger_store.save_program(
        uow.connection,
        program.code,
        program.name,
        program.kind.value,
        text,
        program.budget,
        now or datetime.now(UTC),
    )
    return {
        "id": program_id,
        "code": program.code,
        "kind": program.kind.value,
        "version": version,
        "changed": changed,
    }


def list_programs(uow: UnitOfWork, active_only: bool = False) -> list[dict[str, Any]]:
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "kind": r["kind"],
            "version": r["version"],
            "active": r["active"],
            "budget": r["budget"],
            "issued": r["issued"],
            "definition": json.loads(r["definition"]),
        }
        for r in ledger_store.programs(uow.connection, active_only=active_only)
    ]


def deactivate(uow: UnitOfWork, code: str) -> None:
    if not ledger_store.set_active(uow.connection, code, False, datetime.now(UTC)):
        raise NotFound(f"no program with code {code!r}")


def running(connection: Connection, kind: ProgramKind | None = None) -> list[RunningProgram]:
    """The active programs, parsed (cached per version), in id order."""
    found = []
    for row in ledger_store.programs(connection):
        program = _PARSED.get(row["definition"])
        if program is None:
            program = parse_program(json.loads(row["definition"]))
            _PARSED[row["definition"]] = program
        if kind is None or program.kind is kind:
            found.append(RunningProgram(row["id"], row["version"], program))
    return found


def running_program(connection: Connection, code: str) -> RunningProgram:
    for item in running(connection):
        if item.program.code == code:
            return item
    raise NotFound(f"no active program with code {code!r}")


def member_id(connection: Connection, external_id: str) -> int:
    found = connection.execute(
        select(members.c.id).where(members.c.external_id == external_id)
    ).scalar()
    if found is None:
        raise NotFound(f"no member with id {external_id!r}")
    return int(found)
