"""Where the summary runs: the regulars store, DuckDB over files, or Spark.

Each engine names its SQL dialect, gives the relation ``member_id, occurred_at, amount`` to
summarise, and runs a query returning a (small, per-member) pandas frame; the per-purchase
work stays in the engine. See :mod:`regulars.analytics.clv.summary` for the definitions.

* :class:`regulars.store.reads.clv_summary.StoreEngine` — the SQLite or PostgreSQL store,
  over table ``purchases``: sales with a member, net of the refunds/returns made against them,
  fully refunded sales left out. It lives in the store with the rest of the SQL.
* :class:`DuckDBEngine` — CSV or Parquet files (a path or a glob) with those three columns;
  ``occurred_at`` a timestamp, naive times read as UTC.
* :class:`SparkEngine` — a Spark DataFrame with those columns. Spark reads naive timestamps in
  its session time zone, so run the session with ``spark.sql.session.timeZone=UTC``
  (:func:`local_spark` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from regulars.analytics.clv.summary import Dialect

__all__ = ["DuckDBEngine", "SparkEngine", "local_spark"]


@dataclass
class DuckDBEngine:
    """CSV or Parquet files read by DuckDB (an in-memory database unless one is given)."""

    path: str | Path
    connection: Any = None
    dialect: Dialect = field(default="duckdb", init=False)

    def __post_init__(self) -> None:
        if self.connection is None:
            import duckdb

            self.connection = duckdb.connect()
            self.connection.execute("SET TimeZone = 'UTC'")

    def source(self) -> str:
        path = str(self.path).replace("'", "''")
        if path.endswith(".parquet"):
            return f"SELECT member_id, occurred_at, amount FROM read_parquet('{path}')"
        return (
            "SELECT member_id, CAST(occurred_at AS TIMESTAMPTZ) AS occurred_at, amount "
            f"FROM read_csv('{path}', header = true)"
        )

    def query(self, sql: str) -> pd.DataFrame:
        frame: pd.DataFrame = self.connection.execute(sql).fetchdf()
        return frame


@dataclass
class SparkEngine:
    """A Spark DataFrame with ``member_id, occurred_at, amount``, registered as a view."""

    spark: Any
    transactions: Any
    view: str = "regulars_clv_transactions"
    dialect: Dialect = field(default="spark", init=False)

    def __post_init__(self) -> None:
        self.transactions.createOrReplaceTempView(self.view)

    def source(self) -> str:
        return f"SELECT member_id, occurred_at, amount FROM {self.view}"

    def query(self, sql: str) -> pd.DataFrame:
        rows = self.spark.sql(sql).collect()
        columns = self.spark.sql(sql).columns if not rows else list(rows[0].asDict())
        return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def local_spark(app_name: str = "regulars-clv", cores: int = 2) -> Any:
    """A local-mode Spark session in UTC, small enough for a laptop or a test run."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(2, cores)))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
