"""Fixtures for the delivery tests: the app set up to deliver to a real receiver on
127.0.0.1 (private destinations allowed), a clock the tests move."""

from __future__ import annotations

import dataclasses

import pytest
from tests.integration.channels.conftest import amqp_url, receiver
from tests.integration.engagement.outbox_events import Clock

from regulars.bootstrap import App

__all__ = ["amqp_url", "receiver"]  # RabbitMQ and an HTTP receiver, as the channel tests have them


@pytest.fixture
def delivering(app: App) -> App:
    """The app with private destinations allowed (the receiver is on 127.0.0.1)."""
    app.settings = dataclasses.replace(
        app.settings, webhook_allow_private=True, secret_key="test secret key"
    )
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()
