"""Webhooks to a real HTTP receiver on 127.0.0.1, verified by an independent implementation.

The receiver checks each request the way the Standard Webhooks spec tells a receiver to, with
the standard library's HMAC (production signs with the ``standardwebhooks`` package).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from tests.integration.channels.peers import Answer, HttpReceiver, Request, free_port

from regulars.channels.base import Delivery, Status
from regulars.channels.webhook import WebhookChannel, WebhookEndpoint, new_secret

TOLERANCE = 300  # seconds, the spec's suggested window


def verify(secret: str, request: Request) -> bool:
    """A receiver's check, written from the spec: fresh timestamp and one matching v1 HMAC."""
    message_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in request.headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def _event(number: int = 1) -> Delivery:
    return Delivery(
        f"evt_{number}",
        "feedback.detractor",
        recipient="store-7",
        data={"score": 2, "comment": "주문이 너무 늦게 나왔어요", "case": 31},
        occurred_at=datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
    )


def _channel(receiver: HttpReceiver, *secrets: str, timeout: float = 10.0) -> WebhookChannel:
    endpoint = WebhookEndpoint(receiver.url + "/hooks/regulars", secrets)
    return WebhookChannel({"store-7": endpoint}, allow_private=True, timeout=timeout)


def test_a_signed_event_arrives_and_verifies(receiver: HttpReceiver) -> None:
    secret = new_secret()
    with _channel(receiver, secret) as channel:
        outcome = channel.send(_event())
    assert outcome.ok
    assert outcome.peer_status == 200
    [request] = receiver.requests
    assert request.path == "/hooks/regulars"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "evt_1"
    assert request.headers["user-agent"].startswith("regulars-webhooks/")
    assert verify(secret, request)
    assert not verify(new_secret(), request)
    assert json.loads(request.body) == {
        "id": "evt_1",
        "type": "feedback.detractor",
        "timestamp": "2026-03-01T11:00:00+00:00",
        "data": {"score": 2, "comment": "주문이 너무 늦게 나왔어요", "case": 31},
    }


def test_a_tampered_body_does_not_verify(receiver: HttpReceiver) -> None:
    secret = new_secret()
    with _channel(receiver, secret) as channel:
        channel.send(_event())
    [request] = receiver.requests
    tampered = Request(
        request.path, request.headers, request.body.replace(b'"score":2', b'"score":9')
    )
    assert not verify(secret, tampered)


def test_during_a_rotation_both_secrets_verify(receiver: HttpReceiver) -> None:
    old, new = new_secret(), new_secret()
    with _channel(receiver, new, old) as channel:
        assert channel.send(_event()).ok
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify(new, request)
    assert verify(old, request)


def test_a_receiver_failing_three_times_then_succeeding(receiver: HttpReceiver) -> None:
    receiver.answer_next(
        Answer(503, body=b"maintenance"),
        Answer(429, {"retry-after": "7"}),
        Answer(500),
    )
    secret = new_secret()
    with _channel(receiver, secret) as channel:
        outcomes = [channel.send(_event()) for _ in range(4)]
    assert [outcome.status for outcome in outcomes] == [Status.RETRY] * 3 + [Status.DELIVERED]
    assert [outcome.peer_status for outcome in outcomes] == [503, 429, 500, 200]
    assert outcomes[0].reason == "HTTP 503 Service Unavailable: maintenance"
    assert outcomes[1].retry_after == 7.0
    assert {request.headers["webhook-id"] for request in receiver.requests} == {"evt_1"}
    assert all(verify(secret, request) for request in receiver.requests)


@pytest.mark.parametrize(("status", "retryable"), [(408, True), (400, False), (410, False)])
def test_client_errors(receiver: HttpReceiver, status: int, retryable: bool) -> None:
    receiver.answer_next(status)
    with _channel(receiver, new_secret()) as channel:
        outcome = channel.send(_event())
    assert outcome.retryable is retryable
    assert not outcome.ok
    assert outcome.peer_status == status


def test_a_redirect_is_not_followed(receiver: HttpReceiver) -> None:
    receiver.answer_next(Answer(307, {"location": "http://169.254.169.254/"}))
    with _channel(receiver, new_secret()) as channel:
        outcome = channel.send(_event())
    assert outcome.status is Status.FAILED
    assert len(receiver.requests) == 1


def test_a_slow_receiver_times_out_and_is_retried(receiver: HttpReceiver) -> None:
    receiver.answer_next(Answer(200, delay=2.0))
    with _channel(receiver, new_secret(), timeout=0.3) as channel:
        outcome = channel.send(_event())
    assert outcome.retryable
    assert "ReadTimeout" in outcome.reason


def test_nobody_listening_is_retried() -> None:
    endpoint = WebhookEndpoint(f"http://127.0.0.1:{free_port()}/", (new_secret(),))
    with WebhookChannel({"gone": endpoint}, allow_private=True) as channel:
        outcome = channel.send(Delivery("evt_1", "points.earned", recipient="gone"))
    assert outcome.retryable
    assert outcome.peer_status is None
    assert "ConnectError" in outcome.reason


def test_a_private_receiver_is_refused_unless_allowed(receiver: HttpReceiver) -> None:
    endpoints = {"store-7": WebhookEndpoint(receiver.url + "/hooks/regulars", (new_secret(),))}
    with WebhookChannel(endpoints) as channel:
        outcome = channel.send(_event())
    assert outcome.status is Status.FAILED
    assert "127.0.0.1 is a loopback address" in outcome.reason
    assert receiver.requests == []
    with WebhookChannel(endpoints, allow_private=True) as channel:
        assert channel.send(_event()).ok


def test_an_unknown_endpoint_fails_for_good() -> None:
    with WebhookChannel({}) as channel:
        outcome = channel.send(Delivery("evt_1", "points.earned", recipient="nope"))
    assert outcome.status is Status.FAILED
    assert "no webhook endpoint 'nope'" in outcome.reason


def test_endpoints_may_come_from_a_lookup_function(receiver: HttpReceiver) -> None:
    secret = new_secret()

    def lookup(key: str) -> WebhookEndpoint:
        return WebhookEndpoint(f"{receiver.url}/{key}", (secret,))

    with WebhookChannel(lookup, allow_private=True) as channel:
        assert channel.send(Delivery("evt_9", "tier.changed", recipient="crm")).ok
    assert receiver.requests[0].path == "/crm"
    assert verify(secret, receiver.requests[0])


def test_one_channel_serves_many_sends_on_kept_connections(receiver: HttpReceiver) -> None:
    secret = new_secret()
    with _channel(receiver, secret) as channel:
        outcomes = [channel.send(_event(number)) for number in range(50)]
    assert all(outcome.ok for outcome in outcomes)
    assert [request.headers["webhook-id"] for request in receiver.requests] == [
        f"evt_{number}" for number in range(50)
    ]
    assert len({request.client_port for request in receiver.requests}) == 1  # one connection
