"""The composer seam: a composer that holds, skips and renders member messages plugs into
the same worker, whose channels here are in-memory twins."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.integration.engagement.outbox_events import START, Clock, enqueue

from regulars.bootstrap import App
from regulars.channels import Delivery, InMemoryChannel
from regulars.services.engagement import deliveries
from regulars.services.engagement.composing import (
    Composition,
    Event,
    FanOut,
    Hold,
    Planned,
    Skip,
)
from regulars.store.unit_of_work import UnitOfWork


class Messages:
    """Event n=0: an e-mail plus the fan-out; n=1: held an hour; n=2: skipped."""

    def __init__(self, fan_out: FanOut) -> None:
        self.fan_out = fan_out
        self.calls: list[tuple[int, datetime]] = []

    def compose(self, uow: UnitOfWork, event: Event, now: datetime) -> Composition:
        self.calls.append((event.payload["n"], now))
        number = event.payload["n"]
        if number == 1 and now < START + timedelta(hours=1):
            return Hold(START + timedelta(hours=1), "quiet hours")
        if number == 2:
            return Skip("consent withdrawn")
        message = Delivery(
            event.key, event.topic, recipient="kim@example.com", subject="포인트 적립",
            text="50 포인트가 적립되었습니다", marketing=False, data={"n": number},
        )  # fmt: skip
        fanned = self.fan_out.compose(uow, event, now)
        assert isinstance(fanned, list)
        return [Planned("email", message), *fanned]


def test_a_composer_holds_skips_and_adds_messages(app: App, clock: Clock) -> None:
    email, broker = InMemoryChannel("email"), InMemoryChannel("broker")
    worker = app.delivery_worker(channels={"email": email, "broker": broker})
    worker.clock = clock
    composer = Messages(FanOut(worker.book, broker=True))
    worker.composer = composer
    enqueue(app, 3)
    worker.drain()
    assert [d.recipient for d in email.sent] == ["kim@example.com"]
    [sent] = email.sent
    assert (sent.id, sent.subject, sent.text) == (
        "evt_1",
        "포인트 적립",
        "50 포인트가 적립되었습니다",
    )
    assert dict(sent.data) == {"n": 0}
    assert [d.id for d in broker.sent] == ["evt_1"]
    clock.advance(hours=1)
    worker.drain()
    assert [d.id for d in email.sent] == ["evt_1", "evt_2"]
    assert [number for number, _ in composer.calls] == [0, 1, 2, 1]
    with app.unit_of_work() as uow:
        assert deliveries.status(uow) == {
            "channels": {
                "broker": {"pending": 0, "sent": 2, "failed": 0, "dead": 0},
                "email": {"pending": 0, "sent": 2, "failed": 0, "dead": 0},
            },
            "undispatched": 0,
        }


def test_a_retried_message_is_the_same_message(app: App, clock: Clock) -> None:
    email = InMemoryChannel("email")
    email.fail_next(2)
    worker = app.delivery_worker(channels={"email": email})
    worker.clock = clock
    worker.composer = Messages(FanOut(worker.book))
    enqueue(app, 1)
    for _ in range(3):
        worker.drain()
        clock.advance(hours=2)
    assert len(email.attempts) == 3
    assert len({(d.id, d.subject, d.text, d.recipient) for d in email.attempts}) == 1
    assert len(email.sent) == 1


def test_a_delivery_for_a_channel_not_configured_waits_and_says_why(app: App, clock: Clock) -> None:
    worker = app.delivery_worker(channels={})
    worker.clock = clock
    worker.composer = Messages(FanOut(worker.book))
    enqueue(app, 1)
    worker.drain()
    with app.unit_of_work() as uow:
        row = deliveries.get(uow, 1)
    assert (row["state"], row["last_error"]) == ("failed", "no email channel is configured here")
