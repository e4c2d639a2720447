"""Delivery channels: the ways an event or a message leaves the system.

Every channel implements :class:`Channel` — ``send(Delivery) -> Outcome`` and ``close()`` —
so the delivery worker holds them by name and tests swap in :class:`InMemoryChannel`:

- ``webhook.WebhookChannel``: Standard Webhooks, signed with ``standardwebhooks``;
- ``email.EmailChannel``: SMTP from ``REGULARS_SMTP_URL``;
- ``sms.SmsChannel``: an HTTP gateway with a configured request shape;
- ``broker.BrokerChannel``: RabbitMQ, a topic exchange keyed by event type;
- ``destinations.check_destination``: the SSRF guard for user-given URLs.

The concrete channels are imported from their modules, so that importing this package does
not load an HTTP client or an AMQP library.
"""

from regulars.channels.base import Channel, Delivery, Outcome, Status
from regulars.channels.memory import InMemoryChannel

__all__ = ["Channel", "Delivery", "InMemoryChannel", "Outcome", "Status"]
