"""Fast, idempotent bulk writes — the one place that speaks each dialect's bulk protocol.

``insert_ignoring_conflicts`` adds rows and silently skips those whose unique key is already
there, which is what makes every import safe to run twice. SQLite gets one prepared
``INSERT … ON CONFLICT DO NOTHING`` run with ``executemany`` on the raw driver; PostgreSQL gets
``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Both run
inside the caller's transaction, so a batch lands whole or not at all.

``insert_new`` does the same and also says which rows were new, with their ids (PostgreSQL:
``RETURNING``); ``insert_rows`` adds rows the caller knows to be new — the lines of purchases
``insert_new`` just created — with no conflict handling at all (PostgreSQL: a plain ``COPY``
into the table, the fastest path it has for many rows). Below :data:`FEW_ROWS` rows
PostgreSQL gets one ``INSERT … SELECT FROM unnest(arrays)`` instead of any ``COPY``.

``write_together`` writes new rows into several tables and updates rows of others in one
round trip (PostgreSQL: one statement of data-modifying CTEs over ``unnest`` of array
parameters), and ``among`` matches a column against a set of values as one array parameter.
Both keep the SQL text the same whatever the number of rows, so PostgreSQL plans it once per
connection (psycopg prepares a statement after a few executions) and SQLAlchemy compiles it
once — what a transaction of one purchase, run thousands of times a second, needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from sqlalchemy import Column, ColumnElement, Connection, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

if TYPE_CHECKING:  # numpy and Arrow load only for COPY, so that a small command starts at once
    import numpy as np
    import pyarrow as pa

Columns = Mapping[str, "Sequence[Any] | np.ndarray[Any, Any]"]
"""Column name -> values (lists or arrays of equal length): ``None`` for NULL, ``int``,
``str``, ``bool``, and timestamps as ``'YYYY-MM-DD HH:MM:SS.ffffff'`` UTC strings."""


FEW_ROWS = 1_000
"""Below this many rows PostgreSQL gets one ``INSERT … SELECT FROM unnest(arrays)`` (one round
trip, a statement text that is prepared once); from it on, ``COPY`` into a staging table."""


def _rows(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def insert_ignoring_conflicts(connection: Connection, table: Table, columns: Columns) -> int:
    """Insert the rows given column by column; return how many were new."""
    if not _rows(columns):
        return 0
    if connection.dialect.name == "postgresql":
        if _rows(columns) < FEW_ROWS:
            return len(_postgres_unnest_insert(connection, table, columns, "1"))
        return _postgres_copy_insert(connection, table, columns)
    return _sqlite_executemany(connection, table, columns)


def insert_new(connection: Connection, table: Table, columns: Columns, key: str) -> dict[Any, int]:
    """Insert, skipping rows whose unique ``key`` is already there; return key -> id of the
    rows that were new."""
    if not _rows(columns):
        return {}
    if connection.dialect.name == "postgresql":
        if _rows(columns) < FEW_ROWS:
            rows = _postgres_unnest_insert(connection, table, columns, f"{key}, id")
        else:
            rows = _postgres_copy_insert(connection, table, columns, returning=f"{key}, id")
        return {k: int(i) for k, i in rows}
    return {k: int(i) for k, i in _sqlite_insert_returning(connection, table, columns, key)}


def insert_rows(connection: Connection, table: Table, columns: Columns) -> int:
    """Insert rows that cannot be there yet; a conflict is an error, not skipped."""
    count = _rows(columns)
    if connection.dialect.name != "postgresql" or count < FEW_ROWS:
        write_together(connection, [(table, columns)])
        return count
    raw = connection.connection.driver_connection
    with (
        raw.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(_csv(columns))
    return count


def allocate_ids(connection: Connection, counts: Sequence[tuple[Table, int]]) -> list[list[int]]:
    """Ids for ``count`` new rows of each ``table``, so that rows and the rows pointing at
    them can be written in one bulk statement. PostgreSQL draws them from the tables'
    sequences, in one round trip; SQLite continues after each table's largest id, which is
    safe because its callers hold the database's write lock (every ledger write locks its
    accounts first)."""
    if not any(count for _, count in counts):
        return [[] for _ in counts]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(
                "SELECT "
                + ", ".join(
                    f"array(SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                    "FROM generate_series(1, %s))"
                    for table, _ in counts
                ),
                [count for _, count in counts],
            )
            return [[int(i) for i in ids] for ids in cursor.fetchone()]
        allocated = []
        for table, count in counts:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}")
            last = int(cursor.fetchone()[0])
            allocated.append(list(range(last + 1, last + 1 + count)))
        return allocated
    finally:
        cursor.close()


def write_together(
    connection: Connection,
    inserts: Sequence[tuple[Table, Columns]],
    updates: Sequence[tuple[Table, Columns]] = (),
) -> None:
    """Insert new rows into several tables and update rows of others (by ``id``), all in the
    caller's transaction. PostgreSQL: one statement, each part a CTE reading ``unnest`` of one
    array per column, so foreign keys between the parts are checked at its end; elsewhere one
    ``executemany`` per table, in the order given (parents first)."""
    inserts = [(t, c) for t, c in inserts if _rows(c)]
    updates = [(t, c) for t, c in updates if _rows(c)]
    if not inserts and not updates:
        return
    if connection.dialect.name != "postgresql":
        for table, columns in inserts:
            _sqlite_executemany(connection, table, columns, on_conflict="")
        for table, columns in updates:
            _sqlite_update(connection, table, columns)
        return
    parts: list[str] = []
    params: list[str] = []
    for n, (table, columns) in enumerate(inserts):
        names = list(columns)
        parts.append(
            f"i{n} AS (INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT * FROM unnest({_arrays(connection, table, names)}))"
        )
        params += [array_text(_python_values(columns[name])) for name in names]
    for n, (table, columns) in enumerate(updates):
        names = ["id", *(name for name in columns if name != "id")]
        parts.append(
            f"u{n} AS (UPDATE {table.name} SET "
            + ", ".join(f"{name} = v.{name}" for name in names[1:])
            + f" FROM unnest({_arrays(connection, table, names)}) AS v({', '.join(names)}) "
            f"WHERE {table.name}.id = v.id)"
        )
        params += [array_text(_python_values(columns[name])) for name in names]
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute("WITH " + ", ".join(parts) + " SELECT 1", params)


_ARRAYS: dict[tuple[str, tuple[str, ...], str], str] = {}


def _arrays(
    connection: Connection, table: Table, names: Sequence[str], placeholder: str = "%s"
) -> str:
    """The typed array parameters of ``names`` (compiling a type costs more than the rest of
    a small write: each table's text is made once). ``%s`` parameters take the arrays as
    :func:`array_text`; ``%b`` ones as lists, dumped by psycopg."""
    key = (table.name, tuple(names), placeholder)
    found = _ARRAYS.get(key)
    if found is None:
        found = _ARRAYS[key] = ", ".join(
            f"{placeholder}::{table.c[name].type.compile(dialect=connection.dialect)}[]"
            for name in names
        )
    return found


def array_text(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ``values`` (``None`` NULL, ints and bools as such, text
    and times quoted and escaped), sent as one text parameter and cast by the statement.

    psycopg dumps a Python list through its array dumper, which costs a few microseconds
    of Python per array; a ledger write of one sale sends some forty arrays.

    >>> from datetime import datetime, UTC
    >>> print(array_text([1, None, True, 'say "hi"', datetime(2026, 1, 1, tzinfo=UTC)]))
    {1,NULL,t,"say \\"hi\\"","2026-01-01T00:00:00+00:00"}
    """
    parts = []
    for value in values:
        kind = type(value)
        if kind is int:
            parts.append(str(value))
        elif value is None:
            parts.append("NULL")
        elif kind is bool:
            parts.append("t" if value else "f")
        else:
            text = value if kind is str else _text(value)
            if "\\" in text or '"' in text:
                text = text.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'"{text}"')
    return "{" + ",".join(parts) + "}"


