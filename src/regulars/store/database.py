"""Engines and migrations.

``connect(url)`` gives an engine tuned for the dialect: SQLite runs in WAL mode with foreign
keys on and a busy timeout, so the CLI and the API can share one file; PostgreSQL uses psycopg 3.
``migrate(engine)`` brings the schema to the newest Alembic revision. :data:`Engine` is the
type the composition root holds, named here so that nothing outside the store imports
SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event

from regulars.store.revisions import applied_revisions, newest_revisions

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["MIGRATIONS", "Engine", "alembic_config", "connect", "migrate"]

MIGRATIONS = Path(__file__).with_name("migrations")


def connect(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` (see :func:`regulars.config.normalise_database_url`)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # Sessions speak UTC, so timestamps written without an offset (bulk COPY) mean UTC.
    return create_engine(
        url, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"}, **kwargs
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Apply every migration up to ``revision``; a no-op on an up-to-date database (checked
    without loading Alembic, see :mod:`regulars.store.revisions`)."""
    if revision == "heads" and applied_revisions(engine) == newest_revisions():
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
