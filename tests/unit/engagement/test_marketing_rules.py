"""Quiet hours at their boundaries (Seoul, no DST; Berlin, across both DST changes), the
"(광고)" label, the rules by country and the class of each topic."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from regulars.domain.engagement.channels import channel_order, pick_channel
from regulars.domain.engagement.marketing import marketing_label, marketing_rules, quiet_until
from regulars.domain.engagement.topics import MessageClass, message_class

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = (time(21, 0), time(8, 0))


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (at(2026, 3, 2, 11, 59), None),  # 20:59 KST
        (at(2026, 3, 2, 12, 0), at(2026, 3, 2, 23, 0)),  # 21:00 KST: until 08:00 KST
        (at(2026, 3, 2, 16, 0), at(2026, 3, 2, 23, 0)),  # 01:00 KST, after midnight
        (at(2026, 3, 2, 22, 59), at(2026, 3, 2, 23, 0)),  # 07:59 KST
        (at(2026, 3, 2, 23, 0), None),  # 08:00 KST sharp: open
    ],
)
def test_quiet_hours_in_seoul(now: datetime, until: datetime | None) -> None:
    assert quiet_until(now, SEOUL, *NIGHT) == until


@pytest.mark.parametrize(
    ("now", "until"),
    [
        # spring forward, 29 March 2026 02:00 CET -> 03:00 CEST
        (at(2026, 3, 28, 19, 59), None),  # 20:59 CET
        (at(2026, 3, 28, 20, 0), at(2026, 3, 29, 6, 0)),  # 21:00 CET -> 08:00 CEST
        (at(2026, 3, 29, 5, 59), at(2026, 3, 29, 6, 0)),  # 07:59 CEST
        (at(2026, 3, 29, 6, 0), None),  # 08:00 CEST
        # fall back, 25 October 2026 03:00 CEST -> 02:00 CET
        (at(2026, 10, 24, 18, 59), None),  # 20:59 CEST
        (at(2026, 10, 24, 19, 0), at(2026, 10, 25, 7, 0)),  # 21:00 CEST -> 08:00 CET
        (at(2026, 10, 25, 1, 30), at(2026, 10, 25, 7, 0)),  # 02:30 CET (after fall back)
        (at(2026, 10, 25, 6, 59), at(2026, 10, 25, 7, 0)),  # 07:59 CET
        (at(2026, 10, 25, 7, 0), None),  # 08:00 CET
        # the same UTC hour is night in summer and evening in winter
        (at(2026, 7, 1, 19, 0), at(2026, 7, 2, 6, 0)),  # 21:00 CEST
        (at(2026, 12, 1, 19, 0), None),  # 20:00 CET
    ],
)
def test_quiet_hours_in_berlin_follow_the_wall_clock_across_dst(
    now: datetime, until: datetime | None
) -> None:
    assert quiet_until(now, BERLIN, *NIGHT) == until


def test_a_window_within_one_day_and_naive_times() -> None:
    assert quiet_until(at(2026, 3, 2, 3, 0), SEOUL, time(12), time(13)) == at(2026, 3, 2, 4, 0)
    assert quiet_until(at(2026, 3, 2, 5, 0), SEOUL, time(12), time(13)) is None
    with pytest.raises(ValueError, match="aware"):
        quiet_until(datetime(2026, 3, 2, 12), SEOUL, *NIGHT)


def test_the_label_and_the_rules_by_country() -> None:
    kr, none = marketing_rules("kr"), marketing_rules("NONE")
    assert marketing_label("친구 초대", kr) == "(광고) 친구 초대"
    assert marketing_label("(광고) 친구 초대", kr) == "(광고) 친구 초대"
    assert marketing_label("Invite", none) == "Invite"
    assert kr.opt_out
    assert kr.sender_identification
    assert kr.quiet_start == time(21)
    assert not none.opt_out
    assert none.quiet_start is None
    with pytest.raises(ValueError, match="kr, none"):
        marketing_rules("us")


def test_each_topic_has_its_class() -> None:
    transactional = MessageClass.TRANSACTIONAL
    assert message_class("survey.invitation", {"occasion": "purchase"}) is transactional
    assert message_class("survey.invitation", {"occasion": "wave"}) is MessageClass.MARKETING
    assert message_class("feedback.referral_invite", {}) is MessageClass.MARKETING
    for topic in ("points.expiring_soon", "tier.changed", "reward.issued"):
        assert message_class(topic, {}) is transactional
    assert message_class("feedback.ask_what_makes_a_10", {}) is transactional
    assert message_class("feedback.case_opened", {}) is MessageClass.STAFF
    assert message_class("points.earned", {}) is None


def test_the_channel_order_and_the_pick() -> None:
    assert channel_order("email,sms") == ("email", "sms")
    assert channel_order("sms, email, sms") == ("sms", "email")
    with pytest.raises(ValueError, match="channel order"):
        channel_order("email,fax")
    addresses = {"email": "a@b.kr", "sms": "01012345678"}
    assert pick_channel(("email", "sms"), {"email": True, "sms": True}, addresses) == "email"
    assert pick_channel(("sms", "email"), {"email": True, "sms": True}, addresses) == "sms"
    assert pick_channel(("email", "sms"), {"email": True}, {"sms": "010"}) is None
    assert pick_channel(("email", "sms"), {}, addresses) is None
