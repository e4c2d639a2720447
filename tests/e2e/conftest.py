"""End-to-end fixtures: the real API (in-process ASGI over httpx) with real keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from regulars.api import create_api
from regulars.bootstrap import App
from regulars.services import api_keys


def make_key(app: App, scopes: str) -> str:
    with app.unit_of_work() as uow:
        token, _ = api_keys.create(uow, f"test-{scopes}", scopes)
        uow.commit()
    return token


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_api(app)) as test_client:
        yield test_client


@pytest.fixture
def pos(app: App) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(app, 'pos')}"}


@pytest.fixture
def admin(app: App) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(app, 'admin')}"}


@pytest.fixture
def analyst(app: App) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(app, 'analyst')}"}
