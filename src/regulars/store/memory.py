"""What the store remembers across transactions, one memory per engine (per database).

Only facts that never change once committed are kept: the id of a store, category, product
or employee code (rows are never deleted and codes never change). What a transaction read
is remembered when it commits (:func:`remember`): until then the row may be its own insert,
which a rollback would take away. A new engine (a new database, a test's fresh store)
starts with an empty memory.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event

_MEMORIES: WeakKeyDictionary[Engine, dict[str, dict[Any, Any]]] = WeakKeyDictionary()
_PENDING: WeakKeyDictionary[Connection, dict[str, dict[Any, Any]]] = WeakKeyDictionary()


def recall(connection: Connection, key: str) -> dict[Any, Any]:
    """What the database ``connection`` is on remembers under ``key`` (committed facts)."""
    engine = connection.engine
    found = _MEMORIES.get(engine)
    if found is None:
        found = _MEMORIES[engine] = {}
    return found.setdefault(key, {})


def remember(connection: Connection, key: str, facts: dict[Any, Any]) -> None:
    """Remember ``facts`` under ``key`` once the connection's transaction commits."""
    if facts:
        _PENDING.setdefault(connection, {}).setdefault(key, {}).update(facts)


@event.listens_for(Engine, "commit")
def _committed(connection: Connection) -> None:
    pending = _PENDING.pop(connection, None)
    for key, facts in (pending or {}).items():
        recall(connection, key).update(facts)


@event.listens_for(Engine, "rollback")
def _rolled_back(connection: Connection) -> None:
    _PENDING.pop(connection, None)
