"""Sales in two back-to-back periods, aggregated where the purchases live.

What the briefing compares from one period to the next — the average check with its
spread, and who bought — needs the sales of the two periods only: one ``GROUP BY`` over a
range of ``occurred_at`` (the purchases' time index), per member and period. Like
:mod:`regulars.store.reads.analytics`, the SQL is plain text that SQLite, PostgreSQL and
DuckDB (over Parquet files shaped like the tables: ``bench/bench_report.py``) all run; only
how a moment is written differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from regulars.domain.times import as_utc
from regulars.store.bulk import among
from regulars.store.reads.analytics import run_query
from regulars.store.tables import members, purchases

WINDOWS_SQL = """
SELECT CASE WHEN m.erased_at IS NULL THEN m.external_id END AS member_id,
       CASE WHEN p.occurred_at >= {split} THEN 1 ELSE 0 END AS current,
       COUNT(*) AS sales,
       SUM(p.total_amount) AS amount,
       SUM(CAST(p.total_amount AS DOUBLE PRECISION) * CAST(p.total_amount AS DOUBLE PRECISION))
           AS amount_squared
FROM purchases p
LEFT JOIN members m ON m.id = p.member_id
WHERE p.kind = 'sale' AND p.occurred_at >= {start} AND p.occurred_at < {end}
GROUP BY CASE WHEN m.erased_at IS NULL THEN m.external_id END,
         CASE WHEN p.occurred_at >= {split} THEN 1 ELSE 0 END
"""


def moment_sql(dialect: str, at: datetime) -> str:
    """A UTC moment as a SQL literal of ``dialect`` (whole seconds; see
    :func:`regulars.store.dialect.instant` for why SQLite gets the bare prefix)."""
    moment = as_utc(at).replace(microsecond=0)
    if dialect == "sqlite":
        return f"'{moment:%Y-%m-%d %H:%M:%S}'"
    return f"CAST('{moment:%Y-%m-%d %H:%M:%S}+00' AS TIMESTAMP WITH TIME ZONE)"


def sales_in_windows(
    source: Any, dialect: str, start: datetime, split: datetime, end: datetime
) -> pd.DataFrame:
    """The sales of ``[start, split)`` (``current`` 0) and ``[split, end)`` (``current`` 1),
    one row per member and period: ``member_id`` (the business's id; None for anonymous
    sales and erased members), ``current``, ``sales``, ``amount`` (their totals, minor
    units) and ``amount_squared`` (the sum of each total squared, a float: what the spread
    of the checks is computed from)."""
    sql = WINDOWS_SQL.format(
        start=moment_sql(dialect, start),
        split=moment_sql(dialect, split),
        end=moment_sql(dialect, end),
    )
    frame = run_query(source, sql)
    for column in ("current", "sales", "amount"):
        frame[column] = pd.to_numeric(frame[column]).astype("int64")
    frame["amount_squared"] = pd.to_numeric(frame["amount_squared"]).astype("float64")
    return frame


def first_sales(connection: Connection, external_ids: Iterable[str]) -> pd.Series:
    """Each of these members' first sale (UTC), by the business's member id: the member
    summary's ``first_purchase`` for a few members, read by the purchases' member index."""
    wanted = sorted(set(external_ids))
    if not wanted:
        return pd.Series(dtype="datetime64[ns, UTC]")
    p = purchases.c
    rows = connection.execute(
        select(members.c.external_id, func.min(p.occurred_at))
        .join(members, members.c.id == p.member_id)
        .where(among(connection, members.c.external_id, wanted), p.kind == "sale")
        .group_by(members.c.external_id)
    ).all()
    return pd.Series(
        [as_utc(at) for _, at in rows], index=[m for m, _ in rows], dtype="datetime64[ns, UTC]"
    )
