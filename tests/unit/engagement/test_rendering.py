"""Messages come from the catalogues, in a sandbox, escaped in HTML, labelled when they are
advertising."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from regulars.domain.engagement.marketing import marketing_rules
from regulars.domain.engagement.topics import TOPIC_CLASSES, MessageClass
from regulars.services.engagement import rendering
from regulars.services.engagement.rendering import Sender, catalogue, render_message

SENDER = Sender("단골 커피", "02-123-4567")


def _keys(entries: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in entries.items():
        if isinstance(value, dict):
            found |= _keys(value, f"{prefix}{key}/")
        else:
            found.add(f"{prefix}{key}")
    return found


def test_every_catalogue_has_every_key_and_every_topic() -> None:
    ko, en = catalogue("ko"), catalogue("en")
    assert _keys(ko) == _keys(en)
    assert set(TOPIC_CLASSES) <= set(ko)


def test_marketing_gets_the_label_sender_and_opt_out_transactional_does_not() -> None:
    kr = marketing_rules("kr")
    values = {"member_number": "M1", "name": "민지"}
    ad = render_message(
        "feedback.referral_invite", "ko", values, sender=SENDER, rules=kr,
        kind=MessageClass.MARKETING, unsubscribe_url="https://x.example/unsubscribe/t",
    )  # fmt: skip
    assert ad.subject.startswith("(광고) ")
    assert ad.sms.startswith("(광고) ")
    assert "https://x.example/unsubscribe/t" in ad.text
    assert "단골 커피" in ad.text
    assert "02-123-4567" in ad.text
    assert "무료수신거부 https://x.example" in ad.sms
    assert 'href="https://x.example/unsubscribe/t"' in ad.html
    service = render_message(
        "reward.issued", "en", {"reward_name": "Free coffee", "code": "RW-1"},
        sender=SENDER, rules=kr, kind=MessageClass.TRANSACTIONAL,
    )  # fmt: skip
    assert service.subject == "Your reward: Free coffee"
    assert "(광고)" not in service.text + service.sms + service.html
    assert "unsubscribe" not in service.text.lower()


def test_values_are_escaped_in_html_and_the_sandbox_holds() -> None:
    hostile = {"reward_name": "<script>alert(1)</script>", "code": "x", "name": "<b>Kim</b>"}
    done = render_message(
        "reward.issued", "en", hostile, sender=SENDER, rules=marketing_rules("none"),
        kind=MessageClass.TRANSACTIONAL,
    )  # fmt: skip
    assert "<script>" not in done.html
    assert "&lt;script&gt;" in done.html
    assert "&lt;b&gt;Kim&lt;/b&gt;" in done.html
    assert "<script>alert(1)</script>" in done.text  # text is text
    with pytest.raises(SecurityError):
        rendering._render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
