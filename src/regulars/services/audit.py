"""The audit log of staff actions: who changed what, when, and what it was before and after.

Every console action that changes data, and every program state change made through the API,
calls :func:`record` in the same unit of work as the change (services never commit: the
entry is committed with the change, or neither is). ``before`` and ``after`` are JSON-ready
dicts; times in them become ISO 8601.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from regulars.domain.times import wire
from regulars.store import audit as audit_store
from regulars.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff user (``kind`` "staff", their id and e-mail), an API key
    ("api_key", its id and name) or the command line ("cli", the operating-system user)."""

    kind: str
    id: int | None
    name: str

    @property
    def label(self) -> str:
        """How the actor is written where a name is kept (a ledger entry's actor)."""
        return f"{self.kind}:{self.name}"


def _plain(value: Any) -> Any:
    """``value`` as JSON holds it: times in the wire format, dates ISO 8601 (this module is
    imported by light commands, so it does not take the member export's helper and pandas)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return wire(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True, default=str)


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    target_kind: str,
    target: str | None,
    now: datetime,
    *,
    member_id: int | None = None,
    store: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Write one entry; return its id."""
    return audit_store.add(
        uow.connection,
        {
            "at": now,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor": actor.name[:320],
            "action": action,
            "target_kind": target_kind,
            "target": None if target is None else str(target)[:200],
            "member_id": member_id,
            "store": store,
            "before_json": _json(before),
            "after_json": _json(after),
        },
    )


def entries(
    uow: UnitOfWork,
    *,
    before_id: int | None = None,
    member_id: int | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries newest first, each with ``before`` and ``after`` parsed back and ``at`` in
    the wire format."""
    rows = audit_store.entries(
        uow.connection, before_id=before_id, member_id=member_id, action=action, limit=limit
    )
    return [
        {
            "id": int(r["id"]),
            "at": wire(r["at"]),
            "actor_kind": r["actor_kind"],
            "actor_id": r["actor_id"],
            "actor": r["actor"],
            "action": r["action"],
            "target_kind": r["target_kind"],
            "target": r["target"],
            "store": r["store"],
            "before": json.loads(r["before_json"]) if r["before_json"] else None,
            "after": json.loads(r["after_json"]) if r["after_json"] else None,
        }
        for r in rows
    ]
