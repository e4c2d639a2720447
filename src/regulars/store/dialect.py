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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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


class month_day(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """``'MM-DD'`` of a date column: ``to_char`` on PostgreSQL, ``strftime`` on SQLite
    (which keeps dates as text); chosen when the statement is compiled."""

    type = String()
    inherit_cache = True


@compiles(month_day, "postgresql")
def _month_day_postgres(element: month_day, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'MM-DD')"


@compiles(month_day)
def _month_day_sqlite(element: month_day, compiler: Any, **kw: Any) -> str:
    return f"strftime('%m-%d', {compiler.process(element.clauses, **kw)})"


def refresh_statistics(connection: Connection, *tables: Table) -> None:
    """Let PostgreSQL's planner see rows this transaction wrote (``ANALYZE``, which counts
    the transaction's own new rows): a job that fills a table from empty by the hundred
    thousand and then joins it would otherwise be planned as if the table held a handful
    (nested loops, minutes instead of seconds). SQLite plans without statistics."""
    if is_postgres(connection) and tables:
        connection.exec_driver_sql("ANALYZE " + ", ".join(t.name for t in tables))
