"""Signed one-click opt-out links: ``<member>.<channel>.<expiry>.<HMAC-SHA256 signature>``.

The link withdraws one member's consent on one channel. It is signed with the
installation's secret, so it cannot be altered to unsubscribe someone else, and it carries
its own expiry (a year by default: long enough for a message kept in a mailbox, short
enough that a leaked link does not work for ever). Nothing is stored: the signature is the
proof.

>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 12, 1, tzinfo=UTC)
>>> token = opt_out_token(42, "email", now + timedelta(days=1), "secret")
>>> read_opt_out(token, "secret", now)
OptOut(member_id=42, channel='email')
>>> read_opt_out(token.replace("42", "43", 1), "secret", now) is None
True
>>> read_opt_out(token, "secret", now + timedelta(days=2)) is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

OPT_OUT_VALIDITY = timedelta(days=365)
CHANNELS = frozenset({"email", "sms", "push"})


@dataclass(frozen=True)
class OptOut:
    """Whose consent, on which channel, a genuine opt-out link withdraws."""

    member_id: int
    channel: str


def _signature(message: str, secret: str) -> str:
    key = hmac.new(secret.encode(), b"opt-out", hashlib.sha256).digest()
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def opt_out_token(member_id: int, channel: str, expires_at: datetime, secret: str) -> str:
    """The token of a link that withdraws ``member_id``'s consent on ``channel``."""
    if channel not in CHANNELS:
        raise ValueError(f"no consent channel {channel!r}")
    message = f"{member_id}.{channel}.{int(expires_at.timestamp())}"
    return f"{message}.{_signature(message, secret)}"


def read_opt_out(token: str, secret: str, now: datetime) -> OptOut | None:
    """What a genuine, unexpired token withdraws; None for a forged, altered or old one."""
    if len(token) > 200:
        return None
    parts = token.split(".")
    if len(parts) != 4:
        return None
    member, channel, expiry, signature = parts
    expected = _signature(f"{member}.{channel}.{expiry}", secret)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    if not (member.isdigit() and expiry.isdigit()) or channel not in CHANNELS:
        return None
    if datetime.fromtimestamp(int(expiry), UTC) <= now:
        return None
    return OptOut(int(member), channel)
