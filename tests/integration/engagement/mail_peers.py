"""Fixtures shared by the message and alert tests: a real SMTP server (aiosmtpd) on
127.0.0.1 and the ``EmailChannel`` that talks to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.channels.peers import Mailbox, smtp_server

from regulars.channels.email import EmailChannel

SENDER = "단골 커피 <hello@coffee.example>"


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp(mailbox: Mailbox) -> Iterator[EmailChannel]:
    with smtp_server(mailbox) as port, EmailChannel(f"smtp://127.0.0.1:{port}", SENDER) as channel:
        yield channel
