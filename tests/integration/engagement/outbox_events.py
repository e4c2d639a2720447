"""What the delivery tests share: a clock they move and events in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from regulars.bootstrap import App
from regulars.store import outbox

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    """The worker's clock, moved by the test."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def enqueue(app: App, count: int, topic: str = "points.earned", at: datetime = START) -> None:
    with app.unit_of_work() as uow:
        for number in range(count):
            outbox.enqueue(uow.connection, topic, {"n": number, "text": "포인트 적립"}, now=at)
        uow.commit()
