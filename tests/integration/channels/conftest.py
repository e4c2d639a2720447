"""Fixtures for the channel tests: real peers on 127.0.0.1 and the real RabbitMQ."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from tests.integration.channels.peers import Certificate, HttpReceiver, Mailbox

AMQP_URL = os.environ.get("REGULARS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    yield server
    server.close()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return Certificate.make(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The real RabbitMQ; the tests FAIL (never skip) when it cannot be reached."""
    parts = urlsplit(AMQP_URL)
    address = (parts.hostname or "127.0.0.1", parts.port or 5672)
    try:
        socket.create_connection(address, timeout=3).close()
    except OSError as error:
        pytest.fail(
            f"RabbitMQ is required for the broker tests and could not be reached at "
            f"{address[0]}:{address[1]} ({error}). Start it (`rabbitmq-server -detached`, "
            "then `rabbitmqctl await_startup`), or point REGULARS_TEST_AMQP_URL at one.",
            pytrace=False,
        )
    return AMQP_URL
