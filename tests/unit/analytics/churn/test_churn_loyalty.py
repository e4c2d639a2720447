"""The study's loyalty score: indicators on 0-100, derived weights, and the hazard by band."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.churn import CoxPHModel
from regulars.analytics.churn.loyalty import (
    hazard_by_loyalty_band,
    hierarchical_loyalty_index,
    indicator_scores,
    loyalty_bands,
)
from regulars.analytics.drivers import relative_weights

INDICATORS = {
    "behavioural": ["renewals", "tenure_months", "usage_gb"],
    "intentional": ["intend_to_stay", "would_renew"],
    "emotional": ["attachment", "ltr"],
}
SCALES = {"intend_to_stay": (1, 5), "would_renew": (1, 5), "attachment": (1, 5), "ltr": (0, 10)}


def members(n: int, seed: int) -> pd.DataFrame:
    """Members with three latent loyalties; the overall loyalty question leans on emotion."""
    rng = np.random.default_rng(seed)
    behaviour, intention, emotion = rng.normal(size=(3, n))
    noise = lambda: rng.normal(scale=0.6, size=n)  # noqa: E731
    likert = lambda latent: np.clip(np.round(3 + latent + noise()), 1, 5)  # noqa: E731
    frame = pd.DataFrame(
        {
            "renewals": np.maximum(0, np.round(6 + 3 * behaviour + 2 * noise())),
            "tenure_months": np.maximum(1, np.round(24 + 10 * behaviour + 5 * noise())),
            "usage_gb": np.exp(2 + 0.5 * behaviour + 0.3 * noise()),
            "intend_to_stay": likert(intention),
            "would_renew": likert(intention),
            "attachment": likert(emotion),
            "ltr": np.clip(np.round(7 + 1.8 * emotion + noise()), 0, 10),
        }
    )
    frame["overall_loyalty"] = (
        0.2 * behaviour + 0.3 * intention + 0.6 * emotion + rng.normal(scale=0.5, size=n)
    )
    frame["latent"] = 0.2 * behaviour + 0.3 * intention + 0.6 * emotion
    return frame


def test_indicators_are_put_on_0_to_100() -> None:
    frame = pd.DataFrame(
        {"ltr": [0, 5, 10, np.nan], "effort": [1, 3, 5, 5], "renewals": [0, 2, 2, 9]}
    )
    scores = indicator_scores(
        frame, ["ltr", "effort", "renewals"], {"ltr": (0, 10), "effort": (5, 1)}
    )
    assert scores["ltr"].tolist()[:3] == [0.0, 50.0, 100.0]
    assert np.isnan(scores["ltr"].iloc[3])
    assert scores["effort"].tolist() == [100.0, 50.0, 0.0, 0.0]  # given high-to-low: reversed
    assert scores["renewals"].tolist() == [
        25.0,
        62.5,
        62.5,
        100.0,
    ]  # percentile rank, ties averaged
    with pytest.raises(ValueError, match="not in the frame"):
        indicator_scores(frame, ["nps"])


def test_weights_are_derived_from_the_outcome() -> None:
    frame = members(6_000, seed=3)
    result = hierarchical_loyalty_index(frame, INDICATORS, "overall_loyalty", SCALES)
    weights = result.dimension_weights
    assert weights.sum() == pytest.approx(1.0)
    assert weights["emotional"] > weights["intentional"] > weights["behavioural"]
    # The same numbers as the drivers' relative weights (Johnson 2000) on the dimensions.
    direct = relative_weights(
        result.scores.assign(y=frame["overall_loyalty"]), "y", list(weights.index)
    )
    np.testing.assert_allclose(weights.to_numpy(), direct["share"].to_numpy() / 100, rtol=1e-12)
    by_dimension = result.indicator_weights.groupby("dimension")["weight"].sum()
    np.testing.assert_allclose(by_dimension.to_numpy(), 1.0)
    index = result.scores["loyalty_index"]
    assert index.between(0, 100).all()
    # The index tracks the latent loyalty it was built to measure.
    assert np.corrcoef(index, frame["latent"])[0, 1] > 0.8


def test_an_index_needs_every_dimension_by_default() -> None:
    frame = members(500, seed=4)
    frame.loc[frame.index[:50], ["attachment", "ltr"]] = np.nan  # never answered those
    result = hierarchical_loyalty_index(frame, INDICATORS, "overall_loyalty", SCALES)
    assert result.scores["loyalty_index"].iloc[:50].isna().all()
    assert result.scores["loyalty_index"].iloc[50:].notna().all()
    assert result.scores["behavioural"].notna().all()
    partial = hierarchical_loyalty_index(
        frame, INDICATORS, "overall_loyalty", SCALES, min_dimensions=2
    )
    assert partial.scores["loyalty_index"].notna().all()
    with pytest.raises(ValueError, match="give indicators for each of"):
        hierarchical_loyalty_index(frame, {"behavioural": ["renewals"]}, "overall_loyalty")


def test_hazard_falls_with_the_loyalty_index() -> None:
    rng = np.random.default_rng(9)
    n = 20_000
    index = rng.uniform(0, 100, n)
    # True hazard ratios of the bands against 80-100: 3, 2, 1.4 (constant within a band).
    truth = np.array([3.0, 2.0, 1.4, 1.0])
    band = np.searchsorted([40.0, 60.0, 80.0], index, side="left")
    lifetime = 400 * rng.exponential(size=n) / truth[band]
    observed = rng.uniform(50, 1500, n)
    frame = pd.DataFrame(
        {
            "loyalty_index": index,
            "days": np.ceil(np.minimum(lifetime, observed)),
            "cancelled": lifetime <= observed,
        }
    )
    frame.loc[frame.index[:100], "loyalty_index"] = np.nan  # no index: left out
    table = hazard_by_loyalty_band(frame, "days", "cancelled")
    assert table["band"].tolist() == ["0-40", "40-60", "60-80", "80-100"]
    assert table["members"].sum() == n - 100
    top = table.iloc[-1]
    assert top["hazard_ratio"] == 1.0
    assert np.isnan(top["lower_95"])
    ratios = table["hazard_ratio"].to_numpy()
    assert np.all(np.diff(ratios) < 0)  # less loyal, more likely to cancel
    assert table["lower_95"].iloc[0] > 1
    # Each band within three standard errors of its truth (the three estimates share the
    # reference band, so their errors move together: a joint 95 % check would fail more
    # often than one time in twenty).
    se = (np.log(table["upper_95"]) - np.log(table["lower_95"])).iloc[:3] / (2 * 1.959964)
    assert np.all(np.abs(np.log(ratios[:3]) - np.log(truth[:3])) < 3 * se)
    # It is the Cox model of the band, as fitted directly.
    known = frame.dropna(subset=["loyalty_index"]).assign(
        band=lambda f: loyalty_bands(f["loyalty_index"])
    )
    direct = CoxPHModel().fit(known, "days", "cancelled", ["band"], references={"band": "80-100"})
    np.testing.assert_allclose(
        ratios[:3], np.exp(direct.params_.loc[["band=0-40", "band=40-60", "band=60-80"]])
    )


def test_an_outcome_constant_where_a_dimension_is_complete_gives_equal_weights() -> None:
    # months after the last bill only the leavers have a usage figure: over the members with
    # every behavioural indicator the outcome (stayed) is constant, nothing to weigh by
    frame = members(400, seed=8)
    stayed = pd.Series(np.arange(400) % 3 != 0, index=frame.index).astype("float64")
    frame.loc[stayed == 1, "usage_gb"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no correlation of a constant column (NaN, a warning)
        result = hierarchical_loyalty_index(frame, INDICATORS, stayed, SCALES)
    behavioural = result.indicator_weights.query("dimension == 'behavioural'")["weight"]
    np.testing.assert_allclose(behavioural.to_numpy(), 1 / 3)
    assert result.dimension_weights.notna().all()
    assert result.scores["behavioural"].notna().all()
