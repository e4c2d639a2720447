"""One definition of the churn features, identical results wherever it runs: the store's SQL
(SQLite and PostgreSQL) on data imported through the import path, held to an independent
per-contract computation of the stated definitions, and DuckDB over the same data as Parquet
and as CSV files, held to the store exactly — features and cohort survival table alike.
(Spark is held to DuckDB in test_features_spark.py.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.subscription_data import (
    AS_OF,
    OFFSET,
    expected_features,
    generate,
    load_store,
    store_cases,
    write_files,
)

from regulars.analytics.subscriptions import cohort_survival, subscriber_features
from regulars.analytics.subscriptions.engines import SubscriptionFiles
from regulars.bootstrap import App
from regulars.store.reads.subscriber_features import StoreSubscriptions


def assert_matches_definitions(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal, floats to 1e-9 (the reference sums and fits in another order)."""
    assert got.columns.tolist() == expected.columns.tolist()
    floats = [c for c in got.columns if got[c].dtype == "float64"]
    pd.testing.assert_frame_equal(got.drop(columns=floats), expected.drop(columns=floats))
    for column in floats:
        np.testing.assert_allclose(
            got[column].to_numpy(),
            expected[column].to_numpy(),
            rtol=1e-9,
            atol=1e-9,
            err_msg=column,
        )


def features(app: App, as_of: date = AS_OF, **options: object) -> pd.DataFrame:
    with app.unit_of_work() as uow:
        return subscriber_features(
            StoreSubscriptions(uow.connection),
            as_of,
            utc_offset_hours=OFFSET,
            **options,  # type: ignore[arg-type]
        )


def test_features_follow_their_definitions_in_the_store_and_in_duckdb(
    app: App, tmp_path: Path
) -> None:
    data = generate(250)
    load_store(app, data)
    cases = store_cases(app)
    in_store = features(app)
    assert_matches_definitions(in_store, expected_features(data, cases, AS_OF))
    # the data exercise what the features measure
    assert len(in_store) > 250
    assert in_store["cancelled"].sum() > 50
    assert (~in_store["cancelled"]).sum() > 50
    assert in_store["downgrades"].sum() > 10
    assert in_store["cases"].sum() > 10
    assert in_store["usage_slope"].notna().sum() > 150
    assert in_store["nps_last"].notna().sum() > 50
    assert in_store["commitment_months_left"].isna().sum() > 20
    for suffix in (".parquet", ".csv"):
        folder = write_files(data, cases, tmp_path / suffix.strip("."), suffix)
        pd.testing.assert_frame_equal(
            subscriber_features(SubscriptionFiles(folder), AS_OF, utc_offset_hours=OFFSET),
            in_store,
            check_exact=True,
        )
        with app.unit_of_work() as uow:
            survival = cohort_survival(StoreSubscriptions(uow.connection), AS_OF)
        pd.testing.assert_frame_equal(cohort_survival(SubscriptionFiles(folder), AS_OF), survival)


def test_the_edge_cases_are_counted_as_stated(app: App) -> None:
    load_store(app, generate(20))
    edge = features(app).set_index("subscription_id").loc[lambda f: f["member_id"] == "EDGE"]
    # E1: cancelled in its first month; the bills after the cancellation do not count
    e1 = edge.loc["E1"]
    assert (e1["cancelled"], e1["duration_months"], e1["duration_days"]) == (True, 0, 15)
    assert (e1["months_billed"], e1["usage_mean"]) == (1, 4.0)
    # E2: a plan change on the observation day counts; no bills at all
    e2 = edge.loc["E2"]
    assert (e2["plan"], e2["fee"], e2["downgrades"]) == ("S", 33000, 1)
    assert (e2["months_billed"], e2["total_billed"], e2["recent_months"]) == (0, 0, 0)
    assert np.isnan(e2["mean_bill"])
    assert np.isnan(e2["usage_slope"])
    assert (e2["duration_months"], e2["commitment_months_left"]) == (11, 13)
    # E3: a downgrade on the cancellation day is in force at the end; its falling usage
    e3 = edge.loc["E3"]
    assert (e3["plan"], e3["fee"], e3["downgrades"], e3["cancel_reason"]) == (
        "S",
        33000,
        1,
        "price",
    )
    months = np.arange(-5, 1)
    usage = np.array([9.5, 7.0, 7.0, 3.0, 2.5, 1.0])
    assert e3["usage_slope"] == pytest.approx(np.polyfit(months, usage, 1)[0], rel=1e-12)
    assert e3["usage_drop_share"] == pytest.approx(4 / 5)
    # E4 starts after the observation day; E5 is cancelled after it: censored
    assert "E4" not in edge.index
    e5 = edge.loc["E5"]
    assert (e5["cancelled"], e5["cancel_reason"], e5["commitment_months_left"]) == (False, None, 0)
    assert e5["duration_days"] == (AS_OF - date(2023, 2, 28)).days
    # E6: of two changes on one day the later change id is in force
    assert (edge.loc["E6", "plan"], edge.loc["E6", "plan_changes"]) == ("S", 2)
    # E7: one month billed, usage not measured
    assert edge.loc["E7", "recent_months"] == 1
    assert np.isnan(edge.loc["E7", "usage_mean"])
    # the answer given 23:30 in Seoul on the last day counts; the one at 00:30 after does not
    assert (edge.loc["E2", "nps_last"], edge.loc["E2", "driver_network"]) == (3.0, 1.0)
    assert edge.loc["E2", "age_band"] == "35_44"  # 35 on 31 December 2025, their birthday


def test_the_window_the_measure_and_the_observation_day_are_parameters(app: App) -> None:
    data = generate(120, seed=5)
    load_store(app, data)
    cases = store_cases(app)
    earlier = date(2025, 6, 15)
    got = features(app, earlier, months=3, usage="voice_minutes", drivers=["price"])
    expected = expected_features(data, cases, earlier, months=3, usage="voice_minutes")
    assert_matches_definitions(got, expected.drop(columns=["driver_network", "driver_service"]))
    assert got["recent_months"].max() == 3
    with pytest.raises(ValueError, match="months must be"):
        features(app, months=0)
    with pytest.raises(ValueError, match="usage must be"):
        features(app, usage="minutes")


def test_the_survival_table_counts_each_cohort_month_by_month(app: App) -> None:
    data = generate(200, seed=9)
    load_store(app, data)
    with app.unit_of_work() as uow:
        table = cohort_survival(StoreSubscriptions(uow.connection), AS_OF)
    lived = features(app)[["started_on", "duration_months", "cancelled"]]
    lived["cohort"] = [date(d.year, d.month, 1) for d in lived["started_on"]]
    for cohort, group in lived.groupby("cohort"):
        rows = table[table["cohort"] == cohort].set_index("t")
        assert rows["contracts"].iloc[0] == len(group) == rows["active"].iloc[0]
        assert list(rows.index) == list(range(int(group["duration_months"].max()) + 1))
        for t, row in rows.iterrows():
            assert row["active"] == (group["duration_months"] >= t).sum()
            ended = group[group["duration_months"] == t]
            assert row["cancelled"] == ended["cancelled"].sum()
            assert row["censored"] == (~ended["cancelled"]).sum()
            censored = group[~group["cancelled"]]["duration_months"]
            assert row["complete"] == (censored.empty or t <= censored.min())
    assert table["survival"].between(0, 1).all()
    assert (table.groupby("cohort")["active"].diff().dropna() <= 0).all()
