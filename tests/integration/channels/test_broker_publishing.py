"""Events published to the real RabbitMQ (127.0.0.1:5672, guest/guest), consumed back.

Each test uses its own exchange, so parallel runs and a real ``regulars.events`` never meet.
The ``amqp_url`` fixture fails the test when RabbitMQ cannot be reached: it is never skipped.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pika
import pytest
from pika.adapters.blocking_connection import BlockingChannel
from tests.integration.channels.peers import free_port

from regulars.channels.base import Delivery, Status
from regulars.channels.broker import DEFAULT_AMQP_URL, DEFAULT_EXCHANGE, BrokerChannel


@pytest.fixture
def exchange(amqp_url: str) -> Iterator[str]:
    name = f"regulars.events.test-{uuid.uuid4().hex[:8]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    connection.channel().exchange_delete(name)
    connection.close()


@pytest.fixture
def subscriber(amqp_url: str) -> Iterator[BlockingChannel]:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    yield connection.channel()
    connection.close()


def _bind(subscriber: BlockingChannel, exchange: str, pattern: str) -> str:
    """A private queue bound to ``exchange`` with ``pattern``, as a data platform would."""
    subscriber.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = subscriber.queue_declare("", exclusive=True, auto_delete=True).method.queue
    subscriber.queue_bind(queue, exchange, routing_key=pattern)
    return str(queue)


def _consume(
    subscriber: BlockingChannel, queue: str
) -> list[tuple[str, pika.BasicProperties, bytes]]:
    received = []
    while True:
        method, properties, body = subscriber.basic_get(queue, auto_ack=True)
        if method is None:
            return received
        received.append((method.routing_key, properties, body))


def _event(event_id: str, topic: str, **data: object) -> Delivery:
    moment = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    return Delivery(event_id, topic, data=data, occurred_at=moment)


def test_events_are_routed_by_type_to_the_queues_that_want_them(
    amqp_url: str, exchange: str, subscriber: BlockingChannel
) -> None:
    points = _bind(subscriber, exchange, "points.*")
    everything = _bind(subscriber, exchange, "#")
    with BrokerChannel(amqp_url, exchange) as broker:
        earned = broker.send(_event("evt_1", "points.earned", member=7, points=120))
        answered = broker.send(
            _event("evt_2", "feedback.answered", member=7, score=9, 코멘트="좋아요")
        )
    assert earned.ok
    assert answered.ok
    [(routing_key, properties, body)] = _consume(subscriber, points)
    assert routing_key == "points.earned"
    assert properties.message_id == "evt_1"
    assert properties.type == "points.earned"
    assert properties.content_type == "application/json"
    assert properties.delivery_mode == 2  # persistent
    assert properties.timestamp == int(datetime(2026, 3, 1, 11, 0, tzinfo=UTC).timestamp())
    assert json.loads(body) == {
        "id": "evt_1",
        "type": "points.earned",
        "timestamp": "2026-03-01T11:00:00+00:00",
        "data": {"member": 7, "points": 120},
    }
    all_events = _consume(subscriber, everything)
    assert [(key, props.message_id) for key, props, _ in all_events] == [
        ("points.earned", "evt_1"),
        ("feedback.answered", "evt_2"),
    ]
    assert json.loads(all_events[1][2])["data"]["코멘트"] == "좋아요"


def test_the_exchange_is_a_durable_topic_exchange(
    amqp_url: str, exchange: str, subscriber: BlockingChannel
) -> None:
    with BrokerChannel(amqp_url, exchange) as broker:
        assert broker.send(_event("evt_1", "tier.changed")).ok
    # a passive declare with other properties would close the channel; this one matches
    subscriber.exchange_declare(exchange, exchange_type="topic", durable=True, passive=True)


def test_publishing_with_no_queue_bound_is_not_a_failure(amqp_url: str, exchange: str) -> None:
    with BrokerChannel(amqp_url, exchange) as broker:
        assert broker.send(_event("evt_1", "nobody.listens")).ok


def test_a_lost_connection_is_reopened(
    amqp_url: str, exchange: str, subscriber: BlockingChannel
) -> None:
    queue = _bind(subscriber, exchange, "#")
    with BrokerChannel(amqp_url, exchange) as broker:
        assert broker.send(_event("evt_1", "points.earned")).ok
        broker._connection.close()  # type: ignore[union-attr]  # as if the broker went away
        assert broker.send(_event("evt_2", "points.earned")).ok
    assert [props.message_id for _, props, _ in _consume(subscriber, queue)] == ["evt_1", "evt_2"]


def test_an_unreachable_broker_is_retried() -> None:
    with BrokerChannel(f"amqp://guest:guest@127.0.0.1:{free_port()}/", timeout=2) as broker:
        outcome = broker.send(_event("evt_1", "points.earned"))
    assert outcome.status is Status.RETRY
    assert "cannot reach the broker" in outcome.reason


def test_a_refused_login_is_retried_with_a_hint(amqp_url: str, exchange: str) -> None:
    wrong = amqp_url.replace("guest:guest@", "guest:wrong@")
    with BrokerChannel(wrong, exchange) as broker:
        outcome = broker.send(_event("evt_1", "points.earned"))
    assert outcome.retryable
    assert "REGULARS_AMQP_URL" in outcome.reason


def test_the_defaults() -> None:
    assert DEFAULT_AMQP_URL == "amqp://guest:guest@127.0.0.1:5672/"
    assert DEFAULT_EXCHANGE == "regulars.events"
