"""Invitations: after a purchase and in waves, with the cooldown across all surveys, only
through a consented channel, into the outbox, never twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from regulars.bootstrap import App
from regulars.services import members as member_service
from regulars.services.feedback import surveys
from regulars.services.feedback.dispatch import TOPIC, invite_after_purchases, invite_wave
from regulars.store import outbox
from regulars.store.feedback import candidates

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
SECRET = "test-secret"
URL = "https://survey.example.com"


def _invitations(app: App) -> list[dict]:
    with app.unit_of_work() as uow:
        return [
            {**e, "payload": json.loads(e["payload"])}
            for e in outbox.topics(uow.connection)
            if e["topic"] == TOPIC
        ]


def test_after_purchase_invites_consenting_members_once_within_the_cooldown(
    business: App,
) -> None:
    with business.unit_of_work() as uow:
        report = invite_after_purchases(uow, "after-purchase", NOW, secret=SECRET, base_url=URL)
        uow.commit()
    # P1 and P4 are M1's (email): one invitation, the second is inside the cooldown.
    # P2 is M2's (SMS). P3 is M3's, who consented to nothing.
    assert report.invited == 2
    assert dict(report.skipped) == {"cooldown": 1, "no_consent": 1}
    sent = _invitations(business)
    assert sorted(e["channel"] for e in sent) == ["email", "sms"]
    # the outbox holds the invitation's id, never its link (rebuilt with the secret on sending)
    assert all("link" not in e["payload"] and e["payload"]["invitation"] for e in sent)
    assert all(link.startswith(f"{URL}/s/") for link in report.links)
    languages = {e["channel"]: e["payload"]["language"] for e in sent}
    assert languages == {"email": "ko", "sms": "en"}
    # the message waits for the survey's delay (2 h after the purchase, or now if past)
    assert all(e["available_at"] is not None for e in sent)


def test_the_cooldown_holds_across_surveys_and_lapses_after_30_days(business: App) -> None:
    with business.unit_of_work() as uow:
        invite_after_purchases(uow, "after-purchase", NOW, secret=SECRET, base_url=URL)
        uow.commit()
    with business.unit_of_work() as uow:
        wave = invite_wave(
            uow, "phone-nps", "2026-Q4", NOW + timedelta(days=29), secret=SECRET, base_url=URL
        )
        uow.commit()
    # M1 and M2 were asked 29 days ago; M3 has no consent; M4 (email) is asked.
    assert wave.invited == 1
    assert dict(wave.skipped) == {"cooldown": 2, "no_consent": 1}
    with business.unit_of_work() as uow:
        later = invite_wave(
            uow, "phone-nps", "2026-Q4b", NOW + timedelta(days=31), secret=SECRET, base_url=URL
        )
        uow.commit()
    assert later.invited == 2  # M1 and M2 again; M4 was asked 2 days ago
    assert later.skipped["cooldown"] == 1


def test_running_a_wave_twice_invites_nobody_twice(business: App) -> None:
    for _ in range(2):
        with business.unit_of_work() as uow:
            report = invite_wave(
                uow, "phone-nps", "w1", NOW, secret=SECRET, base_url=URL, cooldown=timedelta(0)
            )
            uow.commit()
    assert report.invited == 0
    assert report.skipped["already_invited"] == 3
    assert len(_invitations(business)) == 3


def test_a_withdrawn_consent_stops_invitations(business: App) -> None:
    with business.unit_of_work() as uow:
        member_service.record_consent(uow, "M2", "sms", False, "app", datetime.now(UTC))
        report = invite_wave(uow, "phone-nps", "w1", NOW, secret=SECRET, base_url=URL)
        uow.commit()
        asked = {e["member_id"] for e in _invitations(business)}
        expected = {
            int(row["id"])
            for row in candidates.active_members(uow.connection)
            if row["external_id"] in ("M1", "M4")
        }
    assert report.invited == 2
    assert report.skipped["no_consent"] == 2  # M2 withdrew, M3 never consented
    assert asked == expected


def test_sampling_keeps_a_stable_share(business: App) -> None:
    with business.unit_of_work() as uow:
        surveys.define_survey(uow, {"code": "sampled", "name": "Sampled", "sampling": 0.0}, NOW)
        report = invite_wave(uow, "sampled", "w1", NOW, secret=SECRET, base_url=URL)
    assert report.invited == 0
    assert report.skipped["not_sampled"] == 4
