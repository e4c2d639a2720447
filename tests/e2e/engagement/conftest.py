"""The API and CLI of delivery, with a real receiver on 127.0.0.1 (private URLs allowed)."""

from __future__ import annotations

import dataclasses

import pytest
from tests.integration.channels.conftest import receiver

from regulars.bootstrap import App

__all__ = ["receiver"]  # an HTTP receiver on 127.0.0.1, as the channel tests have it


@pytest.fixture
def app(app: App) -> App:
    app.settings = dataclasses.replace(app.settings, webhook_allow_private=True)
    return app