def _text(value: Any) -> str:
    if isinstance(value, int):  # numpy's integers and booleans as Python's
        return str(int(value))
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def among(
    connection: Connection, column: Column[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """``column IN (values)``: on PostgreSQL ``IN (SELECT unnest(array))`` with one array
    parameter, so the statement's text, compiled form and server plan are the same for any
    number of values (the planner counts on a handful of values and looks each up by index,
    which a generic plan for ``= ANY(array)`` does not)."""
    wanted = list(values)
    if connection.dialect.name == "postgresql":
        return column.in_(select(func.unnest(bindparam(None, wanted, type_=ARRAY(column.type)))))
    return column.in_(wanted)


def _sqlite_update(connection: Connection, table: Table, columns: Columns) -> None:
    """Set the given columns of the rows whose ``id`` is given, one value per row."""
    names = [n for n in columns if n != "id"]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(
            f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
            zip(*(_python_values(columns[n]) for n in [*names, "id"]), strict=True),
        )
    finally:
        cursor.close()


def _sqlite_executemany(
    connection: Connection, table: Table, columns: Columns, on_conflict: str = "DO NOTHING"
) -> int:
    names = list(columns)
    placeholders = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"
    if on_conflict:
        sql += f" ON CONFLICT {on_conflict}"
    rows = zip(*(_python_values(columns[n]) for n in names), strict=True)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


SQLITE_MAX_VARIABLES = 32_766  # SQLite >= 3.32


def _sqlite_insert_returning(
    connection: Connection, table: Table, columns: Columns, key: str
) -> list[tuple[Any, int]]:
    """Multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING key, id`` in chunks as large as
    SQLite's parameter limit allows (``executemany`` cannot return rows)."""
    names = list(columns)
    rows = list(zip(*(_python_values(columns[n]) for n in names), strict=True))
    per = SQLITE_MAX_VARIABLES // len(names)
    one = "(" + ", ".join("?" for _ in names) + ")"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    returned: list[tuple[Any, int]] = []
    try:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
                f"{', '.join([one] * len(chunk))} ON CONFLICT DO NOTHING RETURNING {key}, id",
                [value for row in chunk for value in row],
            )
            returned.extend(cursor.fetchall())
    finally:
        cursor.close()
    return returned


def _python_values(values: Sequence[Any] | np.ndarray[Any, Any]) -> list[Any]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _csv(columns: Columns) -> bytes:
    """The rows as CSV for COPY, written by Arrow (in C)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrow = pa.table({n: _arrow_values(v) for n, v in columns.items()})
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(arrow, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return bytes(buffer.getvalue().to_pybytes())


def _postgres_unnest_insert(
    connection: Connection, table: Table, columns: Columns, returning: str
) -> list[tuple[Any, ...]]:
    names = list(columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT * FROM unnest({_arrays(connection, table, names, '%b')}) "
            f"ON CONFLICT DO NOTHING RETURNING {returning}",
            [_python_values(columns[name]) for name in names],
        )
        return list(cursor.fetchall())


@overload
def _postgres_copy_insert(connection: Connection, table: Table, columns: Columns) -> int: ...
@overload
def _postgres_copy_insert(
    connection: Connection, table: Table, columns: Columns, returning: str
) -> list[tuple[Any, ...]]: ...
def _postgres_copy_insert(
    connection: Connection, table: Table, columns: Columns, returning: str | None = None
) -> int | list[tuple[Any, ...]]:
    """COPY the rows into a temp table, then insert them, skipping conflicts; return how many
    were new, or with ``returning`` those columns of the new rows."""
    names = list(columns)
    staging = f"staging_{table.name}"
    column_list = ", ".join(names)
    data = _csv(columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {table.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        cursor.execute(
            f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {staging} "
            "ON CONFLICT DO NOTHING" + (f" RETURNING {returning}" if returning else "")
        )
        if returning:
            return list(cursor.fetchall())
        return int(cursor.rowcount)


def _arrow_values(values: Sequence[Any] | np.ndarray[Any, Any]) -> pa.Array:
    # With quoting "needed", Arrow writes a null as an empty unquoted field, which COPY reads
    # as NULL. The importers never pass empty strings (blank cells become None first).
    import pyarrow as pa
    import pyarrow.compute

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
            # IN (SELECT unnest(…)), not = ANY(…): once psycopg prepares the statement, the
            # generic plan of = ANY scans the whole table (a million members, for one sale).
            cursor.execute(
                f"SELECT {key}, id FROM {table.name} WHERE {key} IN (SELECT unnest(%s::text[]))",
                (wanted,),
            )
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
