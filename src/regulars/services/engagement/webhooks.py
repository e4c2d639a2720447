"""Webhook endpoints: registered with the event types they want, signed with secrets that
are shown once, stored sealed, and rotatable.

An endpoint subscribes with patterns over event types: ``points.*`` (every points event),
``case.opened``, ``*`` (everything). A new endpoint's secret is returned once by
:func:`add` and :func:`rotate`; only its sealed form is stored. After a rotation the old
secret stays valid for a window (``REGULARS_WEBHOOK_ROTATION_HOURS``, default 24): every
request is signed with both until it ends, so receivers switch without losing a message.

URLs are checked against :mod:`regulars.channels.destinations` when registered (and again on
every send by the channel): loopback and private addresses are refused unless
``REGULARS_WEBHOOK_ALLOW_PRIVATE=1``. The worker disables an endpoint after
``REGULARS_WEBHOOK_DISABLE_AFTER`` (default 10) consecutive failed attempts; its deliveries
wait until :func:`enable` is called.
"""

from __future__ import annotations

import re
import secrets as random_source
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from regulars.channels.base import Channel, Delivery, Outcome
from regulars.channels.destinations import RefusedDestination, check_destination
from regulars.channels.webhook import WebhookEndpoint, active_secrets, new_secret
from regulars.domain.times import as_utc, wire
from regulars.services.engagement.sealing import Sealer, UnreadableSecret
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.store.engagement import webhooks as store
from regulars.store.unit_of_work import UnitOfWork

PING = "webhook.ping"
PATTERN = re.compile(r"^(\*|[a-z0-9_-]+(\.([a-z0-9_-]+|\*))*)$")


def parse_events(text: str | None) -> tuple[str, ...]:
    """Event type patterns from ``points.*,case.opened``; empty or None means ``*``.

    >>> parse_events("points.*, case.opened"), parse_events("")
    (('points.*', 'case.opened'), ('*',))
    """
    patterns = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    for pattern in patterns:
        if not PATTERN.match(pattern):
            raise Invalid(
                f"{pattern!r} is not an event type pattern: use names like points.earned, "
                "points.* or * (lower case, dots between words)",
                [{"field": "events", "value": pattern}],
            )
    return patterns or ("*",)


