"""Everything an outbox event becomes: the fan-out to webhooks and the broker, plus the
member's own message or the staff alert it calls for (:mod:`.messages`).

This is the composer the worker runs in production (``App.composer``). A held member
message (quiet hours) holds the whole event, webhook copy included, since the worker books
an event whole; a skipped member message (no consent, an erased member) skips only the
message — subscribers still hear of the event.
"""

from __future__ import annotations

from datetime import datetime

from regulars.config import Settings
from regulars.services.engagement import messages
from regulars.services.engagement.composing import Composer, Composition, Event, Hold, Skip
from regulars.store.unit_of_work import UnitOfWork


class Outbound:
    def __init__(self, fan_out: Composer, settings: Settings) -> None:
        self.fan_out = fan_out
        self.settings = settings

    def compose(self, uow: UnitOfWork, event: Event, now: datetime) -> Composition:
        planned = self.fan_out.compose(uow, event, now)
        if isinstance(planned, Hold | Skip) or not messages.handles(event.topic):
            return planned
        plan = messages.compose(uow, event, now, self.settings)
        if isinstance(plan, Hold):
            return plan
        if isinstance(plan, Skip):
            return planned
        return [*planned, *plan.deliveries]
