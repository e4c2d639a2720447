"""E-mail to a real SMTP server (aiosmtpd) on 127.0.0.1, read back as a mail client would."""

from __future__ import annotations

import time

from tests.integration.channels.peers import Certificate, Mailbox, free_port, smtp_server

from regulars.channels.base import Delivery, Status
from regulars.channels.email import EmailChannel

SENDER = "단골 커피 <hello@coffee.example>"


def _invitation(number: int = 1, recipient: str = "민지 <minji@example.kr>") -> Delivery:
    return Delivery(
        f"evt_{number}",
        "survey.invitation",
        recipient=recipient,
        subject="(광고) 지난 방문은 어떠셨나요? ☕",
        text="민지 님, 설문에 답해 주세요: https://shop.example/a/xyz\n감사합니다.",
        html="<p>민지 님, <a href='https://shop.example/a/xyz'>설문</a>에 답해 주세요.</p>",
        unsubscribe_url="https://shop.example/unsubscribe/abc",
        marketing=True,
    )


def test_a_korean_message_arrives_with_both_bodies_and_its_headers(mailbox: Mailbox) -> None:
    with smtp_server(mailbox) as port, EmailChannel(f"smtp://127.0.0.1:{port}", SENDER) as channel:
        outcome = channel.send(_invitation())
    assert outcome.ok
    assert outcome.peer_status == 250
    [arrived] = mailbox.arrived
    assert arrived.mail_from == "hello@coffee.example"
    assert arrived.rcpt_tos == ["minji@example.kr"]  # the bare address, not "민지 <…>"
    message = arrived.message
    assert message["To"] == "민지 <minji@example.kr>"
    assert message["Subject"] == "(광고) 지난 방문은 어떠셨나요? ☕"
    assert message["From"] == SENDER
    assert message["Message-ID"] == "<regulars.evt_1@coffee.example>"
    assert message["List-Unsubscribe"] == "<https://shop.example/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().replace("\r\n", "\n").strip() == _invitation().text
    assert html.get_content().strip() == _invitation().html


def test_one_connection_serves_many_messages(mailbox: Mailbox) -> None:
    with smtp_server(mailbox) as port, EmailChannel(f"smtp://127.0.0.1:{port}", SENDER) as channel:
        outcomes = [channel.send(_invitation(number)) for number in range(20)]
    assert all(outcome.ok for outcome in outcomes)
    assert [arrived.message["Message-ID"] for arrived in mailbox.arrived] == [
        f"<regulars.evt_{number}@coffee.example>" for number in range(20)
    ]


def test_a_server_that_restarted_gets_the_message_on_a_fresh_connection(mailbox: Mailbox) -> None:
    port = free_port()
    with EmailChannel(f"smtp://127.0.0.1:{port}", SENDER) as channel:
        with smtp_server(mailbox, port):
            assert channel.send(_invitation(1)).ok
        with smtp_server(mailbox, port):
            assert channel.send(_invitation(2)).ok
    assert len(mailbox.arrived) == 2


def test_a_connection_the_server_closed_for_idleness_is_replaced(mailbox: Mailbox) -> None:
    # the server's idle timeout: it says 421 and closes the connection the channel kept
    with (
        smtp_server(mailbox, timeout=0.3) as port,
        EmailChannel(f"smtp://127.0.0.1:{port}", SENDER) as channel,
    ):
        assert channel.send(_invitation(1)).ok
        time.sleep(0.8)
        assert channel.send(_invitation(2)).ok
    assert len(mailbox.arrived) == 2


def test_starttls_with_login(mailbox: Mailbox, certificate: Certificate) -> None:
    mailbox.logins["mailer"] = "p@ss word"
    options = {
        "tls_context": certificate.server_context(),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": mailbox.authenticate,
    }
    with smtp_server(mailbox, **options) as port:
        url = f"smtp://mailer:p%40ss%20word@127.0.0.1:{port}?starttls=1"
        with EmailChannel(url, SENDER, ssl_context=certificate.client_context()) as channel:
            assert channel.send(_invitation()).ok
        wrong = f"smtp://mailer:nope@127.0.0.1:{port}?starttls=1"
        with EmailChannel(wrong, SENDER, ssl_context=certificate.client_context()) as channel:
            refused = channel.send(_invitation(2))
        plain = f"smtp://mailer:p%40ss@127.0.0.1:{port}"
        with EmailChannel(plain, SENDER) as channel:
            without_tls = channel.send(_invitation(3))
    assert [arrived.login for arrived in mailbox.arrived] == ["mailer"]
    assert refused.retryable  # the operator's URL is wrong, not the message
    assert refused.peer_status == 535
    assert "check REGULARS_SMTP_URL" in refused.reason
    assert without_tls.retryable  # no AUTH offered before STARTTLS
    assert "AUTH extension not supported" in without_tls.reason


def test_implicit_tls(mailbox: Mailbox, certificate: Certificate) -> None:
    with smtp_server(mailbox, ssl_context=certificate.server_context()) as port:
        url = f"smtps://127.0.0.1:{port}"
        with EmailChannel(url, SENDER, ssl_context=certificate.client_context()) as channel:
            assert channel.send(_invitation()).ok
        with EmailChannel(url, SENDER) as channel:  # the self-signed certificate is not trusted
            untrusted = channel.send(_invitation(2))
    assert len(mailbox.arrived) == 1
    assert untrusted.retryable
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.reason


def test_4xx_is_retried_and_5xx_fails_for_good(mailbox: Mailbox) -> None:
    mailbox.rcpt_replies["full@example.kr"] = "452 4.2.2 Mailbox full"
    mailbox.rcpt_replies["gone@example.kr"] = "550 5.1.1 No such user"
    mailbox.data_replies.append("451 4.3.0 Try again later")
    with smtp_server(mailbox) as port, EmailChannel(f"smtp://127.0.0.1:{port}", SENDER) as channel:
        full = channel.send(_invitation(1, "full@example.kr"))
        gone = channel.send(_invitation(2, "gone@example.kr"))
        later = channel.send(_invitation(3))
        again = channel.send(_invitation(3))
    assert (full.status, full.peer_status) == (Status.RETRY, 452)
    assert (gone.status, gone.peer_status) == (Status.FAILED, 550)
    assert gone.reason == "SMTP 550 5.1.1 No such user"
    assert (later.status, later.peer_status) == (Status.RETRY, 451)
    assert again.ok
    assert [arrived.message["Message-ID"] for arrived in mailbox.arrived] == [
        "<regulars.evt_3@coffee.example>"
    ]


def test_no_server_is_retried() -> None:
    with EmailChannel(f"smtp://127.0.0.1:{free_port()}", SENDER) as channel:
        outcome = channel.send(_invitation())
    assert outcome.retryable
    assert "cannot open an SMTP session" in outcome.reason


def test_a_message_without_recipient_is_not_sent() -> None:
    with EmailChannel("smtp://127.0.0.1:1", SENDER) as channel:
        outcome = channel.send(Delivery("1", "t", text="x"))
    assert outcome.status is Status.FAILED
