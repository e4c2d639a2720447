"""Programs as data: install a definition (a new version each time it changes), list them,
and load the running ones (parsed once per version and cached).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from regulars.domain.loyalty.programs import Program, ProgramError, ProgramKind, parse_program
from regulars.services.errors import Invalid, NotFound
from regulars.store.loyalty import programs as program_store
from regulars.store.unit_of_work import UnitOfWork

_PARSED: dict[str, Program] = {}  # by definition text: ids repeat across stores
RUNNING = "loyalty.running"
"""The unit of work's memo of its running programs."""
WRITTEN = "loyalty.programs_written"
"""Set in the memo of a unit of work that installed or deactivated a program."""


@dataclass(frozen=True)
class RunningProgram:
    """An active program as it runs: its store id, its current version, its rules."""

    id: int
    version: int
    program: Program


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
    program_id, version, changed = program_store.save_program(
        uow.connection,
        program.code,
        program.name,
        program.kind.value,
        text,
        program.budget,
        now or datetime.now(UTC),
    )
    uow.memo.pop(RUNNING, None)
    uow.memo[WRITTEN] = True
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
        for r in program_store.programs(uow.connection, active_only=active_only)
    ]


def deactivate(uow: UnitOfWork, code: str) -> None:
    uow.memo.pop(RUNNING, None)
    uow.memo[WRITTEN] = True
    if not program_store.set_active(uow.connection, code, False, datetime.now(UTC)):
        raise NotFound(f"no program with code {code!r}")


def running(
    uow: UnitOfWork,
    kind: ProgramKind | None = None,
    *,
    versions: list[tuple[int, int]] | None = None,
) -> list[RunningProgram]:
    """The active programs, parsed (cached per version), in id order.

    Read once per unit of work (installing or deactivating a program in it reads them
    again); the versions in force are asked of the store each time, so a program installed
    by another process counts from its commit on (the invalidation stamp is the versions).
    ``versions``: the ``(id, version)`` in force, read by the caller with another statement
    (a sale's accrual reads them with its claim)."""
    found: list[RunningProgram] | None = uow.memo.get(RUNNING)
    if found is None or versions is not None:
        found = []
        definitions = program_store.running_definitions(
            uow.connection, versions, settled=WRITTEN not in uow.memo
        )
        for program_id, version, definition in definitions:
            program = _PARSED.get(definition)
            if program is None:
                program = parse_program(json.loads(definition))
                _PARSED[definition] = program
            found.append(RunningProgram(program_id, version, program))
        uow.memo[RUNNING] = found
    return [rp for rp in found if kind is None or rp.program.kind is kind]


def running_program(uow: UnitOfWork, code: str) -> RunningProgram:
    for item in running(uow):
        if item.program.code == code:
            return item
    raise NotFound(f"no active program with code {code!r}")
