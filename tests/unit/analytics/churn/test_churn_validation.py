"""Held-out validation: Harrell's C against a brute-force count, Kaplan–Meier against
statsmodels, and calibration of a model fitted before a cutoff on what happened after it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from statsmodels.duration.survfunc import SurvfuncRight

from regulars.analytics.churn import CoxPHModel, WeibullAFTModel
from regulars.analytics.churn.validation import (
    calibration_by_decile,
    calibration_figure,
    concordance_index,
    holdout_validation,
    kaplan_meier,
    time_split,
)


def brute_force_concordance(t: np.ndarray, risk: np.ndarray, event: np.ndarray) -> float:
    """Every ordered pair, one at a time: (i cancelled, t_i < t_j) is comparable."""
    good = ties = pairs = 0
    for i in range(len(t)):
        if not event[i]:
            continue
        for j in range(len(t)):
            if t[i] < t[j]:
                pairs += 1
                good += risk[i] > risk[j]
                ties += risk[i] == risk[j]
    return (good + 0.5 * ties) / pairs


@pytest.mark.parametrize("seed", range(6))
def test_concordance_matches_brute_force_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 250
    t = rng.integers(1, 30, n).astype(float)  # many tied times
    risk = rng.integers(0, 12, n).astype(float)  # many tied risks
    event = rng.uniform(size=n) < 0.6
    assert concordance_index(t, risk, event) == pytest.approx(
        brute_force_concordance(t, risk, event), abs=1e-15
    )


def test_concordance_extremes() -> None:
    t = np.arange(1.0, 51.0)
    event = np.ones(50, dtype=bool)
    assert concordance_index(t, -t, event) == 1.0  # shorter time, higher risk
    assert concordance_index(t, t, event) == 0.0
    assert concordance_index(t, np.zeros(50), event) == 0.5
    assert np.isnan(concordance_index(t, t, np.zeros(50, dtype=bool)))
    with pytest.raises(ValueError, match="same length"):
        concordance_index(t, t[:3], event)


def test_kaplan_meier_matches_statsmodels() -> None:
    rng = np.random.default_rng(8)
    t = rng.integers(1, 100, 400).astype(float)
    event = rng.uniform(size=400) < 0.5
    reference = SurvfuncRight(t, event.astype(float))
    for at in (5.0, 37.0, 80.0):
        index = np.searchsorted(reference.surv_times, at, side="right") - 1
        assert kaplan_meier(t, event, at) == pytest.approx(reference.surv_prob[index], rel=1e-12)


def simulated_subscriptions(n: int, seed: int) -> pd.DataFrame:
    """Subscriptions begun over five years, cancelling by a Weibull PH model."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "nps": rng.integers(0, 11, n),
            "cases": rng.poisson(0.6, n),
            "plan": rng.choice(["basic", "plus"], n),
        }
    )
    linear = -0.12 * (frame["nps"] - 5) + 0.35 * frame["cases"] + 0.3 * (frame["plan"] == "basic")
    lifetime = 600.0 * (rng.exponential(size=n) * np.exp(-linear.to_numpy())) ** (1 / 1.2)
    frame["start"] = rng.uniform(0, 1800, n).round()
    end = frame["start"] + np.ceil(lifetime)
    frame["end"] = end.where(end <= 1800 + 180)
    return frame


@pytest.mark.parametrize("model_type", [CoxPHModel, WeibullAFTModel], ids=["cox", "weibull"])
def test_a_model_fitted_before_the_cutoff_is_calibrated_after_it(
    model_type: type[CoxPHModel | WeibullAFTModel],
) -> None:
    subscriptions = simulated_subscriptions(30_000, seed=5)
    train, holdout = time_split(
        subscriptions, "start", "end", cutoff=1800, observed_until=1800 + 180
    )
    train = train[train["duration"] > 0]
    model = model_type().fit(train, "duration", "cancelled", ["nps", "cases", "plan"])
    result = holdout_validation(model, holdout, "tenure", "duration", "cancelled", horizon=90)
    table = result.calibration
    assert result.members + result.unscored == len(holdout)
    assert result.members == table["members"].sum()
    # Only a Cox model leaves members unscored: the oldest, whose horizon passes its follow-up.
    assert (result.unscored > 0) == (model_type is CoxPHModel)
    assert result.unscored < 0.1 * len(holdout)
    assert 0.6 < result.concordance < 0.8
    assert result.expected_cancellations == pytest.approx(result.observed_cancellations, rel=0.08)
    # Each tenth within three binomial standard errors of its prediction.
    p = table["mean_predicted"]
    assert np.all(np.abs(table["observed_rate"] - p) < 3 * np.sqrt(p * (1 - p) / table["members"]))
    assert table["observed_rate"].iloc[-1] > 2 * table["observed_rate"].iloc[0]
    figure = calibration_figure(table)
    assert [trace.name for trace in figure.data] == ["calibrated", "model"]
    np.testing.assert_allclose(figure.data[1].x, table["mean_predicted"])
    html = figure.to_html(full_html=False, include_plotlyjs=True)
    page = html.replace(get_plotlyjs(), "")  # inlined: nothing is fetched
    assert get_plotlyjs() in html
    assert "cdn.plot.ly" not in page
    assert "src=" not in page


def test_time_split_cuts_subscriptions_at_the_cutoff() -> None:
    day = pd.Timestamp("2026-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "id": ["gone before", "gone after", "still active", "not yet joined"],
            "start": [
                day - pd.Timedelta(days=100),
                day - pd.Timedelta(days=50),
                day - pd.Timedelta(days=10),
                day + pd.Timedelta(days=5),
            ],
            "end": [day - pd.Timedelta(days=40), day + pd.Timedelta(days=20), pd.NaT, pd.NaT],
        }
    )
    train, holdout = time_split(
        frame, "start", "end", cutoff=day, observed_until=day + pd.Timedelta(days=30)
    )
    assert train["id"].tolist() == ["gone before", "gone after", "still active"]
    assert train["duration"].tolist() == [60.0, 50.0, 10.0]
    assert train["cancelled"].tolist() == [True, False, False]
    assert holdout["id"].tolist() == ["gone after", "still active"]
    assert holdout["tenure"].tolist() == [50.0, 10.0]
    assert holdout["duration"].tolist() == [20.0, 30.0]
    assert holdout["cancelled"].tolist() == [True, False]
    with pytest.raises(ValueError, match="after the cutoff"):
        time_split(frame, "start", "end", cutoff=day, observed_until=day)


def test_calibration_needs_enough_members() -> None:
    with pytest.raises(ValueError, match="at least 10 members"):
        calibration_by_decile([0.1] * 5, [1] * 5, [True] * 5, horizon=30)
