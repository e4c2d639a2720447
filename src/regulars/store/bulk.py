"""Fast, idempotent bulk writes — the one place that speaks each dialect's bulk protocol.

``insert_ignoring_conflicts`` adds rows and silently skips those whose unique key is already
there, which is what makes every import safe to run twice. SQLite gets one prepared
``INSERT … ON CONFLICT DO NOTHING`` run with ``executemany`` on the raw driver; PostgreSQL gets
``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Both run
inside the caller's transaction, so a batch lands whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Table

Columns = Mapping[str, "Sequence[Any] | np.ndarray[Any, Any]"]
"""Column name -> values (lists or arrays of equal length): ``None`` for NULL, ``int``,
``str``, ``bool``, and timestamps as ``'YYYY-MM-DD HH:MM:SS.ffffff'`` UTC strings."""


def insert_ignoring_conflicts(connection: Connection, table: Table, columns: Columns) -> int:
    """Insert the rows given column by column; return how many were new."""
    names = list(columns)
    if not names or len(columns[names[0]]) == 0:
        return 0
    if connection.dialect.name == "postgresql":
        return _postgres_copy_insert(connection, table, columns)
    return _sqlite_executemany(connection, table, columns)


def _sqlite_executemany(connection: Connection, table: Table, columns: Columns) -> int:
    names = list(columns)
    placeholders = ", ".join("?" for _ in names)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}) "
        "ON CONFLICT DO NOTHING"
    )
    rows = zip(*(_python_values(columns[n]) for n in names), strict=True)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _python_values(values: Sequence[Any] | np.ndarray[Any, Any]) -> list[Any]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _postgres_copy_insert(connection: Connection, table: Table, columns: Columns) -> int:
    """COPY the rows (as CSV written by Arrow, in C) into a temp table, then insert them."""
    names = list(columns)
    staging = f"staging_{table.name}"
    column_list = ", ".join(names)
    arrow = pa.table({n: _arrow_values(columns[n]) for n in names})
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(arrow, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {table.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue().to_pybytes())
        cursor.execute(
            f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {staging} "
            "ON CONFLICT DO NOTHING"
        )
        return int(cursor.rowcount)


def _arrow_values(values: Sequence[Any] | np.ndarray[Any, Any]) -> pa.Array:
    # With quoting "needed", Arrow writes a null as an empty unquoted field, which COPY reads
    # as NULL. The importers never pass empty strings (blank cells become None first).
    array = pa.array(_python_values(values))
    if pa.types.is_boolean(array.type):
        return pa.compute.if_else(array, "t", "f")
    return array


def ids_by_key(
    connection: Connection, table: Table, key: str, values: Iterable[str]
) -> dict[str, int]:
    """Map each of ``values`` found in ``table.key`` to the row's id, in one round trip.

    PostgreSQL matches against an array parameter; SQLite joins a temporary table. Both beat
    thousands of ``IN (…)`` lists built by the ORM when a batch holds 100,000 keys.
    """
    wanted = list(dict.fromkeys(values))
    if not wanted:
        return {}
    raw = connection.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(f"SELECT {key}, id FROM {table.name} WHERE {key} = ANY(%s)", (wanted,))
        else:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_keys (k TEXT PRIMARY KEY)")
            cursor.execute("DELETE FROM wanted_keys")
            cursor.executemany(
                "INSERT OR IGNORE INTO wanted_keys VALUES (?)", ((v,) for v in wanted)
            )
            cursor.execute(
                f"SELECT t.{key}, t.id FROM wanted_keys w JOIN {table.name} t ON t.{key} = w.k"
            )
        return {k: int(i) for k, i in cursor.fetchall()}
    finally:
        cursor.close()
