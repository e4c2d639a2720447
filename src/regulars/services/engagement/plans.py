"""The composer's answers, and the event it reads (shared by :mod:`.messages` and
:mod:`.alerts`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from regulars.channels.base import Delivery
from regulars.domain.times import as_utc


class OutboxEvent(Protocol):
    """An outbox event as the worker holds it (the worker's own event class fits)."""

    @property
    def id(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def member_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass(frozen=True)
class Event:
    """An outbox row read for composing (:meth:`from_row` takes ``store.outbox`` rows)."""

    id: int
    topic: str
    payload: Mapping[str, Any]
    member_id: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        payload = row["payload"]
        return cls(
            id=int(row["id"]),
            topic=row["topic"],
            payload=json.loads(payload) if isinstance(payload, str) else dict(payload),
            member_id=row.get("member_id"),
            created_at=as_utc(row["created_at"]),
        )


def delivery_id(event_id: int) -> str:
    """The idempotency key of every delivery of an event: the worker's ``evt_<id>``."""
    return f"evt_{event_id}"


@dataclass(frozen=True)
class MessageDelivery:
    """One delivery for the channel called ``channel``."""

    channel: str
    delivery: Delivery


@dataclass(frozen=True)
class Send:
    deliveries: list[MessageDelivery] = field(default_factory=list)


@dataclass(frozen=True)
class Hold:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Skip:
    reason: str


Plan = Send | Hold | Skip
