"""Two workers at once on PostgreSQL, and events published to the real RabbitMQ."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import Counter
from collections.abc import Iterator

import pika
import pytest
from tests.conftest import _empty_postgres
from tests.integration.channels.peers import HttpReceiver
from tests.integration.channels.test_broker_publishing import exchange
from tests.integration.engagement.outbox_events import START, enqueue

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.services.engagement import deliveries, webhooks

__all__ = ["exchange"]  # a fixture: a topic exchange of its own, deleted afterwards


@pytest.fixture
def postgres_app(postgres_database: str) -> Iterator[App]:
    settings = Settings(database_url=postgres_database, webhook_allow_private=True)
    application = build(settings, migrate_schema=False)
    yield application
    application.engine.dispose()
    _empty_postgres(postgres_database)


def test_two_workers_on_postgresql_send_every_message_exactly_once(
    postgres_app: App, receiver: HttpReceiver
) -> None:
    events = 400
    postgres_app.settings = dataclasses.replace(postgres_app.settings, delivery_batch=15)
    with postgres_app.unit_of_work() as uow:
        webhooks.add(uow, postgres_app.sealer, receiver.url, START, allow_private=True)
        uow.commit()
    enqueue(postgres_app, events)
    workers = [postgres_app.delivery_worker() for _ in range(2)]
    reports = []
    start = threading.Barrier(2)

    def run(index: int) -> None:
        start.wait()
        reports.append((index, workers[index].drain()))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.close()
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(ids) == events
    assert set(ids.values()) == {1}  # never twice
    sent = {index: report.sent for index, report in reports}
    assert sum(sent.values()) == events
    assert min(sent.values()) > 0  # both took part
    with postgres_app.unit_of_work() as uow:
        assert deliveries.status(uow)["channels"]["webhook"]["sent"] == events


def test_every_event_reaches_the_broker_when_it_is_configured(
    app: App, amqp_url: str, exchange: str
) -> None:
    app.settings = dataclasses.replace(app.settings, amqp_url=amqp_url, amqp_exchange=exchange)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    subscriber = connection.channel()
    subscriber.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = subscriber.queue_declare("", exclusive=True, auto_delete=True).method.queue
    subscriber.queue_bind(queue, exchange, routing_key="points.*")
    enqueue(app, 2, "points.earned")
    enqueue(app, 1, "tier.changed")  # published too, but this queue does not bind it
    with app.delivery_worker() as worker:
        report = worker.drain()
    assert report.sent == 3
    received = []
    while True:
        method, properties, body = subscriber.basic_get(queue, auto_ack=True)
        if method is None:
            break
        received.append((method.routing_key, properties.message_id, json.loads(body)))
    connection.close()
    assert [(key, body["data"]["n"]) for key, _, body in received] == [
        ("points.earned", 0),
        ("points.earned", 1),
    ]
    assert [message_id for _, message_id, _ in received] == [body["id"] for *_, body in received]
    with app.unit_of_work() as uow:
        assert deliveries.status(uow)["channels"] == {
            "broker": {"pending": 0, "sent": 3, "failed": 0, "dead": 0}
        }
