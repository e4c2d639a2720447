"""The store as an engine for the CLV summary (SQLite or PostgreSQL).

:func:`regulars.analytics.clv.summary.summarise` writes the summary SQL for an engine's
dialect over the relation ``member_id, occurred_at, amount`` the engine names; this engine
names the store's net sales and runs the query on the caller's connection, so the
per-purchase work stays in the database. DuckDB and Spark engines live beside the
definitions, in :mod:`regulars.analytics.clv.engines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, text

NET_SALES = (
    "SELECT p.member_id AS member_id, p.occurred_at AS occurred_at, "
    "p.total_amount + COALESCE(rf.refunded, 0) AS amount "
    "FROM purchases p LEFT JOIN (SELECT original_id, SUM(total_amount) AS refunded "
    "FROM purchases WHERE kind <> 'sale' AND original_id IS NOT NULL GROUP BY original_id) rf "
    "ON rf.original_id = p.id "
    "WHERE p.kind = 'sale' AND p.member_id IS NOT NULL "
    "AND p.total_amount + COALESCE(rf.refunded, 0) > 0"
)
"""Sales with a member, net of the refunds/returns made against them; fully refunded sales
left out."""


@dataclass
class StoreEngine:
    """The regulars store (SQLite or PostgreSQL), on the caller's connection."""

    connection: Connection

    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        name = self.connection.dialect.name
        if name == "sqlite":
            return "sqlite"
        if name == "postgresql":
            return "postgresql"
        raise ValueError(f"no summary SQL for the {name} dialect")

    def source(self) -> str:
        return NET_SALES

    def query(self, sql: str) -> pd.DataFrame:
        result = self.connection.execute(text(sql))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
