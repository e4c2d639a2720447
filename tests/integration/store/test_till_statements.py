"""What the till's fixed statements rely on, on the real stores: array literals that carry any
text exactly, and a memory of codes that never holds a row a rollback took away."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from regulars.bootstrap import App
from regulars.store import memory
from regulars.store.bulk import array_text
from regulars.store.catalogue import ensure_codes, ids_by_code, stores
from regulars.store.database import connect

AWKWARD = [
    'say "hi"',
    "back\\slash",
    "{braces, and commas}",
    "NULL",
    "",
    " spaced ",
    "줄\n바꿈",
    json.dumps({"program": "bean-points", "note": 'a "quoted" \\ value'}),
    None,
]


def test_array_literals_carry_any_text_and_number_exactly(postgres_database: str) -> None:
    """Only PostgreSQL's statements take arrays (SQLite's take rows)."""
    moment = datetime(2026, 11, 22, 8, 15, 30, 123456, tzinfo=UTC)
    engine = connect(postgres_database)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                "SELECT %s::text[], %s::bigint[], %s::boolean[], %s::timestamptz[]",
                (
                    array_text(AWKWARD),
                    array_text([0, -(2**63), 2**63 - 1, None]),
                    array_text([True, False, None]),
                    array_text([moment, None]),
                ),
            )
            texts, numbers, flags, moments = cursor.fetchone()
    engine.dispose()
    assert texts == AWKWARD
    assert numbers == [0, -(2**63), 2**63 - 1, None]
    assert flags == [True, False, None]
    assert moments == [moment, None]


def test_a_code_is_remembered_only_once_committed(app: App) -> None:
    with app.unit_of_work() as uow:
        ensure_codes(uow.connection, stores, ["S-ROLLED-BACK"])
        uow.rollback()
    with app.unit_of_work() as uow:
        assert "S-ROLLED-BACK" not in memory.recall(uow.connection, "codes:stores")
        assert ids_by_code(uow.connection, stores, ["S-ROLLED-BACK"]) == {}
        kept = ensure_codes(uow.connection, stores, ["S-KEPT"])
        uow.commit()
    with app.unit_of_work() as uow:
        assert memory.recall(uow.connection, "codes:stores") == kept
        assert ids_by_code(uow.connection, stores, ["S-KEPT"]) == kept
