"""Programs as data: install a definition (a new version each time it changes), list them,
and load the running ones (parsed once per version and cached).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from regulars.domain.loyalty.programs import Program, ProgramError, ProgramKind, parse_program
from regulars.domain.times import as_utc, wire
from regulars.services import audit
from regulars.services.errors import Conflict, Invalid, NotFound
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
    stored = program_store.program(uow.connection, program.code)
    if stored is not None and stored["ended_at"] is not None:
        raise Conflict(
            f"program {program.code!r} was ended; a program that ends does not come back "
            "(install it under a new code)"
        )
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
            "state": state_of(r),
            "ended_at": as_utc(r["ended_at"]),
            "definition": json.loads(r["definition"]),
        }
        for r in program_store.programs(uow.connection, active_only=active_only)
    ]


ACTIVE, PAUSED, ENDED = "active", "paused", "ended"


def state_of(row: Any) -> str:
    """``active`` (earning and spending), ``paused`` (neither, until resumed) or ``ended``
    (for good: it cannot be resumed or installed again)."""
    if row["ended_at"] is not None:
        return ENDED
    return ACTIVE if row["active"] else PAUSED


def get_program(uow: UnitOfWork, code: str) -> dict[str, Any]:
    """A program with its state and every version of its definition (newest first)."""
    row = program_store.program(uow.connection, code)
    if row is None:
        raise NotFound(f"no program with code {code!r}")
    return {
        "code": row["code"],
        "name": row["name"],
        "kind": row["kind"],
        "version": row["version"],
        "state": state_of(row),
        "budget": row["budget"],
        "issued": row["issued"],
        "created_at": wire(row["created_at"]),
        "updated_at": wire(row["updated_at"]),
        "ended_at": wire(row["ended_at"]),
        "definition": json.loads(row["definition"]),
        "versions": [
            {
                "version": v["version"],
                "created_at": wire(v["created_at"]),
                "definition": json.loads(v["definition"]),
            }
            for v in program_store.versions(uow.connection, int(row["id"]))
        ],
    }


MOVES = {"pause": (ACTIVE,), "resume": (PAUSED,), "end": (ACTIVE, PAUSED)}


def change_state(
    uow: UnitOfWork, code: str, move: str, now: datetime, actor: audit.Actor
) -> dict[str, Any]:
    """``pause`` a program (members neither earn nor spend in it until it is resumed),
    ``resume`` it, or ``end`` it for good. Balances, lots and vouchers stay as they are.
    Audited; a move the program's state does not allow is a :class:`Conflict`."""
    if move not in MOVES:
        raise Invalid(f"move must be pause, resume or end, not {move!r}")
    row = program_store.program(uow.connection, code)
    if row is None:
        raise NotFound(f"no program with code {code!r}")
    before = state_of(row)
    if before not in MOVES[move]:
        raise Conflict(f"program {code!r} is {before}: it cannot {move}")
    ended_at = now if move == "end" else None
    uow.memo.pop(RUNNING, None)
    uow.memo[WRITTEN] = True
    program_store.set_state(
        uow.connection, code, active=move == "resume", ended_at=ended_at, now=now
    )
    after = {"pause": PAUSED, "resume": ACTIVE, "end": ENDED}[move]
    audit.record(
        uow,
        actor,
        f"program.{move}",
        "program",
        code,
        now,
        before={"state": before},
        after={"state": after},
    )
    return {"code": code, "state": after, "ended_at": wire(ended_at)}


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
