"""Staff alerts: a detractor's answer reaches the store's contact with the score, the comment
and a link to the case; an overdue case alerts once more; webhooks are signed."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from tests.integration.channels.peers import HttpReceiver, Mailbox
from tests.integration.engagement import mail_peers
from tests.integration.feedback.conftest import business  # noqa: F401 - the fixture

from regulars.bootstrap import App
from regulars.channels.email import EmailChannel
from regulars.services.engagement.alerts import (
    alert_webhook_channel,
    alert_webhook_secret,
    overdue_alerts,
)
from regulars.services.engagement.messages import Event, Send, Skip, compose
from regulars.services.feedback import cases
from regulars.services.feedback.dispatch import invite_after_purchases
from regulars.services.feedback.links import answer_link, open_link
from regulars.services.imports.files import import_file
from regulars.store import outbox

mailbox, smtp = mail_peers.mailbox, mail_peers.smtp  # the real SMTP server
SECRET = "a long test secret"
PUBLIC = "https://loyal.example.com"
INVITED_AT = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
ANSWERED_AT = INVITED_AT + timedelta(hours=5)


@pytest.fixture
def shop(business: App) -> App:  # noqa: F811 - the imported fixture
    business.settings = dataclasses.replace(
        business.settings, secret_key=SECRET, public_url=PUBLIC, business_name="단골 커피"
    )
    return business


def _stores(app: App, folder: Path, rows: str) -> None:
    path = folder / "stores.csv"
    path.write_text("code,name,alert_email,alert_webhook\n" + rows, encoding="utf-8")
    report = import_file("stores", path, app.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
    assert not report.errors, report.errors


def _detractor(app: App, comment: str = "커피가 식어 있었어요") -> int:
    """A member rates the visit to S01 a 3; return the case's id."""
    with app.unit_of_work() as uow:
        report = invite_after_purchases(
            uow, "after-purchase", INVITED_AT, secret=SECRET, base_url=PUBLIC
        )
        uow.commit()
    tokens = [link.rsplit("/", 1)[1] for link in report.links]
    with app.unit_of_work() as uow:
        token = next(
            t for t in tokens if open_link(uow, t, SECRET, ANSWERED_AT).context["store"] == "S01"
        )
        answered = answer_link(uow, token, SECRET, {"nps": "3", "nps_why": comment}, ANSWERED_AT)
        uow.commit()
    assert answered.recorded
    [opened] = _events(app, "feedback.case_opened")
    return int(opened.payload["case_id"])


def _events(app: App, topic: str) -> list[Event]:
    with app.unit_of_work() as uow:
        return [Event.from_row(r) for r in outbox.topics(uow.connection) if r["topic"] == topic]


def _compose(app: App, event: Event, now: datetime) -> Send | Skip:
    with app.unit_of_work() as uow:
        plan = compose(uow, event, now, app.settings)
    assert isinstance(plan, Send | Skip)
    return plan


def test_a_detractor_answer_alerts_the_store_contact_with_score_comment_and_case_link(
    shop: App, tmp_path: Path, smtp: EmailChannel, mailbox: Mailbox
) -> None:
    _stores(shop, tmp_path, "S01,강남점,gangnam@coffee.example,\nS02,Web shop,,\n")
    case_id = _detractor(shop)
    [event] = _events(shop, "feedback.case_opened")
    plan = _compose(shop, event, ANSWERED_AT)
    assert isinstance(plan, Send)
    [planned] = plan.deliveries
    assert planned.channel == "email"
    assert smtp.send(planned.delivery).ok
    [arrived] = mailbox.arrived
    assert arrived.rcpt_tos == ["gangnam@coffee.example"]
    message = arrived.message
    assert message["Subject"] == "[불만 고객] 강남점 · NPS 3점"
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert "커피가 식어 있었어요" in text
    assert f"{PUBLIC}/console/cases/{case_id}" in text
    assert "(광고)" not in message["Subject"]
    assert message["List-Unsubscribe"] is None


def test_an_overdue_case_alerts_once_per_due_time_until_it_is_closed(
    shop: App, tmp_path: Path, smtp: EmailChannel, mailbox: Mailbox
) -> None:
    _stores(shop, tmp_path, "S01,강남점,gangnam@coffee.example,\n")
    case_id = _detractor(shop)
    with shop.unit_of_work() as uow:
        due = cases.get_case(uow, case_id)["due_at"]
        assert overdue_alerts(uow, due - timedelta(minutes=1)) == 0
        assert overdue_alerts(uow, due + timedelta(minutes=1)) == 1
        assert overdue_alerts(uow, due + timedelta(hours=1)) == 0  # once per due time
        uow.commit()
    [event] = _events(shop, "feedback.case_overdue")
    plan = _compose(shop, event, due + timedelta(minutes=1))
    assert isinstance(plan, Send)
    assert smtp.send(plan.deliveries[0].delivery).ok
    assert mailbox.arrived[0].message["Subject"] == "[기한 초과] 강남점 · NPS 3점 케이스"
    with shop.unit_of_work() as uow:
        cases.update_case(uow, case_id, due + timedelta(hours=2), status="resolved")
        uow.commit()
    assert _compose(shop, event, due + timedelta(hours=3)) == Skip("case closed")


def test_a_webhook_contact_gets_a_signed_alert_and_the_fallback_is_the_alert_address(
    shop: App, tmp_path: Path
) -> None:
    receiver = HttpReceiver()
    try:
        _stores(shop, tmp_path, f"S01,강남점,,{receiver.url}/alerts\n")
        case_id = _detractor(shop, "Too slow")
        [event] = _events(shop, "feedback.case_opened")
        plan = _compose(shop, event, ANSWERED_AT)
        assert isinstance(plan, Send)
        [planned] = plan.deliveries
        assert planned.channel == "alert_webhook"
        with alert_webhook_channel(SECRET, allow_private=True) as channel:
            assert channel.send(planned.delivery).ok
        [request] = receiver.requests
    finally:
        receiver.close()
    assert request.path == "/alerts"
    verified = Webhook(alert_webhook_secret(SECRET)).verify(request.body, request.headers)
    assert verified["type"] == "feedback.case_opened"
    data = json.loads(request.body)["data"]
    assert data["case_id"] == case_id
    assert data["score"] == 3
    assert data["comment"] == "Too slow"
    assert data["url"] == f"{PUBLIC}/console/cases/{case_id}"
    # without a store contact: the installation's fallback address, or nobody
    _stores(shop, tmp_path, "S01,강남점,,\n")
    assert _compose(shop, event, ANSWERED_AT) == Skip("no alert contact")
    shop.settings = dataclasses.replace(shop.settings, alert_email="cx@coffee.example")
    plan = _compose(shop, event, ANSWERED_AT)
    assert isinstance(plan, Send)
    assert [p.delivery.recipient for p in plan.deliveries] == ["cx@coffee.example"]


def test_a_bad_alert_webhook_in_the_catalogue_is_reported_by_row(shop: App, tmp_path: Path) -> None:
    path = tmp_path / "stores.csv"
    path.write_text("code,name,alert_webhook\nS01,강남점,ftp://x\n", encoding="utf-8")
    report = import_file("stores", path, shop.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
    assert [e.field for e in report.errors] == ["alert_webhook"]
