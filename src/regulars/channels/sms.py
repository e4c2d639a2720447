"""Text messages through an HTTP gateway whose request shape is configured.

Korean gateways (and most others) take a JSON POST with the recipient, the sender number,
the text and the message type; only the field names and the auth header differ, so they are
settings (:class:`SmsGateway`), not code.

Length is counted the way Korean carriers bill it: in bytes of the Korean code page
(EUC-KR / CP949), where a Hangul syllable or any other non-ASCII character takes 2 bytes and
ASCII 1. Up to 90 bytes is an SMS; up to 2,000 bytes an LMS (long message, with a subject);
anything longer is refused before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from regulars.channels.base import Channel, Delivery, Outcome
from regulars.channels.http_outcome import outcome_of, outcome_of_error, read_body

SMS_BYTES = 90
LMS_BYTES = 2000

MessageKind = Literal["SMS", "LMS"]


class MessageTooLong(ValueError):
    """The text does not fit in the longest message a carrier takes."""


def carrier_length(text: str) -> int:
    """The text's length in bytes as Korean carriers count it.

    ASCII is 1 byte; Hangul and every other character 2 (their width in CP949, the code page
    the carriers use; a character CP949 lacks, such as an emoji, is counted as the 2-byte
    substitute it becomes).

    >>> carrier_length("Hi 안녕")
    7
    """
    return sum(1 if ord(character) < 0x80 else 2 for character in text)


def message_kind(text: str) -> MessageKind:
    """``SMS`` up to 90 bytes, ``LMS`` up to 2,000; longer raises :class:`MessageTooLong`.

    >>> message_kind("가" * 45), message_kind("가" * 46)
    ('SMS', 'LMS')
    """
    length = carrier_length(text)
    if length <= SMS_BYTES:
        return "SMS"
    if length <= LMS_BYTES:
        return "LMS"
    raise MessageTooLong(
        f"the text is {length} bytes as carriers count it; a message takes at most {LMS_BYTES}"
    )


@dataclass(frozen=True, slots=True)
class SmsGateway:
    """How to talk to one gateway: where, how to authenticate, what the JSON fields are called.

    ``type_field`` and ``subject_field`` may be None when the gateway does not take them;
    ``extra`` holds constant fields some gateways want (an account id, a country code).
    The gateway's message id is read from ``reference_field`` of its JSON answer if present.
    """

    url: str
    sender: str
    auth_header: str = "Authorization"
    auth_value: str = field(default="", repr=False)
    to_field: str = "to"
    from_field: str = "from"
    text_field: str = "text"
    type_field: str | None = "type"
    subject_field: str | None = "subject"
    reference_field: str | None = "id"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def request_body(self, delivery: Delivery, kind: MessageKind) -> dict[str, Any]:
        body: dict[str, Any] = {
            **self.extra,
            self.to_field: delivery.recipient,
            self.from_field: self.sender,
            self.text_field: delivery.text,
        }
        if self.type_field:
            body[self.type_field] = kind
        if self.subject_field and kind == "LMS" and delivery.subject:
            body[self.subject_field] = delivery.subject
        return body


class SmsChannel(Channel):
    """Sends a delivery's ``text`` to its ``recipient`` (a phone number) through a gateway."""

    name = "sms"

    def __init__(
        self, gateway: SmsGateway, *, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self.gateway = gateway
        self._own_client = client is None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), follow_redirects=False
        )

    def send(self, delivery: Delivery) -> Outcome:
        if not delivery.recipient:
            return Outcome.failed("an SMS needs a phone number")
        if not delivery.text:
            return Outcome.failed("an SMS needs a text")
        try:
            kind = message_kind(delivery.text)
        except MessageTooLong as error:
            return Outcome.failed(str(error))
        headers = {"idempotency-key": delivery.id}
        if self.gateway.auth_value:
            headers[self.gateway.auth_header] = self.gateway.auth_value
        body = self.gateway.request_body(delivery, kind)
        try:
            with self._client.stream(
                "POST", self.gateway.url, json=body, headers=headers
            ) as answer:
                reply = read_body(answer)
        except httpx.HTTPError as error:
            return outcome_of_error(error)
        outcome = outcome_of(answer, reply)
        if outcome.ok:
            return Outcome.delivered(outcome.peer_status, self._reference(reply))
        return outcome

    def _reference(self, reply: bytes) -> str | None:
        """The gateway's id for the message, when its answer is a JSON object holding one."""
        if not self.gateway.reference_field:
            return None
        try:
            answer = json.loads(reply)
        except ValueError:
            return None
        found = answer.get(self.gateway.reference_field) if isinstance(answer, dict) else None
        return None if found is None else str(found)

    def close(self) -> None:
        if self._own_client:
            self._client.close()
