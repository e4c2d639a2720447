"""How an e-mail is put together and how an SMTP URL and reply codes are read."""

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from regulars.channels.base import Delivery, Status
from regulars.channels.email import SmtpServer, build_message, message_id, outcome_of_reply

SENDER = "단골 커피 <hello@coffee.example>"


def _parsed(message: EmailMessage) -> EmailMessage:
    """Back through bytes, as a mail client would read it."""
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_korean_message_with_both_bodies() -> None:
    delivery = Delivery(
        "evt_42",
        "survey.invitation",
        recipient="민지 <minji@example.kr>",
        subject="(광고) 지난 방문은 어떠셨나요?",
        text="설문에 답해 주세요: https://shop.example/a/xyz",
        html="<p>설문에 <a href='https://shop.example/a/xyz'>답해 주세요</a></p>",
        unsubscribe_url="https://shop.example/unsubscribe/abc",
    )
    raw = build_message(delivery, SENDER, now=datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
    assert raw.as_bytes().isascii()  # headers encoded, bodies transfer-encoded
    message = _parsed(raw)
    assert message["Subject"] == "(광고) 지난 방문은 어떠셨나요?"
    assert message["From"] == SENDER
    assert message["To"] == "민지 <minji@example.kr>"
    assert message["Message-ID"] == "<regulars.evt_42@coffee.example>"
    assert message["Date"] == "Wed, 01 Apr 2026 03:00:00 +0000"
    assert message["List-Unsubscribe"] == "<https://shop.example/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().strip() == delivery.text
    assert html.get_content().strip() == delivery.html
    assert text.get_content_charset() == "utf-8"


def test_a_transactional_text_message_is_one_part_without_unsubscribe() -> None:
    delivery = Delivery(
        "7", "case.reply", recipient="a@example.kr", subject="답변", text="감사합니다"
    )
    message = _parsed(build_message(delivery, "hello@coffee.example"))
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "감사합니다"
    assert message["List-Unsubscribe"] is None
    assert message["Message-ID"] == "<regulars.7@coffee.example>"


def test_extra_headers_and_a_mailto_unsubscribe() -> None:
    delivery = Delivery(
        "1",
        "t",
        recipient="a@example.kr",
        text="x",
        headers={"X-Campaign": "spring"},
        unsubscribe_url="mailto:unsubscribe@coffee.example",
    )
    message = build_message(delivery, "hello@coffee.example")
    assert message["X-Campaign"] == "spring"
    assert message["List-Unsubscribe-Post"] is None  # one-click needs an http(s) URL


def test_the_message_id_is_the_same_on_every_retry_and_stays_a_valid_id() -> None:
    assert message_id("evt 1/2", "x.example") == "<regulars.evt-1-2@x.example>"
    assert message_id("evt 1/2", "x.example") == message_id("evt 1/2", "x.example")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1", ("127.0.0.1", 25, None, None, False, False)),
        ("smtp://relay:2525", ("relay", 2525, None, None, False, False)),
        ("smtp://u:p@mail.example?starttls=1", ("mail.example", 587, "u", "p", False, True)),
        ("smtp://u:p@mail.example:25?starttls=yes", ("mail.example", 25, "u", "p", False, True)),
        (
            "smtps://u%40x.kr:a%2Fb%20c@mail.example",
            ("mail.example", 465, "u@x.kr", "a/b c", True, False),
        ),
    ],
)
def test_the_smtp_url(url: str, expected: tuple[object, ...]) -> None:
    server = SmtpServer.from_url(url)
    got = (server.host, server.port, server.username, server.password)
    assert (*got, server.implicit_tls, server.starttls) == expected


def test_an_smtp_url_keeps_its_password_out_of_repr_and_takes_a_timeout() -> None:
    server = SmtpServer.from_url("smtp://u:hunter2@mail.example?timeout=5")
    assert "hunter2" not in repr(server)
    assert server.timeout == 5.0
    with pytest.raises(ValueError, match="timeout is a number of seconds"):
        SmtpServer.from_url("smtp://mail.example?timeout=soon")


@pytest.mark.parametrize(
    "url", ["http://mail.example", "smtp://", "mail.example:25", "smtp://u:%ED%82%A4@mail.example"]
)
def test_a_wrong_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpServer.from_url(url)


def test_reply_codes() -> None:
    assert outcome_of_reply(451, b"4.3.0 try again").status is Status.RETRY
    assert outcome_of_reply(452, "mailbox full").status is Status.RETRY
    failed = outcome_of_reply(550, b"5.1.1 no such user")
    assert (failed.status, failed.peer_status, failed.reason) == (
        Status.FAILED,
        550,
        "SMTP 550 5.1.1 no such user",
    )
