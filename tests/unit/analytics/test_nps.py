"""NPS: classification, adjusted-Wald interval, difference test, trend, bands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.nps import (
    adjusted_wald,
    against_benchmark,
    band,
    classify,
    nps_compare,
    nps_difference,
    nps_of,
    nps_table,
    nps_trend,
)
from regulars.domain.feedback import nps as nps_rules


def test_scale_starts_at_zero_and_passives_only_count_in_the_denominator() -> None:
    kinds = classify(pd.Series([0, 1, 6, 7, 8, 9, 10, None]))
    assert kinds.tolist()[:7] == [
        "detractor",
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    assert kinds.iloc[7] is None
    # 2 promoters, 2 passives, 3 detractors of 7: (2 - 3) / 7
    assert nps_of(pd.Series([0, 1, 6, 7, 8, 9, 10])).nps == pytest.approx(100 * (2 - 3) / 7)


def test_the_analytics_and_the_domain_classify_every_score_alike() -> None:
    scores = [float(s) for s in range(11)] + [6.5, 8.5, 9.5]
    vectorised = classify(pd.Series(scores)).tolist()
    assert vectorised == [nps_rules.classify(s).value for s in scores]
    assert classify(pd.Series([-1, 10.5, 11, "x"])).isna().all()


def test_adjusted_wald_matches_the_published_recipe_worked_by_hand() -> None:
    # Rocks (2016) / Lewis & Sauro (2021): add 3/4 to promoters and detractors, 3 to n.
    # 50 promoters, 30 passives, 20 detractors: p' = 50.75/103, d' = 20.75/103.
    interval = adjusted_wald(50, 30, 20)
    p, d = 50.75 / 103, 20.75 / 103
    half = 1.959964 * math.sqrt((p + d - (p - d) ** 2) / 103)
    assert interval.nps == pytest.approx(30.0)
    assert interval.low == pytest.approx(100 * (p - d - half), abs=1e-4)
    assert interval.high == pytest.approx(100 * (p - d + half), abs=1e-4)
    assert interval.low == pytest.approx(14.05, abs=0.01)
    assert interval.high == pytest.approx(44.20, abs=0.01)
    assert interval.margin == pytest.approx(15.08, abs=0.01)


def test_adjusted_wald_covers_the_true_nps_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(3)
    truth = (0.45, 0.35, 0.20)
    hits = 0
    reps = 3000
    for _ in range(reps):
        pro, pas, det = rng.multinomial(40, truth)
        interval = adjusted_wald(int(pro), int(pas), int(det))
        hits += interval.low <= 25.0 <= interval.high
    assert 0.93 <= hits / reps <= 0.97


def test_interval_stays_within_the_scale_and_is_empty_without_answers() -> None:
    all_promoters = adjusted_wald(10, 0, 0)
    assert all_promoters.high <= 100.0
    assert 40.0 < all_promoters.low < 100.0
    assert math.isnan(adjusted_wald(0, 0, 0).nps)


def test_difference_test_holds_its_size_and_finds_a_real_gap() -> None:
    rng = np.random.default_rng(5)
    truth = (0.4, 0.4, 0.2)
    rejections = 0
    reps = 2000
    for _ in range(reps):
        a = adjusted_wald(*map(int, rng.multinomial(200, truth)))
        b = adjusted_wald(*map(int, rng.multinomial(200, truth)))
        rejections += bool(nps_difference(a, b)["significant"])
    assert 0.03 <= rejections / reps <= 0.07
    gap = nps_difference(adjusted_wald(600, 300, 100), adjusted_wald(400, 300, 300))
    assert gap["difference"] == pytest.approx(40.0)
    assert gap["significant"] is True
    assert gap["low"] < 40 < gap["high"]


def test_table_trend_and_breakdown() -> None:
    responses = pd.DataFrame(
        {
            "ltr": [10, 9, 3, 8, 10, 0, 0, 9],
            "store": ["a", "a", "a", "a", "b", "b", "b", "b"],
            "collected_at": pd.to_datetime(
                ["2026-01-05", "2026-01-20", "2026-01-30", "2026-02-02"] * 2, utc=True
            ),
        }
    )
    by_store = nps_table(responses, by="store").set_index("store")
    assert by_store.loc["a", "nps"] == pytest.approx(25.0)
    assert by_store.loc["b", "nps"] == pytest.approx(0.0)
    assert by_store.loc["a", "n"] == 4
    assert not by_store["differs_from_rest"].any()  # eight answers prove nothing
    trend = nps_trend(responses, freq="M")
    assert trend["n"].tolist() == [6, 2]
    assert trend["change_significant"].iloc[0] is None
    overall = nps_table(responses)
    assert overall.loc[0, "nps"] == pytest.approx(100 * (4 - 3) / 8)


def test_bands_of_the_brief_and_a_niche_benchmark() -> None:
    assert [band(x) for x in (-5, 0, 29.9, 30, 50, 70, 80.5)] == [
        "very low",
        "average",
        "average",
        "good",
        "excellent",
        "market leader",
        "exceptional",
    ]
    interval = adjusted_wald(50, 30, 20)
    assert against_benchmark(interval, 10) == "above"
    assert against_benchmark(interval, 35) == "not different"
    assert against_benchmark(interval, 60) == "below"


def test_comparing_two_groups_and_each_group_with_the_rest() -> None:
    responses = pd.DataFrame(
        {
            "ltr": [10] * 300 + [3] * 100 + [10] * 150 + [3] * 250,
            "segment": ["vip"] * 400 + ["individual"] * 400,
        }
    )
    result = nps_compare(responses, "segment", "vip", "individual")
    assert result["difference"] == pytest.approx(50.0 - (-25.0))
    assert result["significant"] is True
    expected = nps_difference(adjusted_wald(300, 0, 100), adjusted_wald(150, 0, 250))
    assert result["p_value"] == pytest.approx(expected["p_value"])
    table = nps_table(responses, by="segment").set_index("segment")
    assert table["differs_from_rest"].all()
    with pytest.raises(ValueError, match="no answers"):
        nps_compare(responses, "segment", "vip", "business")
