"""The delivery worker against a real HTTP receiver on 127.0.0.1, on SQLite and PostgreSQL.

Signatures are checked by the channel tests' independent implementation of the spec
(``verify``: the standard library's HMAC, not the ``standardwebhooks`` package).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.integration.channels.peers import Answer, HttpReceiver
from tests.integration.channels.test_webhook_delivery import verify
from tests.integration.engagement.outbox_events import START, Clock, enqueue

from regulars.bootstrap import App
from regulars.services.engagement import deliveries, webhooks
from regulars.services.engagement.delivery import Worker
from regulars.services.errors import Invalid
from regulars.store.tables import outbox, webhook_endpoints


def register(app: App, url: str, events: str = "*") -> tuple[int, str]:
    with app.unit_of_work() as uow:
        endpoint, secret = webhooks.add(
            uow, app.sealer, url, START, events=events, allow_private=True
        )
        uow.commit()
    return endpoint.id, secret


def worker(app: App, clock: Clock) -> Worker:
    delivery_worker = app.delivery_worker()
    delivery_worker.clock = clock
    delivery_worker._uniform = lambda: 1.0  # the longest wait jitter allows
    return delivery_worker


def status(app: App) -> dict[str, dict[str, int]]:
    with app.unit_of_work() as uow:
        return deliveries.status(uow)["channels"]  # type: ignore[no-any-return]


def test_events_reach_subscribed_endpoints_signed_and_leave_the_outbox(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    _, secret = register(delivering, receiver.url + "/hooks", "points.*")
    enqueue(delivering, 3, "points.earned")
    enqueue(delivering, 2, "tier.changed")  # nobody subscribes: marked done, not sent
    with worker(delivering, clock) as running:
        report = running.drain()
    assert (report.events, report.sent, report.dead) == (5, 3, 0)
    assert len(receiver.requests) == 3
    assert all(verify(secret, request) for request in receiver.requests)
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert [body["type"] for body in bodies] == ["points.earned"] * 3
    assert [body["data"]["n"] for body in bodies] == [0, 1, 2]
    assert {request.headers["webhook-id"] for request in receiver.requests} == {
        body["id"] for body in bodies
    }
    with delivering.engine.connect() as connection:
        unsent = connection.execute(select(outbox.c.id).where(outbox.c.sent_at.is_(None)))
        assert unsent.all() == []
    assert status(delivering) == {"webhook": {"pending": 0, "sent": 3, "failed": 0, "dead": 0}}


def test_a_receiver_failing_three_times_gets_the_event_once_after_three_retries(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    _, secret = register(delivering, receiver.url)
    enqueue(delivering, 1)
    receiver.answer_next(503, Answer(429, {"retry-after": "120"}), 500)
    running = worker(delivering, clock)
    waits = []
    for _ in range(4):
        running.drain()
        with delivering.unit_of_work() as uow:
            [row] = deliveries.failed(uow) or [deliveries.get(uow, 1)]
        waits.append((row["state"], row["attempts"]))
        clock.advance(hours=2)
    running.close()
    assert waits == [("failed", 1), ("failed", 2), ("failed", 3), ("sent", 4)]
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert list(ids.values()) == [4]  # four attempts, one id: the receiver keeps one
    assert all(verify(secret, request) for request in receiver.requests)


def test_backoff_waits_grow_and_honour_retry_after(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    register(delivering, receiver.url)
    enqueue(delivering, 1)
    receiver.answer_next(503, Answer(503, {"retry-after": "7200"}))
    running = worker(delivering, clock)
    running.drain()
    with delivering.unit_of_work() as uow:
        first = deliveries.get(uow, 1)
    assert first["next_attempt_at"] == (START + timedelta(seconds=30)).isoformat()
    running.drain()  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    clock.advance(seconds=30)
    running.drain()
    with delivering.unit_of_work() as uow:
        second = deliveries.get(uow, 1)
    assert second["next_attempt_at"] == (clock.now + timedelta(hours=2)).isoformat()
    running.close()


def test_dead_after_max_attempts_then_replayed_and_delivered(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    register(delivering, receiver.url)
    enqueue(delivering, 1)
    receiver.answer_next(*[500] * 8)
    running = worker(delivering, clock)
    for _ in range(8):
        running.drain()
        clock.advance(hours=2)
    assert len(receiver.requests) == 8
    with delivering.unit_of_work() as uow:
        [dead] = deliveries.failed(uow)
    assert (dead["state"], dead["attempts"], dead["topic"]) == ("dead", 8, "points.earned")
    assert dead["last_error"].startswith("HTTP 500")
    running.drain()
    assert len(receiver.requests) == 8  # a dead letter is not retried by itself
    with delivering.unit_of_work() as uow:
        deliveries.replay(uow, dead["id"], clock.now)
        uow.commit()
    running.drain()
    running.close()
    assert len(receiver.requests) == 9
    assert receiver.requests[-1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    assert status(delivering)["webhook"]["sent"] == 1


def test_a_client_error_is_dead_at_once(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    register(delivering, receiver.url)
    enqueue(delivering, 1)
    receiver.answer_next(410)
    with worker(delivering, clock) as running:
        running.drain()
    assert status(delivering)["webhook"]["dead"] == 1


def test_an_endpoint_is_disabled_after_repeated_failures_and_catches_up_when_enabled(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    endpoint_id, _ = register(delivering, receiver.url)
    enqueue(delivering, 12)
    receiver.answer_next(*[503] * 10)
    running = worker(delivering, clock)
    running.drain()
    assert len(receiver.requests) == 12  # one batch: ten failures, then two successes
    clock.advance(hours=2)
    receiver.answer_next(*[503] * 10)
    running.drain()
    with delivering.unit_of_work() as uow:
        endpoint = webhooks.get(uow, endpoint_id)
    assert not endpoint.enabled
    assert endpoint.consecutive_failures == 10
    assert "10 consecutive failed attempts" in (endpoint.disabled_reason or "")
    clock.advance(hours=2)
    running.drain()
    assert len(receiver.requests) == 22  # disabled: its deliveries wait
    with delivering.unit_of_work() as uow:
        webhooks.enable(uow, endpoint_id, clock.now)
        uow.commit()
    running.drain()
    running.close()
    assert status(delivering)["webhook"]["sent"] == 12
    assert len({r.headers["webhook-id"] for r in receiver.requests if r is not None}) == 12


def test_rotation_signs_with_both_secrets_for_the_window(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    endpoint_id, old = register(delivering, receiver.url)
    with delivering.unit_of_work() as uow:
        endpoint, new = webhooks.rotate(uow, delivering.sealer, endpoint_id, START, window_hours=24)
        uow.commit()
    assert endpoint.rotating_until == START + timedelta(hours=24)
    enqueue(delivering, 1)
    running = worker(delivering, clock)
    running.drain()
    first = receiver.requests[-1]
    assert verify(old, first)
    assert verify(new, first)
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    clock.advance(hours=25)
    enqueue(delivering, 1, at=clock.now)
    running.drain()
    running.close()
    second = receiver.requests[-1]
    assert verify(new, second)
    assert not verify(old, second)


def test_secrets_are_stored_encrypted(delivering: App, receiver: HttpReceiver) -> None:
    endpoint_id, secret = register(delivering, receiver.url)
    with delivering.unit_of_work() as uow:
        _, rotated = webhooks.rotate(uow, delivering.sealer, endpoint_id, START)
        uow.commit()
    with delivering.engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(select(webhook_endpoints)).mappings()]
    stored = json.dumps(rows, default=str)
    assert "whsec_" not in stored
    assert secret.removeprefix("whsec_") not in stored
    assert rotated.removeprefix("whsec_") not in stored
    assert delivering.sealer.open(rows[0]["secret"]) == rotated


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://10.0.0.7/hook", "http://[::1]/hook", "ftp://x.y/"]
)
def test_private_and_odd_urls_are_refused_unless_allowed(app: App, url: str) -> None:
    with app.unit_of_work() as uow, pytest.raises(Invalid):
        webhooks.add(uow, app.sealer, url, START)


def test_a_webhook_url_that_became_private_is_not_called(
    app: App, receiver: HttpReceiver, clock: Clock
) -> None:
    """Registered while private URLs were allowed; the worker now runs without that."""
    register(app, receiver.url)
    enqueue(app, 1)
    with worker(app, clock) as running:
        running.drain()
    assert receiver.requests == []
    with app.unit_of_work() as uow:
        [dead] = deliveries.failed(uow)
    assert "loopback" in dead["last_error"]


def test_ping_reaches_the_endpoint_signed(delivering: App, receiver: HttpReceiver) -> None:
    endpoint_id, secret = register(delivering, receiver.url)
    book = webhooks.EndpointBook(delivering.sealer)
    with delivering.webhook_channel(book) as channel, delivering.unit_of_work() as uow:
        outcome = webhooks.ping(uow, book, channel, endpoint_id, START)
    assert outcome.ok
    [request] = receiver.requests
    assert json.loads(request.body)["type"] == "webhook.ping"
    assert verify(secret, request)


def test_sent_rows_are_pruned_after_the_retention_period(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    register(delivering, receiver.url)
    enqueue(delivering, 2)
    running = worker(delivering, clock)
    running.drain()
    assert running.prune() == (0, 0)
    clock.advance(days=31)
    assert running.prune() == (2, 2)
    running.close()
    assert status(delivering) == {}


def test_a_slow_receiver_does_not_outlast_the_lease(
    delivering: App, receiver: HttpReceiver, clock: Clock
) -> None:
    """A worker stops sending before its claim runs out and gives the rest back."""
    register(delivering, receiver.url)
    enqueue(delivering, 6)
    receiver.answer_next(*[Answer(200, delay=0.25)] * 6)
    running = worker(delivering, clock)
    running.policy = dataclasses.replace(running.policy, lease_seconds=1.0)
    first = running.run_batch()
    assert 0 < first.sent < 6
    with delivering.unit_of_work() as uow:
        assert deliveries.status(uow)["channels"]["webhook"]["pending"] == 6 - first.sent
    running.drain()
    running.close()
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(ids) == 6
    assert set(ids.values()) == {1}
