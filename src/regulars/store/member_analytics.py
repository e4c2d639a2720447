"""Members' analytics written back (``member_analytics``): one row per member with history,
replaced by every computation, and the per-member aggregates only the store can make.

The heavy per-purchase work is SQL: the member summary (``store.reads.analytics``), each
member's home store (the store of most of their sales) and their points expiring soon are
``GROUP BY`` queries; the rows are written back in one bulk path (``COPY`` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, select, text

from regulars.domain.times import as_utc
from regulars.store import bulk
from regulars.store.tables import loyalty_accounts, member_analytics, members, points_lots, stores

COLUMNS = tuple(c.name for c in member_analytics.columns)

HOME_STORE_SQL = """
SELECT member_id, store_id FROM (
    SELECT member_id, store_id,
           ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY n DESC, store_id) AS rank
    FROM (SELECT member_id, store_id, COUNT(*) AS n FROM purchases
          WHERE kind = 'sale' AND member_id IS NOT NULL AND store_id IS NOT NULL
          GROUP BY member_id, store_id) counted
) ranked WHERE rank = 1
"""


def member_ids(connection: Connection) -> pd.DataFrame:
    """``id`` and ``external_id`` of every member not erased."""
    rows = connection.execute(
        select(members.c.id, members.c.external_id).where(members.c.erased_at.is_(None))
    ).all()
    return pd.DataFrame(rows, columns=["id", "external_id"])


def home_stores(connection: Connection) -> pd.DataFrame:
    """``member_id`` (internal) and ``store_id`` of the store of most of their sales (ties:
    the lower store id)."""
    rows = connection.execute(text(HOME_STORE_SQL)).all()
    return pd.DataFrame(rows, columns=["member_id", "store_id"])


def expiring_points(connection: Connection, now: datetime, until: datetime) -> pd.DataFrame:
    """``member_id`` and the points of their open lots expiring in ``(now, until]``, summed
    over programs."""
    query = (
        select(loyalty_accounts.c.member_id, func.sum(points_lots.c.remaining).label("points"))
        .join(loyalty_accounts, loyalty_accounts.c.id == points_lots.c.account_id)
        .where(
            points_lots.c.closed.is_(False),
            points_lots.c.remaining > 0,
            points_lots.c.expires_at > as_utc(now),
            points_lots.c.expires_at <= as_utc(until),
        )
        .group_by(loyalty_accounts.c.member_id)
    )
    return pd.DataFrame(connection.execute(query).all(), columns=["member_id", "points"])


def replace_all(connection: Connection, columns: Mapping[str, Any]) -> int:
    """Replace every row with ``columns`` (name -> values, the table's columns; times as
    UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` strings, see :mod:`regulars.store.bulk`)."""
    connection.execute(delete(member_analytics))
    return bulk.insert_rows(connection, member_analytics, columns)


def of_member(connection: Connection, external_id: str) -> dict[str, Any] | None:
    """One member's row with their id and home store's code, or None."""
    query = (
        select(
            members.c.external_id.label("member"),
            *(member_analytics.c[c] for c in COLUMNS if c != "member_id"),
            stores.c.code.label("home_store"),
        )
        .join(members, members.c.id == member_analytics.c.member_id)
        .outerjoin(stores, stores.c.id == member_analytics.c.home_store_id)
        .where(members.c.external_id == external_id)
    )
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(member_analytics)).scalar_one())