def wants(patterns: tuple[str, ...], topic: str) -> bool:
    """Whether an endpoint subscribed with ``patterns`` receives events of type ``topic``.

    >>> wants(("points.*",), "points.earned"), wants(("points.*",), "tier.changed")
    (True, False)
    """
    return any(pattern == "*" or fnmatchcase(topic, pattern) for pattern in patterns)


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as staff see it: never its secrets."""

    id: int
    url: str
    events: tuple[str, ...]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    rotating_until: datetime | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "description": self.description,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "consecutive_failures": self.consecutive_failures,
            "previous_secret_valid_until": wire(self.rotating_until),
            "created_at": wire(self.created_at),
        }


def _endpoint(row: Any, now: datetime | None = None) -> Endpoint:
    until = as_utc(row["previous_valid_until"]) if row["previous_valid_until"] else None
    if until is not None and now is not None and until <= as_utc(now):
        until = None
    return Endpoint(
        id=int(row["id"]),
        url=row["url"],
        events=parse_events(row["events"]),
        description=row["description"],
        enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"],
        consecutive_failures=int(row["consecutive_failures"]),
        rotating_until=until,
        created_at=as_utc(row["created_at"]),
    )


def add(
    uow: UnitOfWork,
    sealer: Sealer,
    url: str,
    now: datetime,
    *,
    events: str | None = None,
    description: str | None = None,
    allow_private: bool = False,
) -> tuple[Endpoint, str]:
    """Register an endpoint; return it and its secret (shown once, stored sealed)."""
    patterns = parse_events(events)
    try:
        check_destination(url, allow_private=allow_private)
    except RefusedDestination as error:
        raise Invalid(str(error), [{"field": "url", "value": url}]) from None
    secret = new_secret()
    endpoint_id = store.insert(
        uow.connection,
        url=url,
        events=",".join(patterns),
        sealed_secret=sealer.seal(secret),
        description=description,
        now=now,
    )
    return get(uow, endpoint_id, now), secret


def get(uow: UnitOfWork, endpoint_id: int, now: datetime | None = None) -> Endpoint:
    row = store.get(uow.connection, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return _endpoint(row, now)


def list_endpoints(uow: UnitOfWork, now: datetime | None = None) -> list[Endpoint]:
    return [_endpoint(row, now) for row in store.all_endpoints(uow.connection)]


def rotate(
    uow: UnitOfWork, sealer: Sealer, endpoint_id: int, now: datetime, *, window_hours: float = 24
) -> tuple[Endpoint, str]:
    """Give the endpoint a new secret; the current one stays valid for ``window_hours``."""
    row = store.get(uow.connection, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    secret = new_secret()
    store.rotate(
        uow.connection,
        endpoint_id,
        sealed_secret=sealer.seal(secret),
        sealed_previous=row["secret"],
        previous_valid_until=now + timedelta(hours=window_hours),
        now=now,
    )
    return get(uow, endpoint_id, now), secret


def disable(
    uow: UnitOfWork, endpoint_id: int, now: datetime, reason: str = "disabled by staff"
) -> Endpoint:
    get(uow, endpoint_id)
    store.set_enabled(uow.connection, endpoint_id, False, reason, now)
    return get(uow, endpoint_id, now)


def enable(uow: UnitOfWork, endpoint_id: int, now: datetime) -> Endpoint:
    """Enable again (its count of failures starts over); held deliveries become due."""
    get(uow, endpoint_id)
    store.set_enabled(uow.connection, endpoint_id, True, None, now)
    return get(uow, endpoint_id, now)


def ping(
    uow: UnitOfWork, book: EndpointBook, channel: Channel, endpoint_id: int, now: datetime
) -> Outcome:
    """Send a signed ``webhook.ping`` event to the endpoint now (enabled or not) and say
    what came of it. Nothing is stored: the ping is not an event of the business."""
    row = store.get(uow.connection, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    try:
        book.load([row], now)
    except UnreadableSecret as error:
        raise Conflict(str(error)) from None
    delivery = Delivery(
        f"ping_{random_source.token_hex(8)}",
        PING,
        recipient=str(endpoint_id),
        data={"endpoint": endpoint_id, "message": "a test event from regulars"},
        occurred_at=now,
    )
    return channel.send(delivery)


@dataclass(frozen=True)
class Subscription:
    endpoint_id: int
    events: tuple[str, ...]
    consecutive_failures: int


class EndpointBook:
    """The endpoints as the worker and the webhook channel need them: URL and open secrets
    by key (the endpoint id as text), and who subscribes to what.

    :meth:`refresh` reloads the enabled endpoints (the worker calls it once per batch);
    :meth:`lookup` is what :class:`~regulars.channels.webhook.WebhookChannel` is built with.
    Secrets are opened here, in memory, and never written anywhere.
    """

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._subscriptions: list[Subscription] = []
        self._lock = threading.Lock()

    def refresh(self, uow: UnitOfWork, now: datetime) -> None:
        rows = store.all_endpoints(uow.connection, enabled_only=True)
        subscriptions = [
            Subscription(int(r["id"]), parse_events(r["events"]), int(r["consecutive_failures"]))
            for r in rows
        ]
        opened = self._open(rows, now)
        with self._lock:
            self._endpoints = opened
            self._subscriptions = subscriptions

    def load(self, rows: list[Any], now: datetime) -> None:
        """Add (or replace) the given endpoints, whatever their state (for a ping)."""
        opened = self._open(rows, now, strict=True)
        with self._lock:
            self._endpoints = {**self._endpoints, **opened}

    def _open(
        self, rows: list[Any], now: datetime, *, strict: bool = False
    ) -> dict[str, WebhookEndpoint]:
        opened: dict[str, WebhookEndpoint] = {}
        for row in rows:
            try:
                pairs = [(self._sealer.open(row["secret"]), None)]
                if row["previous_secret"]:
                    until = row["previous_valid_until"]
                    pairs.append((self._sealer.open(row["previous_secret"]), until))
            except UnreadableSecret:
                if strict:
                    raise
                continue  # its sends fail with "no webhook endpoint" until rotated
            opened[str(row["id"])] = WebhookEndpoint(row["url"], active_secrets(pairs, now))
        return opened

    def lookup(self, key: str) -> WebhookEndpoint:
        with self._lock:
            return self._endpoints[key]

    def subscribers(self, topic: str) -> list[Subscription]:
        with self._lock:
            return [s for s in self._subscriptions if wants(s.events, topic)]

    def failures(self, endpoint_id: int) -> int:
        with self._lock:
            for subscription in self._subscriptions:
                if subscription.endpoint_id == endpoint_id:
                    return subscription.consecutive_failures
        return 0
