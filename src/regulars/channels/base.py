"""The one small interface every delivery channel implements.

A :class:`Delivery` is one thing to hand to one peer: an event for a webhook endpoint or the
broker, a message for a member's mailbox or phone. A :class:`Channel` sends it and answers
with an :class:`Outcome` — delivered, worth retrying (with the peer's reason and, when it
said so, how long to wait), or failed for good. A channel never raises for what a peer did:
a refused connection, a 503 or an SMTP 451 are outcomes the delivery worker books. It raises
only for programming errors.

This is httpx's transport pattern: the worker talks to ``Channel``; the concrete channels
(``webhook``, ``email``, ``sms``, ``broker``) and the in-memory twin used by tests
(``memory.InMemoryChannel``) are interchangeable behind it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

from regulars.domain.times import wire


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event or message for one recipient.

    ``id`` is the event's id and the idempotency key of every attempt: a webhook receiver
    sees it as ``webhook-id``, the broker as ``message_id``, a mailbox in ``Message-ID``. A
    retry carries the same id, so a peer can recognise a duplicate.

    ``topic`` is the event type (``points.earned``, ``survey.invitation``); ``recipient`` is
    what the channel addresses: a webhook endpoint's key, an e-mail address, a phone number
    (the broker needs none). ``data`` is the event's JSON payload; ``subject``, ``text`` and
    ``html`` are a rendered message. ``marketing`` tells advertising apart from transactional
    messages (a survey the member asked for, a reply to their case).
    """

    id: str
    topic: str
    recipient: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    subject: str = ""
    text: str = ""
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    unsubscribe_url: str | None = None
    marketing: bool = False
    occurred_at: datetime | None = None

    def envelope(self) -> dict[str, Any]:
        """The event as it leaves the system (Standard Webhooks' recommended shape)."""
        return {
            "id": self.id,
            "type": self.topic,
            "timestamp": wire(self.occurred_at),
            "data": dict(self.data),
        }

    def body(self) -> bytes:
        """The envelope as compact UTF-8 JSON: the bytes a webhook or the broker carries."""
        return json.dumps(
            self.envelope(), ensure_ascii=False, separators=(",", ":"), default=str
        ).encode()


class Status(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came of one attempt.

    ``peer_status`` is what the peer answered (HTTP status, SMTP reply code), ``None`` when
    it never answered. ``retry_after`` is the wait in seconds the peer asked for (HTTP
    ``Retry-After``); the worker's own backoff applies when it is ``None``. ``reference`` is
    the peer's id for the message when it gave one (an SMS gateway's message id).
    """

    status: Status
    reason: str = ""
    peer_status: int | None = None
    retry_after: float | None = None
    reference: str | None = None

    @classmethod
    def delivered(cls, peer_status: int | None = None, reference: str | None = None) -> Outcome:
        return cls(Status.DELIVERED, "", peer_status, None, reference)

    @classmethod
    def retry(
        cls, reason: str, peer_status: int | None = None, retry_after: float | None = None
    ) -> Outcome:
        return cls(Status.RETRY, reason, peer_status, retry_after)

    @classmethod
    def failed(cls, reason: str, peer_status: int | None = None) -> Outcome:
        return cls(Status.FAILED, reason, peer_status)

    @property
    def ok(self) -> bool:
        return self.status is Status.DELIVERED

    @property
    def retryable(self) -> bool:
        return self.status is Status.RETRY


class Channel(ABC):
    """A way out of the system. Subclasses set ``name`` and implement :meth:`send`.

    Channels may be shared by worker threads: ``send`` is safe to call concurrently.
    ``close`` releases connections; a channel is also a context manager.
    """

    name: str = "channel"

    @abstractmethod
    def send(self, delivery: Delivery) -> Outcome:
        """Attempt one delivery and say how it went; never raise for a peer's failure."""

    def close(self) -> None:  # noqa: B027 - optional: a channel may hold no connection
        """Release connections (nothing to release by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
