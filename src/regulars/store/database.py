"""Engines and migrations.

``connect(url)`` gives an engine tuned for the dialect: SQLite runs in WAL mode with foreign
keys on and a busy timeout, so the CLI and the API can share one file; PostgreSQL uses psycopg 3.
``migrate(engine)`` brings the schema to the newest Alembic revision. :data:`Engine` is the
type the composition root holds, named here so that nothing outside the store imports
SQLAlchemy. A store that cannot be opened (no server on that port, a driver regulars does not
ship, a SQLite file in a folder that cannot be written) raises :class:`StoreUnavailable`,
whose message says which store and what to check, for the entry points to show as it is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import (
    ArgumentError,
    DisconnectionError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)

from regulars.store.revisions import applied_revisions, newest_revisions

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["MIGRATIONS", "Engine", "StoreUnavailable", "alembic_config", "connect", "migrate"]

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreUnavailable(RuntimeError):
    """The store cannot be opened; the message names it and says what to check."""


def connect(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` (see :func:`regulars.config.normalise_database_url`)."""
    try:
        return _engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise StoreUnavailable(
            f"cannot use the database URL {_shown(url)}: {_reason(error)}; regulars runs on "
            "SQLite (sqlite:///path/to/regulars.db) and PostgreSQL "
            "(postgresql://user@host:5432/name)"
        ) from error


def _engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # Sessions speak UTC, so timestamps written without an offset (bulk COPY) mean UTC.
    engine = create_engine(url, connect_args={"options": "-c timezone=UTC"}, **kwargs)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_idle)
    return engine


IDLE_PING_SECONDS = 10.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is handed out
(one round trip), and replaced if the server has gone (restarted, or it dropped idle
connections). A connection in steady use is not: SQLAlchemy's ``pool_pre_ping`` pings on
every checkout, which cost a till's sale a sixth of its time. A connection that dies while
in use fails its request once; the pool then drops every connection of that server."""


def _note_idle(_dbapi: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # the server is gone: the pool retries with a new connection
        raise DisconnectionError(str(error)) from error


def _shown(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return " ".join(lines[:2]) or type(original).__name__


def unavailable(engine: Engine, error: BaseException) -> StoreUnavailable:
    """The :class:`StoreUnavailable` for a failure to connect to ``engine``'s store."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        where = Path(url.database or "")
        hint = (
            f"check that the folder {where.parent.resolve()} exists and can be written "
            "(SQLite creates the file and its journal there)"
        )
    else:
        hint = (
            "check that PostgreSQL is running and that REGULARS_DATABASE_URL has the right "
            "host, port, user, password and database"
        )
    return StoreUnavailable(
        f"cannot open the store at {url.render_as_string(hide_password=True)}: "
        f"{_reason(error)}; {hint}"
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
    try:
        if revision == "heads" and applied_revisions(engine) == newest_revisions():
            return
        from alembic import command

        command.upgrade(alembic_config(engine), revision)
    except (OperationalError, InterfaceError) as error:
        raise unavailable(engine, error) from error
