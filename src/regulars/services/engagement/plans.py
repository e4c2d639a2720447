"""The answers of a member-message composer (:mod:`.messages`, :mod:`.alerts`).

The event, the planned delivery, ``Hold`` and ``Skip`` are the worker's own
(:mod:`.composing`); ``Send`` wraps what a message composer plans so that its caller can
tell "send these" from "not a message". :class:`OutboxEvent` is what a composer reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from regulars.services.engagement.composing import Event, Hold, Skip
from regulars.services.engagement.composing import Planned as MessageDelivery
from regulars.services.engagement.composing import event_key as delivery_id

__all__ = ["Event", "Hold", "MessageDelivery", "OutboxEvent", "Plan", "Send", "Skip", "delivery_id"]


class OutboxEvent(Protocol):
    """An outbox event as the worker holds it (:class:`~.composing.Event` fits)."""

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
class Send:
    deliveries: list[MessageDelivery] = field(default_factory=list)


Plan = Send | Hold | Skip
