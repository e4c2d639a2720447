"""Members of a loyalty program and the consent they give to be contacted.

A member is known to the business by its *external id* (the POS or CRM number). Marketing
messages go only through channels the member agreed to; consent is kept as a history of
grants and withdrawals so the business can show when and how it was given.
"""

from __future__ import annotations

import re
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
    card_id: str | None = None


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


# --- How a member is found at the till and in the console ----------------------------------

KOREA = "82"
_NOT_DIGITS = re.compile(r"[^0-9]")
_TRUNK_ZERO = re.compile(r"\(0\)")
CARD_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z \-]{0,79}")
"""What a loyalty card number may look like: letters, digits, spaces and dashes (as printed)."""


def phone_key(raw: str | None) -> str | None:
    """The digits a phone number is stored and found by, whatever way it was written.

    Korean numbers take their national form (``0`` and the digits: a mobile number is
    ``010`` and eight digits), whether written with dashes, spaces or dots, with the country
    code ``+82``, ``0082`` or ``82``, and with or without the trunk zero after it; a number of
    another country keeps ``+``, its country code and digits. Nothing to dial gives ``None``.

    >>> [phone_key(p) for p in ("010-1234-5678", "01012345678", "+82 10-1234-5678",
    ...                         "+82-010-1234-5678", "0082 10 1234 5678", "+82 (0)10 1234 5678",
    ...                         "82-10-1234-5678", "02-123-4567")]  # doctest: +NORMALIZE_WHITESPACE
    ['01012345678', '01012345678', '01012345678', '01012345678', '01012345678',
     '01012345678', '01012345678', '021234567']
    >>> phone_key("+1 (415) 555-0100"), phone_key(" - "), phone_key(None)
    ('+14155550100', None, None)
    """
    if raw is None:
        return None
    text = _TRUNK_ZERO.sub("", raw.strip())
    international = text.startswith("+")
    digits = _NOT_DIGITS.sub("", text)
    if not digits:
        return None
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if not international and digits.startswith(KOREA) and 10 <= len(digits) <= 12:
        international = True  # "82-10-…": a Korean number never starts with 82 at home
    if international:
        if not digits.startswith(KOREA):
            return "+" + digits
        national = digits[len(KOREA) :]
        return national if national.startswith("0") else "0" + national
    return digits


def email_key(raw: str | None) -> str | None:
    """The form an e-mail address is found by: trimmed, in lower case (every provider a
    business meets treats the local part without case)."""
    if raw is None or not raw.strip():
        return None
    return raw.strip().lower()


def card_key(raw: str | None) -> str | None:
    """A loyalty card number as stored and found: without the spaces and dashes it is printed
    with, in upper case.

    >>> card_key("1234 5678-9012 ab")
    '123456789012AB'
    """
    if raw is None:
        return None
    key = re.sub(r"[\s\-]", "", raw).upper()
    return key or None
