"""What staff see of deliveries: counts per channel and state, the dead letters, replay.

A delivery is ``pending`` (not tried yet), ``failed`` (tried, will be tried again),
``sent`` or ``dead`` (tried ``REGULARS_DELIVERY_MAX_ATTEMPTS`` times, or refused for good by
its peer). A dead delivery stays until someone replays it (:func:`replay`: due now, with a
fresh count of attempts) — it is never pruned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regulars.domain.times import wire
from regulars.services.errors import Conflict, NotFound
from regulars.store.engagement import deliveries as store
from regulars.store.unit_of_work import UnitOfWork

STATES = store.STATES


def status(uow: UnitOfWork) -> dict[str, Any]:
    """``{"channels": {channel: {pending, sent, failed, dead}}, "undispatched": n}``."""
    channels: dict[str, dict[str, int]] = {}
    for row in store.counts(uow.connection):
        counts = channels.setdefault(row["channel"], dict.fromkeys(STATES, 0))
        counts[row["state"]] = int(row["count"])
    return {"channels": channels, "undispatched": store.undispatched(uow.connection)}


def _listed(row: Any) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "event_id": int(row["event_id"]),
        "topic": row["topic"],
        "channel": row["channel"],
        "target": row["target"],
        "state": row["state"],
        "attempts": int(row["attempts"]),
        "next_attempt_at": wire(row["next_attempt_at"]),
        "last_error": row["last_error"],
        "peer_status": row["peer_status"],
        "created_at": wire(row["created_at"]),
        "sent_at": wire(row["sent_at"]),
    }


def failed(uow: UnitOfWork, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Dead deliveries, oldest first (keyset pagination by id)."""
    return [
        _listed(row) for row in store.in_state(uow.connection, "dead", after=after, limit=limit)
    ]


def get(uow: UnitOfWork, delivery_id: int) -> dict[str, Any]:
    row = store.get(uow.connection, delivery_id)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    return _listed(row)


def replay(uow: UnitOfWork, delivery_id: int, now: datetime) -> dict[str, Any]:
    """Queue a dead (or failing) delivery again, due now, with its attempts counted anew."""
    found = get(uow, delivery_id)
    if found["state"] == "sent":
        raise Conflict(f"delivery {delivery_id} was sent already; nothing to replay")
    store.requeue(uow.connection, delivery_id, now)
    return get(uow, delivery_id)
