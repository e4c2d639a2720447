"""Webhooks by the Standard Webhooks specification (https://www.standardwebhooks.com/).

Every request is a POST of the event's JSON envelope with three headers:

- ``webhook-id``: the event id, the same on every retry (the receiver's idempotency key);
- ``webhook-timestamp``: when this attempt was signed, in Unix seconds (receivers reject
  stale ones, which stops replays);
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, once per
  secret, separated by spaces. Signing is done by the spec's own ``standardwebhooks``
  package, not by code of ours.

A secret is ``whsec_`` and the base64 of 32 random bytes (:func:`new_secret`). To rotate,
an endpoint holds its new and old secrets for a stated window (:func:`active_secrets`), and
every request carries one signature per secret, so receivers that know either accept it.

Each send first checks the URL against :mod:`regulars.channels.destinations` (no loopback,
private or link-local hosts unless ``allow_private``); answers are read as
:mod:`regulars.channels.http_outcome` says.
"""

from __future__ import annotations

import base64
import math
import secrets as random_source
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import httpx
from standardwebhooks.webhooks import Webhook

from regulars import __version__
from regulars.channels.base import Channel, Delivery, Outcome
from regulars.channels.destinations import (
    RefusedDestination,
    Resolver,
    UnresolvedDestination,
    check_destination,
)
from regulars.channels.http_outcome import outcome_of, outcome_of_error, read_body
from regulars.domain.times import as_utc

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes. Shown once."""
    return SECRET_PREFIX + base64.b64encode(random_source.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> None:
    """Raise ValueError unless ``secret`` is ``whsec_`` + base64 of at least 24 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise ValueError("a webhook secret is base64 after its prefix") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a webhook secret holds at least {MIN_SECRET_BYTES} random bytes")


def active_secrets(
    secrets: Iterable[tuple[str, datetime | None]], now: datetime
) -> tuple[str, ...]:
    """The secrets to sign with now: those whose ``valid_until`` (None: no end) has not passed.

    During a rotation the old secret stays with the end of its window, the new one without.
    """
    moment = as_utc(now)
    return tuple(secret for secret, until in secrets if until is None or as_utc(until) > moment)


def signature_headers(
    message_id: str, body: bytes, secrets: Sequence[str], timestamp: datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, signed with every secret given."""
    if not secrets:
        raise ValueError("a webhook is signed with at least one secret")
    moment = as_utc(timestamp)
    text = body.decode()
    signatures = " ".join(_signer(secret).sign(message_id, moment, text) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": signatures,
    }


@lru_cache(maxsize=256)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """Where a webhook goes and the secrets it is signed with (newest first)."""

    url: str
    secrets: tuple[str, ...] = field(repr=False)


EndpointLookup = Callable[[str], WebhookEndpoint] | Mapping[str, WebhookEndpoint]


class WebhookChannel(Channel):
    """Signs and POSTs events to registered endpoints.

    ``endpoints`` finds the endpoint a delivery's ``recipient`` names (a mapping, or a
    function raising KeyError for an unknown key), so that secrets never travel in a
    :class:`~regulars.channels.base.Delivery`. One HTTP client with kept-alive connections
    serves every send; pass ``client`` to share one (it is then not closed here).
    """

    name = "webhook"

    def __init__(
        self,
        endpoints: EndpointLookup,
        *,
        allow_private: bool = False,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        self._lookup = endpoints.__getitem__ if isinstance(endpoints, Mapping) else endpoints
        self._allow_private = allow_private
        self._resolve = resolve
        self._clock = clock or (lambda: datetime.now(UTC))
        self._own_client = client is None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            headers={"user-agent": f"regulars-webhooks/{__version__}"},
        )

    def send(self, delivery: Delivery) -> Outcome:
        try:
            endpoint = self._lookup(delivery.recipient)
        except KeyError:
            return Outcome.failed(f"no webhook endpoint {delivery.recipient!r}")
        try:
            check_destination(
                endpoint.url, allow_private=self._allow_private, resolve=self._resolve
            )
        except UnresolvedDestination as error:
            return Outcome.retry(str(error))
        except RefusedDestination as error:
            return Outcome.failed(str(error))
        body = delivery.body()
        headers = {
            **delivery.headers,
            "content-type": "application/json",
            **signature_headers(delivery.id, body, endpoint.secrets, self._clock()),
        }
        try:
            with self._client.stream("POST", endpoint.url, content=body, headers=headers) as answer:
                reply = read_body(answer)
        except httpx.HTTPError as error:
            return outcome_of_error(error)
        return outcome_of(answer, reply)

    def close(self) -> None:
        if self._own_client:
            self._client.close()
