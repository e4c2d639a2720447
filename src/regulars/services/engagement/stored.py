"""How a planned delivery is stored, and rebuilt when it is sent.

A delivery row keeps the event's id, the channel and the target; a rendered message (subject,
texts, headers, unsubscribe link) is kept as JSON in ``content``, so that every retry sends
the same message. A delivery that is the event itself stores no content: it is rebuilt from
the outbox row when sent, and its id is always the event's key (``evt_<id>``).
"""

from __future__ import annotations

import json
from typing import Any

from regulars.channels.base import Delivery
from regulars.services.engagement.composing import Event, Planned


def stored(event: Event, planned: Planned) -> dict[str, Any]:
    """The row a planned delivery is written as (see store.engagement.deliveries.add)."""
    delivery = planned.delivery
    target = delivery.recipient
    return {
        "event_id": event.id,
        "channel": planned.channel,
        "target": target,
        "endpoint_id": int(target) if planned.channel == "webhook" else None,
        "content": _content(event, delivery),
    }


def _content(event: Event, delivery: Delivery) -> str | None:
    """A rendered message as JSON; None when the delivery is the event itself."""
    message = {
        "subject": delivery.subject,
        "text": delivery.text,
        "html": delivery.html,
        "headers": dict(delivery.headers),
        "unsubscribe_url": delivery.unsubscribe_url,
        "marketing": delivery.marketing,
    }
    plain = not any(message.values()) and dict(delivery.data) == event.payload
    if plain:
        return None
    return json.dumps({**message, "data": dict(delivery.data)}, ensure_ascii=False, default=str)


def rebuilt(row: Any, event_row: Any) -> Delivery:
    """The delivery a claimed row stands for, rebuilt from its event (and message)."""
    if event_row is None:  # the event was deleted under it: send what is known
        return Delivery(f"evt_{row['event_id']}", "", recipient=row["target"])
    event = Event.from_row(event_row)
    if row["content"] is None:
        return event.delivery(row["target"])
    message = json.loads(row["content"])
    return Delivery(
        event.key,
        event.topic,
        recipient=row["target"],
        data=message.get("data", event.payload),
        subject=message.get("subject", ""),
        text=message.get("text", ""),
        html=message.get("html"),
        headers=message.get("headers") or {},
        unsubscribe_url=message.get("unsubscribe_url"),
        marketing=bool(message.get("marketing")),
        occurred_at=event.created_at,
    )
