"""Member messages end to end: composed at send time from the store, sent through the real
``EmailChannel`` to a real SMTP server (aiosmtpd) and read back as a mail client would.

The business is the feedback tests' one: M1 reads Korean and consents to e-mail, M2 reads
English and consents to SMS (and, here, to e-mail too), M3 consents to nothing.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from tests.integration.channels.peers import HttpReceiver, Mailbox, smtp_server
from tests.integration.engagement import mail_peers
from tests.integration.feedback.conftest import business  # noqa: F401 - the fixture

from regulars.api.app import create_api
from regulars.bootstrap import App
from regulars.channels.email import EmailChannel
from regulars.channels.sms import SmsChannel, SmsGateway
from regulars.domain.engagement.marketing import NIGHT_CONSENT
from regulars.services.engagement.messages import Event, Hold, Send, Skip, compose
from regulars.services.feedback.dispatch import invite_after_purchases
from regulars.services.feedback.links import LinkStatus, open_link
from regulars.store import members as member_store
from regulars.store import outbox

mailbox, smtp = mail_peers.mailbox, mail_peers.smtp  # the real SMTP server
SECRET = "a long test secret"
URL = "https://survey.example.com"
PUBLIC = "https://loyal.example.com"
INVITED_AT = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)  # 12:00 in Seoul


@pytest.fixture
def shop(business: App) -> App:  # noqa: F811 - the imported fixture
    business.settings = dataclasses.replace(
        business.settings,
        secret_key=SECRET,
        public_url=PUBLIC,
        business_name="단골 커피",
        business_contact="02-123-4567",
    )
    ids = _ids(business)
    _consent(business, ids["M2"], "email", True)  # M2 (English) now takes e-mail too
    return business


def _ids(app: App) -> dict[str, int]:
    with app.unit_of_work() as uow:
        return member_store.ids_by_external_id(uow.connection, ["M1", "M2", "M3", "M4"])


def _consent(app: App, member_id: int, channel: str, granted: bool) -> None:
    # after the import's own consent events, whose time is the moment of the import
    with app.unit_of_work() as uow:
        member_store.add_consent_events(
            uow.connection,
            [
                {
                    "member_id": member_id,
                    "channel": channel,
                    "granted": granted,
                    "at": datetime.now(UTC) + timedelta(seconds=1),
                    "source": "test",
                }
            ],
        )
        uow.commit()


def _events(app: App, topic: str) -> list[Event]:
    with app.unit_of_work() as uow:
        return [Event.from_row(r) for r in outbox.topics(uow.connection) if r["topic"] == topic]


def _enqueue(app: App, topic: str, payload: dict, member: int) -> Event:
    with app.unit_of_work() as uow:
        outbox.enqueue(uow.connection, topic, payload, member_id=member, now=INVITED_AT)
        uow.commit()
    return _events(app, topic)[-1]


def _compose(app: App, event: Event, now: datetime) -> Send | Hold | Skip:
    with app.unit_of_work() as uow:
        return compose(uow, event, now, app.settings)


def _deliver(plan: Send | Hold | Skip, smtp: EmailChannel) -> None:
    assert isinstance(plan, Send), plan
    for planned in plan.deliveries:
        assert planned.channel == "email"
        assert smtp.send(planned.delivery).ok


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content())


def _invite(app: App) -> list[str]:
    with app.unit_of_work() as uow:
        report = invite_after_purchases(
            uow, "after-purchase", INVITED_AT, secret=SECRET, base_url=URL
        )
        uow.commit()
    return report.links


def test_survey_invitations_arrive_in_the_members_language_with_a_link_rebuilt_at_send_time(
    shop: App, smtp: EmailChannel, mailbox: Mailbox
) -> None:
    links = _invite(shop)
    events = _events(shop, "survey.invitation")
    assert len(events) == 2
    # the outbox holds no token the answer page accepts
    with shop.unit_of_work() as uow:
        for row in outbox.topics(uow.connection):
            for link in links:
                assert link.rsplit("/", 1)[1] not in row["payload"]
            for word in re.findall(r"[A-Za-z0-9_\-.]{20,}", row["payload"]):
                assert open_link(uow, word, SECRET, INVITED_AT).status is LinkStatus.FORGED
    later = INVITED_AT + timedelta(hours=3)
    for event in events:
        _deliver(_compose(shop, event, later), smtp)
    arrived = {m.message["To"]: m.message for m in mailbox.arrived}
    korean = next(m for to, m in arrived.items() if "m1@example.com" in to)
    english = next(m for to, m in arrived.items() if "m2@example.com" in to)
    assert korean["Subject"] == "After your purchase — 지난 방문은 어떠셨나요?"
    assert "1분이면 충분한 짧은 설문" in _body(korean, "plain")
    assert "설문에 답하기" in _body(korean, "html")
    assert english["Subject"] == "After your purchase: how was your visit?"
    assert "one-minute survey" in _body(english, "plain")
    for message in (korean, english):  # transactional: no label, no opt-out
        assert "(광고)" not in message["Subject"]
        assert message["List-Unsubscribe"] is None
        assert "단골 커피" in _body(message, "plain")
        [link] = re.findall(r"https://survey\.example\.com/s/\S+", _body(message, "plain"))
        assert link in links
        with shop.unit_of_work() as uow:
            opened = open_link(uow, link.rsplit("/", 1)[1], SECRET, later)
        assert opened.status is LinkStatus.OPEN


def test_a_marketing_message_is_labelled_signed_and_its_opt_out_link_records_the_withdrawal(
    shop: App, smtp: EmailChannel, mailbox: Mailbox
) -> None:
    m1 = _ids(shop)["M1"]
    payload = {"member_id": "M1", "referral": {"referrer": "M1"}, "score": 10.0}
    event = _enqueue(shop, "feedback.referral_invite", payload, m1)
    _deliver(_compose(shop, event, INVITED_AT), smtp)
    [arrived] = mailbox.arrived
    message = arrived.message
    assert message["Subject"].startswith("(광고) ")
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{PUBLIC}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = _body(message, "plain")
    assert "단골 커피" in text
    assert "02-123-4567" in text
    assert unsubscribe in text
    assert "회원번호 M1" in text
    path = unsubscribe.removeprefix(PUBLIC)
    with TestClient(create_api(shop)) as client:
        tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
        assert client.get(tampered).status_code == 404
        assert client.post(tampered, content=b"List-Unsubscribe=One-Click").status_code == 404
        other = path.replace(f"/{m1}.", f"/{m1 + 1}.", 1)
        assert client.post(other).status_code == 404
        asked = client.get(path)
        assert asked.status_code == 200
        assert '<form method="post">' in asked.text
        with shop.unit_of_work() as uow:  # looking withdraws nothing
            assert member_store.consent_state(uow.connection, [m1])[(m1, "email")] is True
        done = client.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200
        assert client.post(path).status_code == 200  # a second click is harmless
    with shop.unit_of_work() as uow:
        history = member_store.consent_history(uow.connection, m1)
    withdrawals = [h for h in history if h["source"] == "opt-out link"]
    assert [(h["channel"], h["granted"]) for h in withdrawals] == [("email", False)]
    # the next message finds no consent
    again = _enqueue(shop, "feedback.referral_invite", payload, m1)
    assert _compose(shop, again, INVITED_AT) == Skip("no consent")


def test_consent_withdrawn_after_enqueue_means_nothing_is_sent(
    shop: App, smtp: EmailChannel, mailbox: Mailbox
) -> None:
    _invite(shop)
    ids = _ids(shop)
    _consent(shop, ids["M1"], "email", False)
    _consent(shop, ids["M2"], "email", False)
    _consent(shop, ids["M2"], "sms", False)
    plans = [
        _compose(shop, e, INVITED_AT + timedelta(hours=3))
        for e in _events(shop, "survey.invitation")
    ]
    assert plans == [Skip("no consent"), Skip("no consent")]
    assert mailbox.arrived == []


def test_advertising_is_held_in_quiet_hours_and_sent_when_they_end(
    shop: App, smtp: EmailChannel, mailbox: Mailbox
) -> None:
    ids = _ids(shop)
    night = datetime(2026, 10, 20, 13, 30, tzinfo=UTC)  # 22:30 in Seoul
    morning = datetime(2026, 10, 20, 23, 0, tzinfo=UTC)  # 08:00 in Seoul
    payload = {"member_id": "M1", "score": 9.0}
    event = _enqueue(shop, "feedback.referral_invite", payload, ids["M1"])
    assert _compose(shop, event, night) == Hold(morning, "quiet hours")
    assert _compose(shop, event, morning - timedelta(seconds=1)) == Hold(morning, "quiet hours")
    _deliver(_compose(shop, event, morning), smtp)
    assert len(mailbox.arrived) == 1
    # service messages are not advertising: they go at night
    expiring = {"account": 1, "points": 1200, "expires_at": "2026-11-30 15:00:00+00:00"}
    service = _enqueue(shop, "points.expiring_soon", expiring, ids["M1"])
    _deliver(_compose(shop, service, night), smtp)
    assert mailbox.arrived[-1].message["Subject"] == "1,200포인트가 2026-12-01에 소멸됩니다"
    # a member who gave the separate night-time consent gets advertising at night
    _consent(shop, ids["M4"], NIGHT_CONSENT, True)
    late = _enqueue(shop, "feedback.referral_invite", {"member_id": "M4"}, ids["M4"])
    assert isinstance(_compose(shop, late, night), Send)
    # with no marketing rules (another country) there are no quiet hours and no label
    shop.settings = dataclasses.replace(shop.settings, marketing_rules="none")
    plan = _compose(shop, event, night)
    assert isinstance(plan, Send)
    assert not plan.deliveries[0].delivery.subject.startswith("(광고)")


def test_the_channel_follows_the_configured_order_and_sms_goes_through_the_gateway(
    shop: App,
) -> None:
    ids = _ids(shop)
    tier = {"program": "club", "old": "silver", "new": "gold", "privileges": ["free drink"]}
    event = _enqueue(shop, "tier.changed", tier, ids["M2"])
    assert _compose(shop, event, INVITED_AT).deliveries[0].channel == "email"  # type: ignore[union-attr]
    shop.settings = dataclasses.replace(shop.settings, channel_order="sms,email")
    plan = _compose(shop, event, INVITED_AT)
    assert isinstance(plan, Send)
    [planned] = plan.deliveries
    assert planned.channel == "sms"
    assert planned.delivery.recipient == "010-2"
    receiver = HttpReceiver()
    try:
        gateway = SmsGateway(url=f"{receiver.url}/send", sender="0212345678")
        with SmsChannel(gateway) as sms:
            assert sms.send(planned.delivery).ok
        [request] = receiver.requests
    finally:
        receiver.close()
    body = json.loads(request.body)
    assert body["to"] == "010-2"
    assert body["text"] == "[단골 커피] Your tier is now gold."
    assert request.headers["idempotency-key"] == f"evt_{event.id}"


def test_events_that_are_no_messages_and_erased_members(shop: App) -> None:
    ids = _ids(shop)
    earned = _enqueue(shop, "points.earned", {"points": 10}, ids["M1"])
    assert _compose(shop, earned, INVITED_AT) == Send([])
    with shop.unit_of_work() as uow:
        member_store.erase(uow.connection, ids["M1"], INVITED_AT)
        uow.commit()
    reward = _enqueue(shop, "reward.issued", {"reward": "RW-1", "name": "Coffee"}, ids["M1"])
    assert _compose(shop, reward, INVITED_AT) == Skip("member erased")


def test_an_invitation_enqueued_before_links_were_rebuilt_still_goes_with_its_link(
    shop: App,
) -> None:
    legacy = {
        "survey": "after-purchase",
        "name": "After your purchase",
        "language": "ko",
        "link": f"{URL}/s/old.token",
        "expires_at": "2026-11-03T03:00:00+00:00",
    }
    event = _enqueue(shop, "survey.invitation", legacy, _ids(shop)["M1"])
    plan = _compose(shop, event, INVITED_AT)
    assert isinstance(plan, Send)
    assert f"{URL}/s/old.token" in plan.deliveries[0].delivery.text


def test_the_delivery_worker_sends_member_messages_through_the_configured_smtp_server(
    shop: App, mailbox: Mailbox
) -> None:
    """The production wiring: ``REGULARS_SMTP_URL`` gives the worker an e-mail channel and
    ``App.composer`` renders each member's message at send time, beside the fan-out."""
    links = _invite(shop)
    with smtp_server(mailbox) as port:
        shop.settings = dataclasses.replace(
            shop.settings, smtp_url=f"smtp://127.0.0.1:{port}", smtp_sender=mail_peers.SENDER
        )
        with shop.delivery_worker() as worker:
            worker.clock = lambda: INVITED_AT + timedelta(hours=3)
            report = worker.drain()
    assert report.events >= 2
    recipients = sorted(to for arrived in mailbox.arrived for to in arrived.rcpt_tos)
    assert recipients == ["m1@example.com", "m2@example.com"]
    bodies = [_body(arrived.message, "plain") for arrived in mailbox.arrived]
    assert all(any(link in body for link in links) for body in bodies)
    with shop.unit_of_work() as uow:
        rows = outbox.topics(uow.connection)
    assert all(row["sent_at"] is not None for row in rows if row["topic"] == "survey.invitation")
