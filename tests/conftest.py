"""Shared fixtures: a migrated store on SQLite and on the real PostgreSQL.

``store_url`` is parametrised over both databases; any test that takes ``app`` (or
``store_url``) runs twice. PostgreSQL is at ``REGULARS_TEST_POSTGRES_URL`` (default: the
local server, database ``test``). Each test session creates its own database there and drops
it at the end, so parallel runs never meet. If PostgreSQL cannot be reached the tests FAIL:
they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from regulars.bootstrap import App, build
from regulars.config import Settings, normalise_database_url
from regulars.store.database import connect, migrate
from regulars.store.tables import metadata

POSTGRES_URL = normalise_database_url(
    os.environ.get("REGULARS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    name = f"regulars_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # pragma: no cover - the message is the point
        pytest.fail(
            f"PostgreSQL is required for the integration tests and could not be reached at "
            f"{POSTGRES_URL}: {error}. Start it, or point REGULARS_TEST_POSTGRES_URL at one.",
            pytrace=False,
        )
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = connect(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated store: a SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "regulars.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    _empty_postgres(url)


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app(store_url: str) -> Iterator[App]:
    """The composition root wired to an empty store (SQLite and PostgreSQL in turn)."""
    application = build(Settings(database_url=store_url), migrate_schema=False)
    yield application
    application.engine.dispose()
