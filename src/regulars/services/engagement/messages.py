"""What an outbox event says to a member, decided at the moment of sending.

:func:`compose` is called by the delivery worker once per due outbox event and answers
with a :data:`Plan`:

- :class:`Send` — these deliveries, each for a named channel (``email``, ``sms``, and
  ``alert_webhook`` for staff alerts); an empty list means the event is no message;
- :class:`Hold` — not now: an advertisement in quiet hours waits until the window opens;
- :class:`Skip` — never: no consent on any channel any more, the member was erased, the
  survey link was used or has expired.

Everything is read *now*, not when the event was enqueued: the member's consent (a member
who withdrew in between gets nothing), language and addresses. The channel is the first in
``REGULARS_CHANNEL_ORDER`` (``email,sms``) the member consents to and has an address for.
Marketing messages (see :mod:`regulars.domain.engagement.topics` for which topics are)
follow ``REGULARS_MARKETING_RULES``: in Korea the "(광고)" label, the sender's name and
contact (``REGULARS_BUSINESS_NAME``, ``REGULARS_BUSINESS_CONTACT``), a signed one-click
opt-out link (``List-Unsubscribe`` in e-mail) and no sending between 21:00 and 08:00 in
``REGULARS_TIMEZONE`` without the separate night-time consent.

A survey invitation's link is rebuilt here from the invitation's id and the secret
(:func:`regulars.services.feedback.dispatch.invitation_token`): the outbox never held it.
Staff alerts (``feedback.case_opened``, ``feedback.case_overdue``) are composed by
:mod:`.alerts`. A campaign's message (``campaign.message``) brings its own words and channel
preference (:mod:`.campaign_messages`), and is skipped at send time when its campaign is no
longer running or, for a marketing one, while the member has an open detractor case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import formataddr
from typing import Any
from zoneinfo import ZoneInfo

from regulars.channels.base import Delivery
from regulars.config import Settings
from regulars.domain.engagement import topics
from regulars.domain.engagement.channels import channel_order, pick_channel
from regulars.domain.engagement.marketing import NIGHT_CONSENT, marketing_rules, quiet_until
from regulars.domain.engagement.topics import MessageClass, message_class
from regulars.domain.times import as_utc
from regulars.services.engagement.alerts import compose_alert
from regulars.services.engagement.campaign_messages import CampaignContent, campaign_message
from regulars.services.engagement.optout import unsubscribe_url
from regulars.services.engagement.plans import (
    Event,
    Hold,
    MessageDelivery,
    OutboxEvent,
    Plan,
    Send,
    Skip,
    delivery_id,
)
from regulars.services.engagement.rendering import Sender, render_message
from regulars.services.feedback.dispatch import invitation_token, survey_link
from regulars.store.engagement import contacts
from regulars.store.feedback import invitations as invitation_store
from regulars.store.unit_of_work import UnitOfWork

__all__ = [
    "Event",
    "Hold",
    "MessageDelivery",
    "OutboxEvent",
    "Plan",
    "Send",
    "Skip",
    "compose",
    "delivery_id",
    "handles",
]


def handles(topic: str) -> bool:
    """Whether :func:`compose` makes a message of ``topic`` (others are events only)."""
    return topic in topics.TOPIC_CLASSES


def compose(uow: UnitOfWork, event: OutboxEvent, now: datetime, settings: Settings) -> Plan:
    """What ``event`` becomes now (see the module's docstring)."""
    payload = event.payload
    kind = message_class(event.topic, payload)
    if kind is None:
        return Send()
    if kind is MessageClass.STAFF:
        return compose_alert(uow, event, now, settings)
    if event.member_id is None:
        return Skip("no member")
    connection = uow.connection
    member = contacts.member_contact(connection, int(event.member_id))
    if member is None or member["erased_at"] is not None:
        return Skip("member erased")
    own: CampaignContent | None = None
    if event.topic == topics.CAMPAIGN_MESSAGE:  # a campaign's words and channels
        found = campaign_message(uow, payload, dict(member), now, settings)
        if isinstance(found, Skip):
            return found
        own = found
    consent = contacts.consent_now(connection, int(member["id"]))
    addresses = {"email": member["email"], "sms": member["phone"]}
    order = ",".join(own.channels) if own is not None and own.channels else settings.channel_order
    channel = pick_channel(channel_order(order), consent, addresses)
    if channel is None:
        return Skip("no consent")
    rules = marketing_rules(settings.marketing_rules)
    marketing = kind is MessageClass.MARKETING
    zone = ZoneInfo(settings.timezone)
    if (
        marketing
        and rules.quiet_start is not None
        and rules.quiet_end is not None
        and not consent.get(NIGHT_CONSENT, False)
    ):
        until = quiet_until(as_utc(now), zone, rules.quiet_start, rules.quiet_end)
        if until is not None:
            return Hold(until, "quiet hours")
    content = (
        (own.values, None)
        if own is not None
        else CONTENT[event.topic](uow, payload, now, settings, zone)
    )
    if isinstance(content, Skip):
        return content
    values, link = content
    opt_out = (
        unsubscribe_url(settings.public_url, settings.secret_key, int(member["id"]), channel, now)
        if marketing and rules.opt_out
        else None
    )
    rendered = render_message(
        event.topic,
        member["locale"],
        {**values, "name": member["name"]},
        sender=Sender(settings.business_name, settings.business_contact),
        rules=rules,
        kind=kind,
        link=link,
        unsubscribe_url=opt_out,
        entry=own.entry(member["locale"]) if own is not None else None,
    )
    if channel == "email":
        delivery = Delivery(
            delivery_id(event.id),
            event.topic,
            recipient=formataddr((member["name"] or "", member["email"])),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            unsubscribe_url=opt_out,
            marketing=marketing,
            occurred_at=event.created_at,
        )
    else:
        delivery = Delivery(
            delivery_id(event.id),
            event.topic,
            recipient=member["phone"],
            subject=rendered.subject,
            text=rendered.sms,
            marketing=marketing,
            occurred_at=event.created_at,
        )
    return Send([MessageDelivery(channel, delivery)])


# --- what each topic says -------------------------------------------------------------------

Content = tuple[dict[str, Any], str | None] | Skip


def _day(value: Any, zone: ZoneInfo) -> str:
    """A moment as the member's calendar day (``2026-12-31``)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d")


def _survey(
    uow: UnitOfWork, payload: Mapping[str, Any], now: datetime, settings: Settings, zone: ZoneInfo
) -> Content:
    if "invitation" not in payload:  # enqueued before links were rebuilt: it holds its link
        return _legacy_survey(payload, zone)
    invitation = invitation_store.invitation(uow.connection, int(payload["invitation"]))
    if invitation is None:
        return Skip("invitation gone")
    if invitation["used_at"] is not None:
        return Skip("survey already answered")
    if as_utc(invitation["expires_at"]) <= as_utc(now):
        return Skip("survey link expired")
    token = invitation_token(settings.secret_key, invitation["dedupe_key"])
    link = survey_link(payload.get("base_url") or settings.public_url, token)
    values = {
        "survey_name": payload.get("name") or invitation["survey_code"],
        "store_name": invitation["store_name"],
        "expires": _day(invitation["expires_at"], zone),
        "occasion": payload.get("occasion"),
    }
    return values, link


def _legacy_survey(payload: Mapping[str, Any], zone: ZoneInfo) -> Content:
    if not payload.get("link") or not payload.get("expires_at"):
        return Skip("invitation without an id")
    values = {"survey_name": payload.get("name") or payload.get("survey"), "store_name": None}
    return {**values, "expires": _day(payload["expires_at"], zone)}, str(payload["link"])


def _referral(
    uow: UnitOfWork, payload: Mapping[str, Any], now: datetime, settings: Settings, zone: ZoneInfo
) -> Content:
    return {"member_number": payload.get("member_id", "")}, None


def _to_10(
    uow: UnitOfWork, payload: Mapping[str, Any], now: datetime, settings: Settings, zone: ZoneInfo
) -> Content:
    score = payload.get("score")
    return {"score": "" if score is None else f"{float(score):g}"}, None


def _expiring(
    uow: UnitOfWork, payload: Mapping[str, Any], now: datetime, settings: Settings, zone: ZoneInfo
) -> Content:
    if as_utc(datetime.fromisoformat(str(payload["expires_at"]))) <= as_utc(now):
        return Skip("points already expired")
    return {
        "points": f"{int(payload['points']):,}",
        "expires": _day(payload["expires_at"], zone),
    }, None


def _tier(
    uow: UnitOfWork, payload: Mapping[str, Any], now: datetime, settings: Settings, zone: ZoneInfo
) -> Content:
    if not payload.get("new"):
        return Skip("no tier any more")
    privileges = ", ".join(str(p) for p in payload.get("privileges") or [])
    return {"old": payload.get("old"), "new": payload["new"], "privileges": privileges}, None


def _reward(
    uow: UnitOfWork, payload: Mapping[str, Any], now: datetime, settings: Settings, zone: ZoneInfo
) -> Content:
    return {"reward_name": payload.get("name") or "", "code": payload.get("reward") or ""}, None


CONTENT: Mapping[
    str, Callable[[UnitOfWork, Mapping[str, Any], datetime, Settings, ZoneInfo], Content]
] = {
    topics.SURVEY_INVITATION: _survey,
    topics.REFERRAL_INVITATION: _referral,
    topics.ASK_WHAT_MAKES_A_10: _to_10,
    topics.POINTS_EXPIRING: _expiring,
    topics.TIER_CHANGED: _tier,
    topics.REWARD_ISSUED: _reward,
}
