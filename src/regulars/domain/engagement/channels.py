"""Which channel a member message goes through.

The business orders the channels it prefers (``REGULARS_CHANNEL_ORDER``, ``email,sms`` by
default); a message takes the first one the member consents to *now* and has an address for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

MESSAGE_CHANNELS = ("email", "sms")


def channel_order(text: str) -> tuple[str, ...]:
    """Read ``email,sms``-style text; ValueError names an unknown channel.

    >>> channel_order(" sms , email ")
    ('sms', 'email')
    """
    order = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [c for c in order if c not in MESSAGE_CHANNELS]
    if unknown or not order:
        raise ValueError(f"the channel order lists {', '.join(MESSAGE_CHANNELS)}, not {text!r}")
    return tuple(dict.fromkeys(order))


def pick_channel(
    order: Sequence[str], consent: Mapping[str, bool], addresses: Mapping[str, str | None]
) -> str | None:
    """The first channel in ``order`` with consent and an address; None when there is none.

    >>> pick_channel(("email", "sms"), {"sms": True}, {"email": "a@b.kr", "sms": "010"})
    'sms'
    """
    for channel in order:
        if consent.get(channel, False) and addresses.get(channel):
            return channel
    return None
