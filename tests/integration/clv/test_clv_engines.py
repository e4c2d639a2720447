"""One summary definition, identical results: pandas, DuckDB over CSV and Parquet, and Spark
(local mode) on the same purchases, with a local-day offset and a calibration/holdout split.
(The store's SQLite and PostgreSQL are held to pandas in test_clv_store.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from regulars.analytics.clv import (
    calibration_and_holdout,
    rfm_calibration_and_holdout,
    rfm_summary,
    summarise,
)
from regulars.analytics.clv.engines import DuckDBEngine, SparkEngine, local_spark
from regulars.analytics.clv.simulation import simulate_transactions

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2025, 7, 1, 12, 30, tzinfo=UTC)
CALIBRATION_END = datetime(2025, 1, 1, tzinfo=UTC)
OFFSET = 9.0


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return simulate_transactions(2_000, START, END, seed=11)


@pytest.fixture(scope="module")
def files(transactions: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clv")
    csv, parquet = folder / "purchases.csv", folder / "purchases.parquet"
    transactions.to_csv(csv, index=False)
    transactions.to_parquet(parquet)
    return {"csv": csv, "parquet": parquet}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = local_spark("regulars-clv-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_duckdb_over_csv_and_parquet_equals_pandas(
    transactions: pd.DataFrame, files: dict[str, Path]
) -> None:
    expected = rfm_summary(transactions, END, OFFSET)
    expected_split = rfm_calibration_and_holdout(transactions, CALIBRATION_END, END, OFFSET)
    assert expected["frequency"].sum() > 1_000
    for path in files.values():
        pd.testing.assert_frame_equal(summarise(DuckDBEngine(path), END, OFFSET), expected)
        pd.testing.assert_frame_equal(
            calibration_and_holdout(DuckDBEngine(path), CALIBRATION_END, END, OFFSET),
            expected_split,
        )


@pytest.mark.slow
def test_spark_equals_pandas(
    spark: Any, transactions: pd.DataFrame, files: dict[str, Path]
) -> None:
    engine = SparkEngine(spark, spark.read.parquet(str(files["parquet"])))
    pd.testing.assert_frame_equal(
        summarise(engine, END, OFFSET), rfm_summary(transactions, END, OFFSET)
    )
    pd.testing.assert_frame_equal(
        calibration_and_holdout(engine, CALIBRATION_END, END, OFFSET),
        rfm_calibration_and_holdout(transactions, CALIBRATION_END, END, OFFSET),
    )
