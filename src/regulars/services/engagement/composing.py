"""What an outbox event becomes: the seam between the delivery worker and what it sends.

The worker (:mod:`.delivery`) hands every due outbox event to a :class:`Composer` and gets
back one of three answers:

- a list of :class:`Planned` deliveries — a channel name and a
  :class:`~regulars.channels.base.Delivery` each (an empty list: the event has nowhere to
  go and is marked done);
- :class:`Hold` — not now; the event waits in the outbox until ``until`` (quiet hours);
- :class:`Skip` — never; the event is marked done with the reason (consent withdrawn).

:class:`FanOut`, the default, sends every event to each enabled webhook endpoint subscribed
to its type and, when a broker is configured, to the broker. Member messages (survey and
referral invitations, points expiring, tier changes, rewards) plug in as another composer —
typically one that renders the member's message and adds the fan-out of
``FanOut.compose`` — passed to the worker by ``bootstrap``; the worker loop does not change.

A composer runs inside the worker's claiming transaction, so it may read the store through
``uow`` (a member's consent, locale, time zone) as of the moment of sending.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from regulars.channels.base import Delivery
from regulars.domain.times import as_utc
from regulars.services.engagement.webhooks import EndpointBook
from regulars.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Event:
    """An outbox event as the worker reads it."""

    id: int
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    member_id: int | None = None
    channel: str | None = None

    @property
    def key(self) -> str:
        """The idempotency key of every delivery of this event (``webhook-id``,
        ``message_id``, the e-mail's ``Message-ID``)."""
        return event_key(self.id)

    @classmethod
    def from_row(cls, row: Any) -> Event:
        return cls(
            id=int(row["id"]),
            topic=row["topic"],
            payload=json.loads(row["payload"]),
            created_at=as_utc(row["created_at"]),
            member_id=row.get("member_id"),
            channel=row.get("channel"),
        )

    def delivery(self, recipient: str = "") -> Delivery:
        """The event itself, for a webhook endpoint or the broker."""
        return Delivery(
            self.key, self.topic, recipient=recipient, data=self.payload,
            occurred_at=self.created_at,
        )  # fmt: skip


def event_key(event_id: int) -> str:
    return f"evt_{event_id}"


@dataclass(frozen=True)
class Planned:
    """One delivery to make through the channel named ``channel`` (``webhook``, ``broker``,
    ``email``, ``sms``). For a webhook the delivery's recipient is the endpoint id."""

    channel: str
    delivery: Delivery


@dataclass(frozen=True)
class Hold:
    until: datetime
    reason: str = "held"


@dataclass(frozen=True)
class Skip:
    reason: str


Composition = list[Planned] | Hold | Skip


class Composer(Protocol):
    def compose(self, uow: UnitOfWork, event: Event, now: datetime) -> Composition:
        """What ``event`` becomes now."""


class FanOut:
    """Every event to each enabled webhook endpoint subscribed to its type, and to the
    broker when ``broker`` is on. ``book`` is refreshed by the worker before each batch."""

    def __init__(self, book: EndpointBook, *, broker: bool = False) -> None:
        self.book = book
        self.broker = broker

    def compose(self, uow: UnitOfWork, event: Event, now: datetime) -> Composition:
        planned = [
            Planned("webhook", event.delivery(str(subscription.endpoint_id)))
            for subscription in self.book.subscribers(event.topic)
        ]
        if self.broker:
            planned.append(Planned("broker", event.delivery()))
        return planned
