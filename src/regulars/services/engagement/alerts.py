"""Staff alerts: a detractor's answer reaches the people who can call the customer back.

A detractor answer opens a case (:mod:`regulars.services.feedback.cases`), which enqueues
``feedback.case_opened``; the delivery worker picks it up within its poll interval (a
second by default) and :func:`compose_alert` turns it into an e-mail with the score, the
comment and a link to the case (``REGULARS_PUBLIC_URL`` + ``/console/cases/<id>``), and a
signed webhook when one is configured.

The alert goes to the store's contact (``alert_email``, ``alert_webhook`` of the store the
answer is about), else the department's, else ``REGULARS_ALERT_EMAIL``; with none of them
the event is skipped ("no alert contact"). A case still open at its due time alerts once
more: :func:`overdue_alerts` (run by the worker's periodic jobs) enqueues one
``feedback.case_overdue`` per case and due time — a case whose due time moves alerts again
when the new one passes.

An ``alert_webhook`` is a URL, not an endpoint of the webhook registry: it is signed by
Standard Webhooks with a secret derived from ``REGULARS_SECRET_KEY``
(:func:`alert_webhook_secret`, which ``regulars`` can print for the receiver) and sent by the
channel :func:`alert_webhook_channel` makes — the same SSRF guard applies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from regulars.channels.base import Delivery
from regulars.config import Settings
from regulars.domain.engagement.marketing import marketing_rules
from regulars.domain.engagement.topics import CASE_OVERDUE, MessageClass
from regulars.domain.times import as_utc, wire
from regulars.services.engagement.plans import (
    MessageDelivery,
    OutboxEvent,
    Plan,
    Send,
    Skip,
    delivery_id,
)
from regulars.services.engagement.rendering import Sender, render_message
from regulars.store import outbox
from regulars.store.engagement import contacts
from regulars.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from regulars.channels.webhook import WebhookChannel

ALERT_WEBHOOK = "alert_webhook"
CLOSED = ("resolved", "closed")


def case_url(public_url: str, case_id: int) -> str:
    return f"{public_url.rstrip('/')}/console/cases/{case_id}"


def compose_alert(uow: UnitOfWork, event: OutboxEvent, now: datetime, settings: Settings) -> Plan:
    """The alert of a ``feedback.case_opened`` or ``feedback.case_overdue`` event."""
    case = contacts.case_for_alert(uow.connection, int(event.payload["case_id"]))
    if case is None:
        return Skip("case gone")
    if event.topic == CASE_OVERDUE:
        if case["status"] in CLOSED:
            return Skip("case closed")
        if wire(as_utc(case["due_at"])) != event.payload.get("due_at"):
            return Skip("case due time moved")
    email, webhook = _contact(case, settings)
    if not email and not webhook:
        return Skip("no alert contact")
    zone = ZoneInfo(settings.timezone)
    place = case["store_name"] or case["department_name"] or case["survey"]
    link = case_url(settings.public_url, int(case["id"]))
    values = {
        "place": place,
        "score": case["score"],
        "comment": case["reason"],
        "due": as_utc(case["due_at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    }
    rendered = render_message(
        event.topic,
        settings.alert_language,
        values,
        sender=Sender(settings.business_name, settings.business_contact),
        rules=marketing_rules("none"),
        kind=MessageClass.STAFF,
        link=link,
    )
    planned = []
    key = delivery_id(event.id)
    if email:
        planned.append(
            MessageDelivery(
                "email",
                Delivery(
                    key,
                    event.topic,
                    recipient=email,
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    occurred_at=event.created_at,
                ),
            )
        )
    if webhook:
        data = {
            "case_id": int(case["id"]),
            "score": case["score"],
            "comment": case["reason"],
            "store": case["store_code"],
            "department": case["department_code"],
            "due_at": wire(as_utc(case["due_at"])),
            "url": link,
        }
        planned.append(
            MessageDelivery(
                ALERT_WEBHOOK,
                Delivery(
                    key, event.topic, recipient=webhook, data=data, occurred_at=event.created_at
                ),
            )
        )
    return Send(planned)


def _contact(case: Any, settings: Settings) -> tuple[str | None, str | None]:
    """The store's contact, else the department's, else the installation's fallback."""
    for owner in ("store", "department"):
        email, webhook = case[f"{owner}_alert_email"], case[f"{owner}_alert_webhook"]
        if email or webhook:
            return email, webhook
    return settings.alert_email, None


def overdue_alerts(uow: UnitOfWork, now: datetime) -> int:
    """Enqueue one ``feedback.case_overdue`` per open case past its due time (once per
    case and due time); return how many were new."""
    added = 0
    for case in contacts.overdue_cases(uow.connection, now):
        due = wire(case["due_at"])
        added += outbox.enqueue(
            uow.connection,
            CASE_OVERDUE,
            {"case_id": case["id"], "due_at": due},
            dedupe_key=f"{CASE_OVERDUE}:{case['id']}:{due}",
            now=now,
        )
    return added


def alert_webhook_secret(secret_key: str) -> str:
    """The Standard Webhooks secret alert webhooks are signed with (``whsec_`` + base64)."""
    key = hmac.new(secret_key.encode(), b"alert-webhooks", hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(key).decode()


def alert_webhook_channel(secret_key: str, *, allow_private: bool = False) -> WebhookChannel:
    """The channel ``alert_webhook`` deliveries go through: their recipient is the URL."""
    from regulars.channels.webhook import WebhookChannel, WebhookEndpoint

    secret = alert_webhook_secret(secret_key)
    channel = WebhookChannel(
        lambda url: WebhookEndpoint(url, (secret,)), allow_private=allow_private
    )
    channel.name = ALERT_WEBHOOK
    return channel
