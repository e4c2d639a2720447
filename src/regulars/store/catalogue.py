"""Stores, departments, employees, categories and products, looked up by their codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update

from regulars.store import memory
from regulars.store.bulk import insert_ignoring_conflicts
from regulars.store.tables import categories, departments, employees, products, stores

__all__ = [
    "categories",
    "departments",
    "employees",
    "ensure_codes",
    "ensure_ids",
    "ensure_products",
    "ids_by_code",
    "products",
    "stores",
    "upsert_by_code",
]


def ids_by_code(connection: Connection, table: Table, codes: Iterable[str]) -> dict[str, int]:
    """Map each known code to its id (unknown codes are absent). A code's id never changes,
    so what a transaction read is remembered once it commits (:mod:`regulars.store.memory`):
    a till's sale names the same few stores and products again and again."""
    key = f"codes:{table.name}"
    known: dict[str, int] = memory.recall(connection, key)
    wanted = sorted(set(codes))
    found = {code: known[code] for code in wanted if code in known}
    missing = [code for code in wanted if code not in found]
    for start in range(0, len(missing), 5_000):
        chunk = missing[start : start + 5_000]
        rows = connection.execute(select(table.c.code, table.c.id).where(table.c.code.in_(chunk)))
        read = {code: int(id_) for code, id_ in rows}
        found.update(read)
        memory.remember(connection, key, read)
    return found


def ensure_codes(connection: Connection, table: Table, codes: Iterable[str]) -> dict[str, int]:
    """Register codes seen for the first time (named after the code); map all to ids."""
    wanted = set(codes)
    known = ids_by_code(connection, table, wanted)
    new = sorted(wanted - known.keys())
    if new:
        insert_ignoring_conflicts(connection, table, {"code": new, "name": new})
        known.update(ids_by_code(connection, table, new))
    return known


def ensure_products(connection: Connection, category_of: dict[str, int | None]) -> dict[str, int]:
    """Like :func:`ensure_codes` for products, filing a new product under its category."""
    known = ids_by_code(connection, products, category_of)
    new = sorted(category_of.keys() - known.keys())
    if new:
        insert_ignoring_conflicts(
            connection,
            products,
            {"code": new, "name": new, "category_id": [category_of[c] for c in new]},
        )
        known.update(ids_by_code(connection, products, new))
    return known


def ensure_ids(
    connection: Connection, table: Table, codes: Sequence[str | None]
) -> list[int | None]:
    """:func:`ensure_codes` for a column of codes: each row's id (None for a blank)."""
    known = ensure_codes(connection, table, {c for c in codes if c is not None})
    return [None if c is None else known[c] for c in codes]


def upsert_by_code(
    connection: Connection, table: Table, records: list[dict[str, Any]]
) -> tuple[int, int]:
    """Insert new codes, update rows whose other columns changed; return (added, updated)."""
    if not records:
        return 0, 0
    fields = [k for k in records[0] if k != "code"]
    stored = {
        row["code"]: tuple(row[f] for f in fields)
        for start in range(0, len(records), 5_000)
        for row in connection.execute(
            select(table.c.code, *[table.c[f] for f in fields]).where(
                table.c.code.in_([r["code"] for r in records[start : start + 5_000]])
            )
        ).mappings()
    }
    new = [r for r in records if r["code"] not in stored]
    changed = [
        r
        for r in records
        if r["code"] in stored and stored[r["code"]] != tuple(r[f] for f in fields)
    ]
    if new:
        connection.execute(table.insert(), new)
    if changed:
        connection.execute(
            update(table).where(table.c.code == bindparam("_code")),
            [{**{f: r[f] for f in fields}, "_code": r["code"]} for r in changed],
        )
    return len(new), len(changed)
