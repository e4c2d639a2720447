"""What the loyalty report reads, with the heavy per-purchase work done in the database.

Purchases are never pulled row by row: two ``GROUP BY`` queries turn them into a member
summary (one row per member) and member months (one row per member and month with a
purchase), in the engine where the purchases live. The same SQL runs on SQLite and
PostgreSQL (the store) and on DuckDB (over Parquet files shaped like the store's tables, as
``bench/bench_report.py`` does for 20 million purchases); only the month expression differs,
so the functions here take either a SQLAlchemy connection or a DuckDB one (``source``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, inspect, text

MONTH_SQL = {
    "sqlite": "(CAST(strftime('%Y', p.occurred_at) AS INTEGER) * 12"
    " + CAST(strftime('%m', p.occurred_at) AS INTEGER) - 1)",
    "postgresql": "(CAST(EXTRACT(YEAR FROM p.occurred_at) AS INTEGER) * 12"
    " + CAST(EXTRACT(MONTH FROM p.occurred_at) AS INTEGER) - 1)",
}
MONTH_SQL["duckdb"] = MONTH_SQL["postgresql"]

MEMBERS_SQL = """
SELECT m.external_id AS member_id, m.segment, m.region, m.signup_date,
       m.acquisition_channel, m.acquisition_cost
FROM members m
WHERE m.erased_at IS NULL
"""

SUMMARY_SQL = """
SELECT m.external_id AS member_id,
       s.first_purchase, s.last_purchase,
       COALESCE(s.purchases, 0) AS purchases,
       COALESCE(s.net_spend, 0) AS net_spend,
       COALESCE(c.categories, 0) AS categories
FROM members m
LEFT JOIN (
    SELECT p.member_id,
           MIN(CASE WHEN p.kind = 'sale' THEN p.occurred_at END) AS first_purchase,
           MAX(CASE WHEN p.kind = 'sale' THEN p.occurred_at END) AS last_purchase,
           SUM(CASE WHEN p.kind = 'sale' THEN 1 ELSE 0 END) AS purchases,
           SUM(p.total_amount) AS net_spend
    FROM purchases p
    WHERE p.member_id IS NOT NULL
    GROUP BY p.member_id
) s ON s.member_id = m.id
LEFT JOIN (
    SELECT p.member_id, COUNT(DISTINCT l.category_id) AS categories
    FROM purchase_lines l JOIN purchases p ON p.id = l.purchase_id
    WHERE p.member_id IS NOT NULL AND p.kind = 'sale' AND l.amount > 0
    GROUP BY p.member_id
) c ON c.member_id = m.id
WHERE m.erased_at IS NULL
"""

MONTHS_SQL = """
SELECT m.external_id AS member_id, t.month, t.purchases, t.spend
FROM (
    SELECT p.member_id, {month} AS month,
           SUM(CASE WHEN p.kind = 'sale' THEN 1 ELSE 0 END) AS purchases,
           SUM(p.total_amount) AS spend
    FROM purchases p
    WHERE p.member_id IS NOT NULL
    GROUP BY p.member_id, {month}
) t JOIN members m ON m.id = t.member_id
WHERE m.erased_at IS NULL
"""

LATEST_SQL = "SELECT MAX(occurred_at) AS latest FROM purchases"

CLV_SQL = (
    "SELECT m.external_id AS member_id, s.clv FROM member_scores s "
    "JOIN members m ON m.id = s.member_id"
)


def run_query(source: Any, sql: str) -> pd.DataFrame:
    """Run ``sql`` on a SQLAlchemy connection or a DuckDB connection, as a data frame."""
    if isinstance(source, Connection):
        result = source.execute(text(sql))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return pd.DataFrame(source.execute(sql).df())  # DuckDB


def members_frame(source: Any) -> pd.DataFrame:
    """Members not erased: id, segment, region, signup date, acquisition channel and cost."""
    members = run_query(source, MEMBERS_SQL)
    members["acquisition_cost"] = pd.to_numeric(members["acquisition_cost"])
    return members


def member_summary(source: Any) -> pd.DataFrame:
    """The member summary (one row per member not erased), aggregated by the database: the
    one the report and the per-member analytics (``member_analytics``) both read."""
    summary = run_query(source, SUMMARY_SQL)
    for column in ("first_purchase", "last_purchase"):
        summary[column] = pd.to_datetime(summary[column], utc=True, format="mixed")
    for column in ("purchases", "net_spend", "categories"):
        summary[column] = pd.to_numeric(summary[column]).fillna(0).astype("int64")
    return summary


def load_purchase_aggregates(source: Any, dialect: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The member summary and the member months, aggregated by the database."""
    summary = member_summary(source)
    months = run_query(source, MONTHS_SQL.format(month=MONTH_SQL[dialect]))
    months["month"] = pd.to_numeric(months["month"]).astype("int64")
    months["purchases"] = pd.to_numeric(months["purchases"]).astype("int64")
    months["spend"] = pd.to_numeric(months["spend"]).astype("int64")
    return summary, months


def latest_purchase_date(source: Any) -> date | None:
    value = run_query(source, LATEST_SQL)["latest"].iloc[0]
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def clv_by_member(connection: Connection) -> pd.DataFrame | None:
    """Mean predicted lifetime value per member, once ``member_scores`` exists."""
    inspector = inspect(connection)
    if not inspector.has_table("member_scores"):
        return None
    columns = {c["name"] for c in inspector.get_columns("member_scores")}
    if "clv" not in columns or "member_id" not in columns:
        return None
    frame = run_query(connection, CLV_SQL)
    frame["clv"] = pd.to_numeric(frame["clv"], errors="coerce")
    return frame.groupby("member_id")["clv"].mean().reset_index()
