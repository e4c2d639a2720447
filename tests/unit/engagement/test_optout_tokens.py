"""Opt-out links: signed over member, channel and expiry; nothing else opens them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from regulars.domain.engagement.optout import OptOut, opt_out_token, read_opt_out

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_a_genuine_token_names_the_member_and_channel() -> None:
    token = opt_out_token(7, "sms", LATER, "secret")
    assert read_opt_out(token, "secret", NOW) == OptOut(7, "sms")


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("7.", "8.", 1),  # another member
        lambda t: t.replace(".sms.", ".email.", 1),  # another channel
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: t.split(".", 1)[1],  # a part missing
        lambda t: "x" * 250,
    ],
)
def test_an_altered_token_is_refused(change) -> None:  # type: ignore[no-untyped-def]
    token = opt_out_token(7, "sms", LATER, "secret")
    assert read_opt_out(change(token), "secret", NOW) is None


def test_another_secret_or_an_expired_token_is_refused() -> None:
    token = opt_out_token(7, "email", LATER, "secret")
    assert read_opt_out(token, "other", NOW) is None
    assert read_opt_out(token, "secret", LATER) is None
    with pytest.raises(ValueError, match="no consent channel"):
        opt_out_token(7, "fax", LATER, "secret")
