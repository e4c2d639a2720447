"""The API and CLI of delivery, with a real receiver on 127.0.0.1 (private URLs allowed)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from tests.integration.channels.peers import HttpReceiver

from regulars.bootstrap import App


@pytest.fixture
def app(app: App) -> App:
    app.settings = dataclasses.replace(app.settings, webhook_allow_private=True)
    return app


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    yield server
    server.close()
