"""E-mail over SMTP, configured by one URL (``REGULARS_SMTP_URL``).

``smtp://user:password@host:587?starttls=1`` upgrades a plain connection with STARTTLS,
``smtps://user:password@host:465`` speaks TLS from the first byte, ``smtp://host:25`` is
plain (for a relay on the same machine). User and password are percent-decoded.

A message is multipart/alternative (text, and HTML when given), UTF-8 throughout, so Korean
subjects and bodies arrive intact. Its ``Message-ID`` is derived from the delivery id, so a
retried message is recognisable as the same one. A marketing message carries
``List-Unsubscribe`` (and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, RFC 8058)
when it has an unsubscribe URL.

A 4xx reply is retryable and a 5xx one fails for good (RFC 5321 §4.2.1), except that a
refused login or a missing STARTTLS are the operator's configuration, not the message's
fault: those are retried until someone fixes the URL.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from regulars.channels.base import Channel, Delivery, Outcome

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
# CRLF line ends, and bodies transfer-encoded to 7 bits (base64 or quoted-printable), so a
# Korean message passes any relay, whether or not it speaks 8BITMIME.
SEVEN_BIT_SMTP = SMTP.clone(cte_type="7bit")
CLOSING = 421  # "service not available, closing transmission channel" (an idle timeout too)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to submit mail, read from an ``smtp://`` or ``smtps://`` URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Read a server from its URL.

        >>> server = SmtpServer.from_url("smtp://mailer:p%40ss@mail.example.com?starttls=1")
        >>> server.host, server.port, server.username, server.password, server.starttls
        ('mail.example.com', 587, 'mailer', 'p@ss', True)
        """
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(
                f"an SMTP URL starts with smtp:// or smtps://, not {url.split(':')[0]}"
            )
        if not parts.hostname:
            raise ValueError("the SMTP URL names no host")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if not f"{username or ''}{password or ''}".isascii():
            raise ValueError("the SMTP URL's user and password must be ASCII (SMTP AUTH PLAIN)")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        implicit_tls = parts.scheme == "smtps"
        starttls = query.get("starttls", "").lower() in TRUE_WORDS
        default_port = 465 if implicit_tls else 587 if starttls else 25
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            username=username,
            password=password,
            implicit_tls=implicit_tls,
            starttls=starttls and not implicit_tls,
            timeout=_seconds(query.get("timeout", "30")),
        )


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"the SMTP URL's timeout is a number of seconds, not {text!r}") from None


def message_id(delivery_id: str, domain: str) -> str:
    """The ``Message-ID`` of every attempt at one delivery.

    >>> message_id("evt 42", "shop.example")
    '<regulars.evt-42@shop.example>'
    """
    return f"<regulars.{re.sub(r'[^A-Za-z0-9._-]', '-', delivery_id)}@{domain}>"


def build_message(delivery: Delivery, sender: str, now: datetime | None = None) -> EmailMessage:
    """The e-mail for ``delivery``, from ``sender`` (``"Name <address>"`` or an address)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=SEVEN_BIT_SMTP)
    message["From"] = sender
    message["To"] = delivery.recipient
    message["Subject"] = delivery.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(delivery.id, domain)
    if delivery.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{delivery.unsubscribe_url}>"
        if delivery.unsubscribe_url.startswith(("https://", "http://")):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in delivery.headers.items():
        message[name] = value
    message.set_content(delivery.text, charset="utf-8")
    if delivery.html:
        message.add_alternative(delivery.html, subtype="html", charset="utf-8")
    return message


def outcome_of_reply(code: int, text: bytes | str) -> Outcome:
    """4xx: try again later; 5xx: the server will not take this message."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    reason = f"SMTP {code} {text}".strip()
    if 500 <= code < 600:
        return Outcome.failed(reason, code)
    return Outcome.retry(reason, code)


class EmailChannel(Channel):
    """Submits a delivery's rendered message to its ``recipient`` address over SMTP.

    One connection is opened on first use and kept; when a kept connection turns out to be
    closed by the server, the message is tried once more on a fresh one. Sends are
    serialised (an SMTP conversation is one message at a time).
    """

    name = "email"

    def __init__(
        self,
        server: SmtpServer | str,
        sender: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = SmtpServer.from_url(server) if isinstance(server, str) else server
        self.sender = sender
        self._envelope_sender = parseaddr(sender)[1] or sender
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def send(self, delivery: Delivery) -> Outcome:
        if not delivery.recipient:
            return Outcome.failed("an e-mail needs a recipient address")
        try:
            message = build_message(delivery, self.sender)
        except (ValueError, TypeError) as error:
            return Outcome.failed(f"cannot build the message: {error}")
        address = parseaddr(delivery.recipient)[1] or delivery.recipient
        with self._lock:
            outcome = self._submit(message, address)
            if outcome is None:  # the kept connection had gone: once more, on a fresh one
                outcome = self._submit(message, address) or Outcome.retry(
                    "the SMTP server closed the connection"
                )
            return outcome

    def _submit(self, message: EmailMessage, recipient: str) -> Outcome | None:
        """Submit once; None when a kept connection proved to be closed (try a fresh one)."""
        kept = self._smtp is not None
        try:
            smtp = self._connection()
        except smtplib.SMTPAuthenticationError as error:
            return Outcome.retry(
                f"the SMTP server refused the login ({error.smtp_code}); check REGULARS_SMTP_URL",
                error.smtp_code,
            )
        except smtplib.SMTPResponseException as error:
            return outcome_of_reply(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            return Outcome.retry(
                f"cannot open an SMTP session with {self.server.host}:{self.server.port}: {error!r}"
            )
        try:
            smtp.send_message(message, from_addr=self._envelope_sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients.get(recipient, (550, b"recipient refused"))
            return outcome_of_reply(code, text)
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == CLOSING:
                self._drop()
                if kept:
                    return None
            return outcome_of_reply(error.smtp_code, error.smtp_error)
        except smtplib.SMTPNotSupportedError as error:
            return Outcome.failed(f"the SMTP server cannot carry this message: {error}")
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            if kept:
                return None
            return Outcome.retry(f"the SMTP conversation broke off: {error!r}")
        return Outcome.delivered(250)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        server = self.server
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=self._ssl_context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        try:
            smtp.ehlo()
            if server.starttls:
                smtp.starttls(context=self._ssl_context)
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
            self._drop()
