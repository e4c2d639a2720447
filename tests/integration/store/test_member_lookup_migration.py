"""Migration 0010 fills the lookup keys of the members already stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import POSTGRES_URL

from regulars.store.database import connect, migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"regulars_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_members_stored_before_the_lookup_keys_are_found_after_it(empty_url: str) -> None:
    engine = connect(empty_url)
    migrate(engine, "0009")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO members (external_id, phone, email, locale, segment, created_at, "
                "updated_at) VALUES (:id, :phone, :email, 'ko', 'individual', :now, :now)"
            ),
            [
                {"id": "M1", "phone": "+82 10-1234-5678", "email": "Kim@Example.com", "now": now},
                {"id": "M2", "phone": None, "email": None, "now": now},
            ],
        )
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT external_id, phone_key, email_key, card_id FROM members ORDER BY 1")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("M1", "01012345678", "kim@example.com", None),
        ("M2", None, None, None),
    ]
