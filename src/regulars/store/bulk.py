"""Fast, idempotent bulk writes — the one place that speaks each dialect's bulk protocol.

``insert_ignoring_conflicts`` adds rows and silently skips those whose unique key is already
there, which is what makes every import safe to run twice. SQLite gets one prepared
``INSERT … ON CONFLICT DO NOTHING`` run with ``executemany`` on the raw driver; PostgreSQL gets
``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Both run
inside the caller's transaction, so a batch lands whole or not at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table

COPY_CHUNK_ROWS = 20_000


def insert_ignoring_conflicts(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order); return how many were new.

    Values must already be in the store's wire form: ``None``, ``int``, ``str``, ``bool``,
    and timestamps as ``'YYYY-MM-DD HH:MM:SS.ffffff'`` UTC strings (see :func:`sql_timestamp`).
    """
    if connection.dialect.name == "postgresql":
        return _postgres_copy_insert(connection, table, columns, rows)
    return _sqlite_executemany(connection, table, columns, rows)


def _sqlite_executemany(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    placeholders = ", ".join("?" for _ in columns)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders}) "
        "ON CONFLICT DO NOTHING"
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _postgres_copy_insert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    staging = f"staging_{table.name}"
    column_list = ", ".join(columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {table.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN (FORMAT csv)") as copy:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            pending = 0
            for row in rows:
                writer.writerow(_csv_value(v) for v in row)
                pending += 1
                if pending >= COPY_CHUNK_ROWS:
                    copy.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
                    pending = 0
            if pending:
                copy.write(buffer.getvalue())
        cursor.execute(
            f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {staging} "
            "ON CONFLICT DO NOTHING"
        )
        return int(cursor.rowcount)


def _csv_value(value: Any) -> Any:
    # csv writes None as an empty unquoted field, which COPY … (FORMAT csv) reads as NULL.
    # Callers never pass empty strings: the importers turn blank cells into None first.
    if isinstance(value, bool):
        return "t" if value else "f"
    return value
