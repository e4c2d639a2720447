"""The plan catalogue, looked up and written by plan code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from regulars.store.bulk import insert_ignoring_conflicts
from regulars.store.catalogue import ids_by_code, upsert_by_code
from regulars.store.tables import subscription_plans

PLAN_COLUMNS = ("code", "name", "category", "monthly_fee", "commitment_months")


def upsert(connection: Connection, records: list[dict[str, Any]]) -> tuple[int, int]:
    """Add new plans and update changed ones (:data:`PLAN_COLUMNS`); ``(added, updated)``."""
    return upsert_by_code(connection, subscription_plans, records)


def ids(connection: Connection, codes: Iterable[str]) -> dict[str, int]:
    return ids_by_code(connection, subscription_plans, codes)


def ensure(connection: Connection, fees: Mapping[str, int]) -> dict[str, int]:
    """Plan code -> id for every code of ``fees``; a code seen for the first time is
    registered, named after its code, at the fee given for it (the contract or change that
    named it first): ``regulars import plans`` gives it its name."""
    known = ids(connection, fees)
    new = sorted(fees.keys() - known.keys())
    if new:
        insert_ignoring_conflicts(
            connection,
            subscription_plans,
            {"code": new, "name": new, "monthly_fee": [int(fees[c]) for c in new]},
        )
        known.update(ids(connection, new))
    return known


def all_plans(connection: Connection) -> list[dict[str, Any]]:
    query = select(*[subscription_plans.c[c] for c in PLAN_COLUMNS]).order_by(
        subscription_plans.c.code
    )
    return [dict(row) for row in connection.execute(query).mappings()]
