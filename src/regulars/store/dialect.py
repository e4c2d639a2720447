"""The SQL dialect choices, made once: which ``INSERT`` can say ``ON CONFLICT``.

SQLAlchemy's core ``insert`` cannot express ``ON CONFLICT DO NOTHING`` / ``DO UPDATE``;
each dialect's own ``insert`` can. Every store module asks here instead of choosing itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def upsert_insert(connection: Connection, table: Table) -> Any:
    """``INSERT INTO table`` that accepts ``.on_conflict_do_nothing()`` and
    ``.on_conflict_do_update()`` on the connection's dialect (PostgreSQL or SQLite)."""
    insert = postgresql.insert if is_postgres(connection) else sqlite.insert
    return insert(table)
