"""Which outbox topics are messages to members, and whether each is advertising.

Korean law (정보통신망법 §50) holds *advertising information sent for profit* (영리목적의
광고성 정보) to the marketing rules: prior consent per channel, the "(광고)" label, sender
identification, a free opt-out, and no sending between 21:00 and 08:00 without a separate
night-time consent. Information the recipient needs about a transaction or relationship they
already have (거래관계에 따른 정보: a reward they earned, points about to lapse, a change of
their membership grade, a reply to their own answer) is not advertising, as long as it
carries no promotion. KISA's guide to the law (불법스팸 방지를 위한 정보통신망법 안내서)
gives these as examples. Each topic's class, and why:

- ``survey.invitation`` after a purchase: **transactional** — it asks about the member's
  own purchase, no offer in it. A periodic *wave* (``occasion: wave``) reaches members with
  no transaction at hand: **marketing**, the cautious reading. After a cancellation
  (``occasion: cancellation``, the exit survey) it asks about the member's own contract,
  with no offer in it: **transactional**.
- ``feedback.referral_invite``: **marketing** — it promotes the referral programme's bonus.
- ``feedback.ask_what_makes_a_10``: **transactional** — a reply to the member's own answer.
- ``points.expiring_soon``, ``tier.changed``, ``reward.issued``: **transactional** — the
  state of the member's own account in a programme they joined.
- ``feedback.case_opened``, ``feedback.case_overdue``: **staff** alerts, not member messages.
- ``campaign.message``: **marketing** — a campaign's own message (issue 14), unless the
  campaign's step says ``marketing: false`` (an apology after a resolved case, a service
  notice): then transactional. The payload carries which (``marketing``).

Every member message still needs consent on the channel it goes through (the consent
history is this system's record of "may we contact you here"); transactional ones are only
exempt from the *marketing* limits (label, opt-out footer, quiet hours).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

SURVEY_INVITATION = "survey.invitation"
REFERRAL_INVITATION = "feedback.referral_invite"
ASK_WHAT_MAKES_A_10 = "feedback.ask_what_makes_a_10"
POINTS_EXPIRING = "points.expiring_soon"
TIER_CHANGED = "tier.changed"
REWARD_ISSUED = "reward.issued"
CASE_OPENED = "feedback.case_opened"
CASE_OVERDUE = "feedback.case_overdue"
CAMPAIGN_MESSAGE = "campaign.message"


class MessageClass(StrEnum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    STAFF = "staff"


TOPIC_CLASSES: Mapping[str, MessageClass] = {
    SURVEY_INVITATION: MessageClass.TRANSACTIONAL,
    REFERRAL_INVITATION: MessageClass.MARKETING,
    ASK_WHAT_MAKES_A_10: MessageClass.TRANSACTIONAL,
    POINTS_EXPIRING: MessageClass.TRANSACTIONAL,
    TIER_CHANGED: MessageClass.TRANSACTIONAL,
    REWARD_ISSUED: MessageClass.TRANSACTIONAL,
    CASE_OPENED: MessageClass.STAFF,
    CASE_OVERDUE: MessageClass.STAFF,
    CAMPAIGN_MESSAGE: MessageClass.MARKETING,
}


def message_class(topic: str, payload: Mapping[str, Any]) -> MessageClass | None:
    """The class of an outbox event's message; None for a topic that is no message.

    >>> message_class("reward.issued", {})
    <MessageClass.TRANSACTIONAL: 'transactional'>
    >>> message_class("survey.invitation", {"occasion": "wave"})
    <MessageClass.MARKETING: 'marketing'>
    >>> message_class("points.earned", {}) is None
    True
    """
    if topic == SURVEY_INVITATION and payload.get("occasion") == "wave":
        return MessageClass.MARKETING
    if topic == CAMPAIGN_MESSAGE and payload.get("marketing") is False:
        return MessageClass.TRANSACTIONAL
    return TOPIC_CLASSES.get(topic)
