"""Behaviour (RFM, cohorts, average check, returning) and stages / types, by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.acquisition import acquisition_by_channel
from regulars.analytics.behaviour import (
    average_check,
    behavioural_loyalty,
    cohort_retention,
    month_index,
    returning_customers,
    returning_overall,
    rfm,
)
from regulars.analytics.stages import (
    StageRules,
    attachment_scores,
    loyalty_stages,
    loyalty_types,
    stage_funnel,
    wallet_bands,
)

JAN = month_index(date(2026, 1, 1))


def _months() -> pd.DataFrame:
    # a: Jan, Feb, Mar; b: Jan, Mar; c: Feb only.
    return pd.DataFrame(
        {
            "member_id": ["a", "a", "a", "b", "b", "c"],
            "month": [JAN, JAN + 1, JAN + 2, JAN, JAN + 2, JAN + 1],
            "purchases": [1, 2, 1, 1, 1, 1],
            "spend": [10_000, 30_000, 10_000, 20_000, 20_000, 5_000],
        }
    )


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["a", "b", "c", "d"],
            "first_purchase": pd.to_datetime(
                ["2026-01-03", "2026-01-10", "2026-02-01", None], utc=True
            ),
            "last_purchase": pd.to_datetime(
                ["2026-03-30", "2026-03-01", "2026-02-01", None], utc=True
            ),
            "purchases": [4, 2, 1, 0],
            "net_spend": [50_000, 40_000, 5_000, 0],
            "categories": [3, 1, 1, 0],
        }
    )


def test_cohort_retention_by_hand() -> None:
    matrix = cohort_retention(_months(), max_age=2).set_index("cohort")
    jan = matrix.loc[date(2026, 1, 1)]
    assert jan["size"] == 2
    assert jan["0"] == 100.0
    assert jan["1"] == 50.0  # only a came back in February
    assert jan["2"] == 100.0  # both bought in March
    feb = matrix.loc[date(2026, 2, 1)]
    assert feb["1"] == 0.0
    assert np.isnan(feb["2"])  # April has not happened yet


def test_average_check_returning_customers() -> None:
    check = average_check(_months()).set_index("period")
    assert check.loc[date(2026, 1, 1), "average_check"] == pytest.approx(15_000)
    assert check.loc[date(2026, 2, 1), "average_check"] == pytest.approx(35_000 / 3)
    assert check.loc[date(2026, 2, 1), "growth"] == pytest.approx((35_000 / 3) / 15_000 - 1)
    back = returning_customers(_months()).set_index("period")
    assert back.loc[date(2026, 3, 1), "returning"] == 2
    assert back.loc[date(2026, 2, 1), "returning_share"] == pytest.approx(50.0)
    overall = returning_overall(_summary())
    assert overall == {"buyers": 3, "returning": 2, "returning_share": pytest.approx(200 / 3)}


def test_rfm_scores_and_behavioural_loyalty() -> None:
    scores = rfm(_summary(), date(2026, 4, 1)).set_index("member_id")
    assert "d" not in scores.index
    assert scores.loc["a", "recency_days"] == 2
    assert scores.loc["a", "r"] > scores.loc["c", "r"]
    assert scores.loc["a", "m"] == 5
    loyalty = behavioural_loyalty(_months(), _summary(), date(2026, 3, 31), window=4)
    loyalty = loyalty.set_index("member_id")
    assert loyalty.loc["a", "active_months"] == 3
    assert loyalty.loc["a", "constancy"] == pytest.approx(0.75)
    # window Dec..Mar: first half Dec+Jan = 10,000, second half Feb+Mar = 40,000
    assert loyalty.loc["a", "spend_growth"] == pytest.approx(3.0)
    monthly = np.array([0, 10_000, 30_000, 10_000], dtype=float)
    assert loyalty.loc["a", "spend_cv"] == pytest.approx(monthly.std() / monthly.mean())
    assert loyalty.loc["d", "active_months"] == 0
    assert loyalty.loc["a", "repeat_purchases"] == 3


def test_stages_types_funnel_and_wallet() -> None:
    responses = pd.DataFrame(
        {
            "member_id": ["a", "b", "b"],
            "collected_at": pd.to_datetime(["2026-03-01", "2026-01-01", "2026-03-01"], utc=True),
            "ltr": [10.0, 9.0, 2.0],
            "intent_rebuy": [5.0, 5.0, 1.0],
            "share_of_wallet": [80.0, 90.0, 30.0],
        }
    )
    attachment = attachment_scores(responses).set_index("member_id")
    assert attachment.loc["a", "attachment"] == pytest.approx(1.0)
    assert attachment.loc["b", "attachment"] == pytest.approx((0.2 + 0.0) / 2)  # latest
    rules = StageRules(loyal_purchases_per_year=4, frequent_purchases_per_year=4)
    stages = loyalty_stages(_summary(), attachment.reset_index(), date(2026, 4, 1), rules)
    stages = stages.set_index("member_id")
    assert stages["stage"].to_dict() == {
        "a": "loyalty",
        "b": "repeat visits",
        "c": "first purchase",
        "d": "first visit",
    }
    assert stages.loc["a", "loyalty_type"] == "true loyalty"
    assert stages.loc["b", "loyalty_type"] == "spurious loyalty"
    assert stages.loc["c", "loyalty_type"] == "unknown (no answers)"
    assert stages.loc["b", "wallet_band"] == "at risk"
    funnel = stage_funnel(stages.reset_index()).set_index("stage")
    assert funnel["reached"].tolist() == [4, 3, 2, 1, 1]
    assert funnel.loc["first purchase", "conversion"] == pytest.approx(75.0)
    types = loyalty_types(stages.reset_index()).set_index("loyalty_type")
    assert types.loc["true loyalty", "share_of_answering"] == pytest.approx(50.0)
    assert wallet_bands(pd.Series([70.0, 69.9, 49.0, None])).tolist() == [
        "loyal",
        "middle",
        "at risk",
        None,
    ]


def test_acquisition_cost_beside_value() -> None:
    members = pd.DataFrame(
        {
            "member_id": ["a", "b", "c", "d"],
            "acquisition_channel": ["ads", "ads", "referral", None],
            "acquisition_cost": [10_000, 20_000, 5_000, None],
        }
    )
    table = acquisition_by_channel(members, _summary()).set_index("acquisition_channel")
    assert table.loc["ads", "total_cost"] == 30_000
    assert table.loc["ads", "spend_to_date"] == pytest.approx(45_000)
    assert table.loc["ads", "spend_to_cost"] == pytest.approx(3.0)
    assert table["clv"].isna().all()
    with_clv = acquisition_by_channel(
        members, _summary(), pd.DataFrame({"member_id": ["a", "b"], "clv": [100_000, 60_000]})
    ).set_index("acquisition_channel")
    assert with_clv.loc["ads", "clv_to_cost"] == pytest.approx(80_000 / 15_000)
