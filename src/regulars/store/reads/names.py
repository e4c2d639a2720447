"""The names people read in place of codes: stores, departments, employees, surveys."""

from __future__ import annotations

from sqlalchemy import Connection, Table, select

from regulars.store.tables import departments, employees, stores

NAMED: dict[str, Table] = {"store": stores, "department": departments, "employee": employees}


def names(connection: Connection) -> dict[str, dict[str, str]]:
    """``{"store": {code: name}, "department": {...}, "employee": {...}}``."""
    return {
        kind: {
            str(code): str(name) for code, name in connection.execute(select(t.c.code, t.c.name))
        }
        for kind, t in NAMED.items()
    }
