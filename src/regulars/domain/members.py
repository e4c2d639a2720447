"""Members of a loyalty program and the consent they give to be contacted.

A member is known to the business by its *external id* (the POS or CRM number). Marketing
messages go only through channels the member agreed to; consent is kept as a history of
grants and withdrawals so the business can show when and how it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Locale(StrEnum):
    """The language a member reads: surveys and messages are sent in it."""

    KO = "ko"
    EN = "en"


class Segment(StrEnum):
    """Consumer segment (the brief: business accounts are more loyal than individuals)."""

    INDIVIDUAL = "individual"
    BUSINESS = "business"
    VIP = "vip"


class ContactChannel(StrEnum):
    """A way to reach a member with a message."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


@dataclass(frozen=True)
class ConsentEvent:
    """One grant or withdrawal of consent for one channel."""

    channel: ContactChannel
    granted: bool
    at: datetime
    source: str


@dataclass(frozen=True)
class Member:
    """A customer enrolled in the program."""

    external_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    locale: Locale = Locale.KO
    segment: Segment = Segment.INDIVIDUAL
    region: str | None = None
    signup_date: date | None = None
    acquisition_channel: str | None = None
    acquisition_cost: int | None = None


def current_consent(events: list[ConsentEvent]) -> dict[ContactChannel, bool]:
    """The consent in force per channel: the latest event wins; no event means no consent.

    >>> from datetime import datetime, UTC
    >>> e = [ConsentEvent(ContactChannel.SMS, True, datetime(2026, 1, 1, tzinfo=UTC), "pos"),
    ...      ConsentEvent(ContactChannel.SMS, False, datetime(2026, 2, 1, tzinfo=UTC), "app")]
    >>> current_consent(e)[ContactChannel.SMS]
    False
    """
    state = dict.fromkeys(ContactChannel, False)
    for event in sorted(events, key=lambda e: e.at):
        state[event.channel] = event.granted
    return state


def may_contact(events: list[ConsentEvent], channel: ContactChannel) -> bool:
    """Whether a marketing message may go to the member through ``channel`` now."""
    return current_consent(events)[channel]
