"""Stores, departments, employees, categories and products, looked up by their codes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Table, select

from regulars.store.bulk import insert_ignoring_conflicts
from regulars.store.tables import categories, departments, employees, products, stores

__all__ = [
    "categories",
    "departments",
    "employees",
    "ensure_codes",
    "ensure_products",
    "ids_by_code",
    "products",
    "stores",
]


def ids_by_code(connection: Connection, table: Table, codes: Iterable[str]) -> dict[str, int]:
    """Map each known code to its id (unknown codes are absent)."""
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        rows = connection.execute(select(table.c.code, table.c.id).where(table.c.code.in_(chunk)))
        found.update({code: int(id_) for code, id_ in rows})
    return found


def ensure_codes(connection: Connection, table: Table, codes: Iterable[str]) -> dict[str, int]:
    """Register codes seen for the first time (named after the code); map all to ids."""
    wanted = set(codes)
    known = ids_by_code(connection, table, wanted)
    new = sorted(wanted - known.keys())
    if new:
        insert_ignoring_conflicts(connection, table, ("code", "name"), ((c, c) for c in new))
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
            ("code", "name", "category_id"),
            ((code, code, category_of[code]) for code in new),
        )
        known.update(ids_by_code(connection, products, new))
    return known
