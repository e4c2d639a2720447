"""The summary run in the store's SQL (SQLite and PostgreSQL) equals pandas and DuckDB on the
same purchases; scores are computed, stored, ranked and read back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from tests.clv_store_data import END, seed_store

from regulars.analytics.clv import (
    calibration_and_holdout,
    rfm_calibration_and_holdout,
    rfm_summary,
    summarise,
)
from regulars.analytics.clv.engines import DuckDBEngine
from regulars.bootstrap import App
from regulars.services import scores as score_service
from regulars.services.errors import Invalid, NotFound
from regulars.store.reads.clv_summary import StoreEngine
from regulars.store.tables import members, purchases

KST = 9.0


def test_store_summary_equals_pandas_and_duckdb(app: App, tmp_path: Path) -> None:
    net = seed_store(app)
    parquet = tmp_path / "net.parquet"
    net.to_parquet(parquet)
    with app.unit_of_work() as uow:
        in_store = summarise(StoreEngine(uow.connection), END, KST)
        split_in_store = calibration_and_holdout(
            StoreEngine(uow.connection), datetime(2025, 9, 1, tzinfo=UTC), END, KST
        )
    expected = rfm_summary(net, END, KST)
    assert len(expected) > 100
    assert expected["frequency"].sum() > 200
    pd.testing.assert_frame_equal(in_store, expected)
    pd.testing.assert_frame_equal(summarise(DuckDBEngine(parquet), END, KST), expected)
    expected_split = rfm_calibration_and_holdout(net, datetime(2025, 9, 1, tzinfo=UTC), END, KST)
    assert expected_split["frequency_holdout"].sum() > 0
    pd.testing.assert_frame_equal(split_in_store, expected_split)


def test_scores_are_computed_stored_and_ranked(app: App) -> None:
    seed_store(app)
    with app.unit_of_work() as uow:
        run = score_service.compute_scores(uow, END, horizon_days=180, timezone="Asia/Seoul")
        uow.commit()
    assert run.members > 100
    assert set(run.params) == {"r", "alpha", "a", "b"}
    assert all(np.isfinite(list(run.standard_errors.values())))
    with app.unit_of_work() as uow:
        ranked = score_service.at_risk(uow, limit=500)
        one = score_service.member_scores(uow, ranked[0]["member"])
    assert len(ranked) == run.members
    values = [row["value_at_risk"] for row in ranked]
    assert values == sorted(values, reverse=True)
    assert sum(values) == run.total_value_at_risk
    for row in ranked:
        assert 0 <= row["probability_alive"] <= 1
        assert row["value_at_risk"] == pytest.approx(
            row["clv"] * (1 - row["probability_alive"]), abs=1
        )
        # Times leave the service as ISO 8601 with offset, whatever the database.
        assert row["computed_at"] == "2026-01-01T00:00:00+00:00"
        loss = row["expected_loss_at"]
        if row["probability_alive"] <= 0.5:
            assert loss == row["computed_at"]
        elif loss is not None:
            assert datetime.fromisoformat(loss) > END
    assert one["member"] == ranked[0]["member"]
    assert one["horizon_days"] == 180
    assert one["model"] == "bgnbd"
    # Recomputing replaces the scores rather than adding to them.
    with app.unit_of_work() as uow:
        again = score_service.compute_scores(uow, END, model="pareto", timezone="Asia/Seoul")
        uow.commit()
    with app.unit_of_work() as uow:
        rows = score_service.at_risk(uow, limit=1000)
        likely_lost = score_service.at_risk(uow, limit=1000, min_probability_lost=0.5)
    assert len(rows) == again.members == run.members
    assert {r["model"] for r in rows} == {"pareto"}
    assert all(r["probability_alive"] <= 0.5 for r in likely_lost)
    assert 0 < len(likely_lost) < len(rows)


def test_holdout_validation_compares_predictions_with_what_followed(app: App) -> None:
    seed_store(app)
    with app.unit_of_work() as uow:
        result = score_service.validate_holdout(
            uow, datetime(2025, 9, 1, tzinfo=UTC), END, timezone="Asia/Seoul"
        )
    f = result.figures
    assert f.members == int(result.table["members"].sum())
    assert f.duration == 122
    # Drawn from the model's own family: the total forecast is close to what happened.
    assert abs(f.total_error) < 0.35
    assert f.correlation > 0.3
    assert "holdout" in result.figure.to_html(include_plotlyjs=False).lower()


def test_too_little_history_and_unknown_members_are_business_errors(app: App) -> None:
    with app.unit_of_work() as uow, pytest.raises(Invalid, match="too little history"):
        score_service.compute_scores(uow, END)
    with app.unit_of_work() as uow, pytest.raises(NotFound):
        score_service.member_scores(uow, "nobody")


def test_the_lost_view_shows_the_recently_lost_with_high_past_value(app: App) -> None:
    """Value at risk is future value × P(lost): near 0 for a member almost surely lost. The
    lost view lists exactly those: P(alive) below the threshold, last purchase within the
    horizon, ranked by net spend to date."""
    seed_store(app)
    with app.unit_of_work() as uow:
        score_service.compute_scores(uow, END, horizon_days=180, timezone="Asia/Seoul")
        uow.commit()
    with app.unit_of_work() as uow:
        everyone = score_service.at_risk(uow, limit=1000)
        lost = score_service.lost(uow, limit=1000, below=0.2)
        spend = dict(
            uow.connection.execute(
                select(members.c.external_id, func.sum(purchases.c.total_amount))
                .join(purchases, purchases.c.member_id == members.c.id)
                .group_by(members.c.external_id)
            ).all()
        )
        via_view = score_service.at_risk_view(uow, "lost", limit=1000)
    assert lost, "the simulated business has recently lost members"
    for row in lost:
        assert row["probability_alive"] < 0.2
        assert row["days_since_last_purchase"] == row["age_days"] - row["recency_days"] <= 180
        assert row["past_value"] == spend[row["member"]]
    values = [row["past_value"] for row in lost]
    assert values == sorted(values, reverse=True)
    expected = {
        r["member"]
        for r in everyone
        if r["probability_alive"] < 0.2 and r["age_days"] - r["recency_days"] <= 180
    }
    assert {row["member"] for row in lost} == expected
    # The members the value-at-risk ranking puts last are exactly some of these.
    assert all(row["probability_alive"] < 0.05 for row in via_view)
    with app.unit_of_work() as uow, pytest.raises(Invalid):
        score_service.at_risk_view(uow, "nobody", limit=10)
