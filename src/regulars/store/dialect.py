"""The SQL dialect choices, made once: which ``INSERT`` can say ``ON CONFLICT``, how a
moment is compared with a stored time.

SQLAlchemy's core ``insert`` cannot express ``ON CONFLICT DO NOTHING`` / ``DO UPDATE``;
each dialect's own ``insert`` can. Every store module asks here instead of choosing itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, String, Table, literal
from sqlalchemy.dialects import postgresql, sqlite

from regulars.domain.times import as_utc


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def upsert_insert(connection: Connection, table: Table) -> Any:
    """``INSERT INTO table`` that accepts ``.on_conflict_do_nothing()`` and
    ``.on_conflict_do_update()`` on the connection's dialect (PostgreSQL or SQLite)."""
    insert = postgresql.insert if is_postgres(connection) else sqlite.insert
    return insert(table)


def instant(connection: Connection, at: datetime) -> Any:
    """A moment to compare a stored time column with, whole seconds in UTC.

    On SQLite times are text, and two spellings of a UTC moment live side by side
    (``2026-10-31 15:00:00.000000`` from SQLAlchemy's binding, ``2026-10-31 15:00:00+00:00``
    from the ledger's bulk writer). A bound datetime would be spelt the first way, and
    ``'…15:00:00+00:00' >= '…15:00:00.000000'`` is false: a transaction at exactly a
    period's boundary (an expiry at midnight) would fall on the wrong side. The bare
    ``2026-10-31 15:00:00`` is a prefix of both spellings, so ``>=`` and ``<`` against it
    are right for either. PostgreSQL compares real timestamps.
    """
    moment = as_utc(at).replace(microsecond=0)
    if is_postgres(connection):
        return literal(moment, DateTime(timezone=True))
    return literal(moment.strftime("%Y-%m-%d %H:%M:%S"), String())
