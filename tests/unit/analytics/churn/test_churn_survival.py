"""Cox and Weibull regressions against a published worked example and independent code.

Rossi recidivism data (see conftest). Published Cox estimates (Efron ties, R ``coxph``):
Fox, J., & Weisberg, S. (2011), *Cox Proportional-Hazards Regression for Survival Data in R*,
an appendix to *An R Companion to Applied Regression* (2nd ed.): coefficients and standard
errors below. statsmodels' ``PHReg`` (an independent implementation, installed with the dev
extras) is run on the same data for both ways of handling ties. The Weibull AFT figures are
lifelines 0.30.0's ``WeibullAFTFitter`` on the same file (log-likelihood −679.917, intercept
3.99012 on the uncentred covariates, ``rho_`` = log shape 0.33911), run in a scratch
environment, and the fit is checked again here against a likelihood written with
``scipy.stats.weibull_min`` and maximised by a general-purpose optimiser.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.duration.hazard_regression import PHReg
from tests.unit.analytics.churn.churn_truth import (
    ROSSI_COVARIATES,
    TRUE_LOG_HR,
    TRUE_SHAPE,
    simulate_subscribers,
)

from regulars.analytics.churn import CoxPHModel, WeibullAFTModel
from regulars.analytics.clv.base import FitError

PUBLISHED_COX = {  # coef, se
    "fin": (-0.37942, 0.19138),
    "age": (-0.05744, 0.02200),
    "race": (0.31390, 0.30799),
    "wexp": (-0.14980, 0.21222),
    "mar": (-0.43370, 0.38187),
    "paro": (-0.08487, 0.19576),
    "prio": (0.09150, 0.02865),
}
LIFELINES_WEIBULL = {
    "fin": 0.27217,
    "age": 0.04071,
    "race": -0.22481,
    "wexp": 0.10655,
    "mar": 0.31126,
    "paro": 0.05882,
    "prio": -0.06582,
}
SUBSCRIBER_COVARIATES = ["fee", "nps", "cases", "plan", "usage_trend"]


def test_cox_matches_the_published_rossi_estimates(rossi: pd.DataFrame) -> None:
    model = CoxPHModel().fit(rossi, "week", "arrest", ROSSI_COVARIATES)
    for name, (coef, se) in PUBLISHED_COX.items():
        assert round(model.params_[name], 5) == coef, name
        assert round(model.standard_errors_[name], 5) == se, name
    table = model.hazard_ratios_.set_index("covariate")
    assert round(table.loc["fin", "hazard_ratio"], 3) == 0.684  # exp(coef) in the appendix
    assert round(table.loc["prio", "p"], 4) == 0.0014
    assert (
        table.loc["fin", "lower_95"]
        < table.loc["fin", "hazard_ratio"]
        < table.loc["fin", "upper_95"]
    )
    assert model.n_subjects_ == 432
    assert model.n_events_ == 114


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_agrees_with_statsmodels(
    rossi: pd.DataFrame, subscribers: pd.DataFrame, ties: str
) -> None:
    model = CoxPHModel(ties).fit(rossi, "week", "arrest", ROSSI_COVARIATES)  # type: ignore[arg-type]
    reference = PHReg(
        rossi["week"].to_numpy(float),
        rossi[ROSSI_COVARIATES].to_numpy(float),
        status=rossi["arrest"].to_numpy(float),
        ties=ties,
    ).fit()
    np.testing.assert_allclose(model.params_.to_numpy(), reference.params, rtol=1e-8)
    np.testing.assert_allclose(model.standard_errors_.to_numpy(), reference.bse, rtol=1e-7)
    assert model.log_likelihood_ == pytest.approx(reference.llf, rel=1e-12)
    # Breslow's baseline: statsmodels lists H0 just before each event time (its left limit),
    # on the uncentred covariates.
    times, hazard, _ = reference.baseline_cumulative_hazard[0]
    uncentred = model.baseline_cumulative_hazard_ * np.exp(
        -(model.design_.means @ model.params_.to_numpy())
    )
    if ties == "breslow":
        np.testing.assert_allclose(times, model.baseline_times_)
        np.testing.assert_allclose(hazard[1:], uncentred[:-1], rtol=1e-8)
    # Heavy ties (whole days) and a categorical covariate: the fast path holds to statsmodels.
    big = CoxPHModel(ties).fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)  # type: ignore[arg-type]
    x = big.design_.matrix(subscribers) + big.design_.means
    check = PHReg(
        subscribers["days"].to_numpy(float),
        x,
        status=subscribers["cancelled"].to_numpy(float),
        ties=ties,
    ).fit()
    np.testing.assert_allclose(big.params_.to_numpy(), check.params, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(big.standard_errors_.to_numpy(), check.bse, rtol=1e-6)


def test_cox_recovers_true_hazard_ratios_within_their_intervals(subscribers: pd.DataFrame) -> None:
    model = CoxPHModel().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    table = model.hazard_ratios_.set_index("covariate")
    for name, log_hr in TRUE_LOG_HR.items():
        assert table.loc[name, "lower_95"] < np.exp(log_hr) < table.loc[name, "upper_95"], name
    # basic is the most frequent plan, so it is the reference the other levels are against.
    assert model.design_.reference["plan"] == "basic"


def test_weibull_matches_lifelines_and_an_independent_fit(rossi: pd.DataFrame) -> None:
    model = WeibullAFTModel().fit(rossi, "week", "arrest", ROSSI_COVARIATES)
    for name, coef in LIFELINES_WEIBULL.items():
        # lifelines stops a little short of the maximum (its log-likelihood is 1e-8 lower).
        assert model.params_[name] == pytest.approx(coef, abs=3e-5), name
    beta = model.params_[ROSSI_COVARIATES].to_numpy()
    assert model.params_["intercept"] - model.design_.means @ beta == pytest.approx(
        3.99012, abs=3e-5
    )
    assert model.params_["log_shape"] == pytest.approx(0.33911, abs=3e-5)
    assert model.log_likelihood_ == pytest.approx(-679.917, abs=1e-3)

    x = rossi[ROSSI_COVARIATES].to_numpy(float)
    t, event = rossi["week"].to_numpy(float), rossi["arrest"].to_numpy(bool)

    def negative(theta: np.ndarray) -> float:
        scale = np.exp(theta[0] + x @ theta[1:-1])
        shape = np.exp(theta[-1])
        logpdf = stats.weibull_min.logpdf(t, shape, scale=scale)
        logsf = stats.weibull_min.logsf(t, shape, scale=scale)
        return -float(np.where(event, logpdf, logsf).sum())

    start = np.r_[np.log(t.mean()), np.zeros(len(ROSSI_COVARIATES)), 0.0]
    independent = optimize.minimize(negative, start, method="BFGS", options={"gtol": 1e-8})
    np.testing.assert_allclose(beta, independent.x[1:-1], atol=2e-5)
    assert model.log_likelihood_ == pytest.approx(-independent.fun, abs=1e-6)
    # Standard errors: the inverse of a numerical Hessian of that independent likelihood
    # ... at our maximum, by central second differences.
    point = np.r_[
        model.params_["intercept"] - model.design_.means @ beta, beta, model.params_["log_shape"]
    ]
    k = len(point)
    hessian = np.empty((k, k))
    step = 1e-4
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            hessian[i, j] = (
                negative(point + ei + ej)
                - negative(point + ei - ej)
                - negative(point - ei + ej)
                + negative(point - ei - ej)
            ) / (4 * step * step)
    se = np.sqrt(np.diag(np.linalg.inv(hessian)))
    np.testing.assert_allclose(
        model.standard_errors_[ROSSI_COVARIATES].to_numpy(), se[1:-1], rtol=1e-4
    )


def test_weibull_recovers_the_simulated_truth(subscribers: pd.DataFrame) -> None:
    model = WeibullAFTModel().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    table = model.hazard_ratios_.set_index("covariate")
    for name, log_hr in TRUE_LOG_HR.items():
        assert table.loc[name, "lower_95"] < np.exp(log_hr) < table.loc[name, "upper_95"], name
    se_shape = model.shape_ * model.standard_errors_["log_shape"]
    assert abs(model.shape_ - TRUE_SHAPE) < 1.96 * se_shape
    # The same effects read as time ratios: exp(β) = HR^(-1/k).
    ratios = model.time_ratios_.set_index("covariate")["time_ratio"]
    np.testing.assert_allclose(ratios, table["hazard_ratio"] ** (-1 / model.shape_), rtol=1e-12)


@pytest.mark.parametrize("model_type", [CoxPHModel, WeibullAFTModel], ids=["cox", "weibull"])
def test_member_outlook_follows_from_the_survival_curve(
    subscribers: pd.DataFrame, model_type: type[CoxPHModel | WeibullAFTModel]
) -> None:
    model = model_type().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    active = subscribers[~subscribers["cancelled"] & (subscribers["days"] < 1500)].head(500)
    now = active["days"].to_numpy()
    scores = model.score(active, "days", horizons=(30, 90))
    assert list(scores.columns) == ["p_cancel_30d", "p_cancel_90d", "median_residual_life"]
    assert scores.index.equals(active.index)
    curve = model.survival_function(active, [0.0])
    np.testing.assert_allclose(curve[:, 0], 1.0)
    for h in (30, 90):
        s_now = np.diag(model.survival_function(active, now))
        s_later = np.diag(model.survival_function(active, now + h))
        np.testing.assert_allclose(scores[f"p_cancel_{h}d"], 1 - s_later / s_now, rtol=1e-10)
    assert np.all(scores["p_cancel_90d"] >= scores["p_cancel_30d"])
    median = scores["median_residual_life"].to_numpy()
    finite = np.isfinite(median)
    assert finite.mean() > 0.9
    at_median = model.conditional_survival(active[finite], now[finite], median[finite])
    if model_type is WeibullAFTModel:
        np.testing.assert_allclose(at_median, 0.5, rtol=1e-9)
    else:  # Breslow's step function: at or below one half there, above it just before
        assert np.all(at_median <= 0.5 + 1e-12)
        before = model.conditional_survival(active[finite], now[finite], median[finite] - 1e-6)
        assert np.all(before > 0.5)


def test_riskier_members_rank_higher(subscribers: pd.DataFrame) -> None:
    model = CoxPHModel().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    calm = pd.DataFrame(
        {"fee": [40.0], "nps": [10], "cases": [0], "plan": ["max"], "usage_trend": [1.0]}
    )
    upset = pd.DataFrame(
        {"fee": [70.0], "nps": [1], "cases": [3], "plan": ["basic"], "usage_trend": [-1.0]}
    )
    assert model.predict_risk(upset)[0] > model.predict_risk(calm)[0]
    assert (
        model.probability_of_cancelling(upset, 100, 30)[0]
        > model.probability_of_cancelling(calm, 100, 30)[0]
    )


def test_bad_frames_are_refused_with_a_reason(subscribers: pd.DataFrame) -> None:
    model = CoxPHModel().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    unseen = subscribers.head(3).assign(plan=["basic", "gold", "plus"])
    with pytest.raises(ValueError, match="levels not seen when fitting: 'gold'"):
        model.score(unseen, "days")
    with pytest.raises(ValueError, match="'nps' is missing in 1 rows"):
        CoxPHModel().fit(
            subscribers.head(50).assign(nps=[np.nan] + [5] * 49), "days", "cancelled", ["nps"]
        )
    with pytest.raises(ValueError, match="not in the frame: segment"):
        CoxPHModel().fit(subscribers, "days", "cancelled", ["segment"])
    with pytest.raises(ValueError, match="must be finite and > 0"):
        WeibullAFTModel().fit(subscribers.assign(days=0.0), "days", "cancelled", ["nps"])
    with pytest.raises(ValueError, match="nothing to fit"):
        CoxPHModel().fit(subscribers.assign(cancelled=False), "days", "cancelled", ["nps"])
    with pytest.raises(ValueError, match="do not vary explain nothing: constant"):
        CoxPHModel().fit(subscribers.assign(constant=1.0), "days", "cancelled", ["nps", "constant"])
    twice = subscribers.assign(nps_again=subscribers["nps"] * 2.0)
    with pytest.raises(FitError, match="collinear"):
        CoxPHModel().fit(twice, "days", "cancelled", ["nps", "nps_again"])
    with pytest.raises(FitError, match="not fitted"):
        CoxPHModel().score(subscribers, "days")


def test_a_second_draw_gives_the_same_answer_within_error() -> None:
    first = CoxPHModel().fit(simulate_subscribers(5_000, 1), "days", "cancelled", ["nps", "cases"])
    second = CoxPHModel().fit(simulate_subscribers(5_000, 2), "days", "cancelled", ["nps", "cases"])
    gap = np.abs(first.params_ - second.params_)
    assert np.all(gap < 4 * np.sqrt(first.standard_errors_**2 + second.standard_errors_**2))


def test_cox_says_nothing_beyond_its_follow_up(subscribers: pd.DataFrame) -> None:
    model = CoxPHModel().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    assert model.follow_up_ == subscribers["days"].max()
    oldest = subscribers.head(3).assign(days=model.follow_up_ - 10)
    scores = model.score(oldest, "days", horizons=(5, 30))
    assert scores["p_cancel_5d"].notna().all()
    assert scores["p_cancel_30d"].isna().all()  # reaches past the longest follow-up
    weibull = WeibullAFTModel().fit(subscribers, "days", "cancelled", SUBSCRIBER_COVARIATES)
    assert weibull.score(oldest, "days", horizons=(30,))["p_cancel_30d"].notna().all()


def test_text_covariates_as_pandas_categories_give_the_same_fit(
    subscribers: pd.DataFrame,
) -> None:
    as_text = subscribers.assign(plan=subscribers["plan"].astype(object))
    as_category = subscribers.assign(
        plan=pd.Categorical(
            subscribers["plan"], categories=["unused", *sorted(subscribers["plan"].unique())]
        )
    )
    first = CoxPHModel().fit(as_text, "days", "cancelled", SUBSCRIBER_COVARIATES)
    second = CoxPHModel().fit(as_category, "days", "cancelled", SUBSCRIBER_COVARIATES)
    assert first.design_.columns == second.design_.columns  # no column for the unused level
    assert np.array_equal(first.design_.matrix(as_text), second.design_.matrix(as_category))
    assert np.array_equal(first.params_.to_numpy(), second.params_.to_numpy())


def test_weibull_fits_durations_bunched_in_a_narrow_window() -> None:
    # Every member observed for about five years give or take a month, as when each
    # contract has the same number of bills: a shape near 100, far from the exponential.
    rng = np.random.default_rng(7)
    n = 20_000
    x = rng.normal(size=n)
    days = np.round(1800 * rng.weibull(100.0, n) * np.exp(0.002 * x))
    cancelled = rng.random(n) < 0.4
    frame = pd.DataFrame({"days": days, "cancelled": cancelled, "x": x})
    model = WeibullAFTModel().fit(frame, "days", "cancelled", ["x"])
    log_t, dead, z = np.log(days), cancelled.astype(float), x - x.mean()

    def negative(theta: np.ndarray) -> float:
        k = np.exp(theta[2])
        u = k * (log_t - theta[0] * z - theta[1])
        return float(-np.sum(dead * (theta[2] - log_t + u) - np.exp(u)))

    start = model.params_.to_numpy() + np.array([0.001, 0.01, -0.05])
    reference = optimize.minimize(
        negative,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000},
    )
    assert model.log_likelihood_ == pytest.approx(-reference.fun, abs=1e-6)
    np.testing.assert_allclose(model.params_.to_numpy(), reference.x, atol=1e-5)
    assert 50 < model.shape_ < 200
