"""The churn features and the survival table in Spark (local mode) equal DuckDB's to the last
bit, on the same Parquet and CSV files (DuckDB is held to the store in
test_features_engines.py), and follow the stated definitions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.integration.subscriptions.test_features_engines import assert_matches_definitions
from tests.subscription_data import AS_OF, OFFSET, expected_features, generate, write_files

from regulars.analytics.clv.engines import local_spark
from regulars.analytics.subscriptions import cohort_survival, subscriber_features
from regulars.analytics.subscriptions.engines import SparkSubscriptions, SubscriptionFiles

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = local_spark("regulars-subscription-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, pd.DataFrame]]:
    data = generate(250, seed=23)
    rng = np.random.default_rng(3)
    members = data.members["member_id"].to_numpy()
    cases = pd.DataFrame(
        {
            "member_id": rng.choice(members, 120),
            "opened_at": [
                datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=int(m))
                for m in rng.integers(0, 1_700_000, 120)
            ],
        }
    )
    expected = expected_features(data, cases, AS_OF)
    root = tmp_path_factory.mktemp("subscriptions")
    return {
        suffix: (write_files(data, cases, root / suffix.strip("."), suffix), expected)
        for suffix in (".parquet", ".csv")
    }


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_spark_equals_duckdb(
    spark: Any, folders: dict[str, tuple[Path, pd.DataFrame]], suffix: str
) -> None:
    folder, expected = folders[suffix]
    in_spark = subscriber_features(
        SparkSubscriptions.from_folder(spark, folder), AS_OF, utc_offset_hours=OFFSET
    )
    in_duckdb = subscriber_features(SubscriptionFiles(folder), AS_OF, utc_offset_hours=OFFSET)
    pd.testing.assert_frame_equal(in_spark, in_duckdb, check_exact=True)
    assert_matches_definitions(in_spark, expected)
    assert in_spark["cases"].sum() > 20
    pd.testing.assert_frame_equal(
        cohort_survival(SparkSubscriptions.from_folder(spark, folder), AS_OF),
        cohort_survival(SubscriptionFiles(folder), AS_OF),
    )


def test_the_reports_churn_part_in_spark_equals_duckdb(
    spark: Any, folders: dict[str, tuple[Path, pd.DataFrame]]
) -> None:
    """``regulars report --from DIR --spark`` and without ``--spark``: the same figures."""
    from regulars.services.briefing.churn import FileChurn, churn_json, churn_view_of

    folder, _ = folders[".parquet"]
    in_spark = churn_view_of(FileChurn(SparkSubscriptions.from_folder(spark, folder), "UTC"), AS_OF)
    in_duckdb = churn_view_of(FileChurn(SubscriptionFiles(folder), "UTC"), AS_OF)
    assert in_spark is not None
    assert in_duckdb is not None
    assert churn_json(in_spark) == churn_json(in_duckdb)
