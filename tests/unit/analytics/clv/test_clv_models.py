"""BG/NBD, Pareto/NBD and Gamma-Gamma on CDNOW, against the published figures and lifetimes.

Published: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing
Science 24(2) (BG/NBD and Pareto/NBD, CDNOW sample of 2,357, weeks); "RFM and CLV: Using
Iso-Value Curves", JMR 42(4) (Gamma-Gamma on the 946 repeat buyers). lifetimes: 0.11.3, run on
the same files by bench/lifetimes_cdnow_reference.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from regulars.analytics.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from regulars.analytics.clv.base import FitError


@pytest.fixture(scope="module")
def bgnbd(cdnow_summary: pd.DataFrame) -> BetaGeoModel:
    s = cdnow_summary
    return BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])


@pytest.fixture(scope="module")
def pareto(cdnow_summary: pd.DataFrame) -> ParetoNBDModel:
    s = cdnow_summary
    return ParetoNBDModel().fit(s["frequency"], s["recency"], s["T"])


@pytest.fixture(scope="module")
def gamma_gamma(cdnow_spend: pd.DataFrame) -> GammaGammaModel:
    repeat = cdnow_spend[cdnow_spend["x"] > 0]
    return GammaGammaModel().fit(repeat["x"], repeat["zbar"])


def test_bgnbd_matches_the_published_cdnow_estimates(bgnbd: BetaGeoModel) -> None:
    assert round(bgnbd.params_["r"], 3) == 0.243
    assert round(bgnbd.params_["alpha"], 3) == 4.414
    assert round(bgnbd.params_["a"], 3) == 0.793
    assert round(bgnbd.params_["b"], 3) == 2.426
    assert round(bgnbd.log_likelihood_, 1) == -9582.4
    assert bgnbd.n_members_ == 2357


def test_bgnbd_standard_errors_match_lifetimes_summary(bgnbd: BetaGeoModel) -> None:
    # lifetimes' documentation, BetaGeoFitter.summary on CDNOW: se(coef) column.
    expected = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
    for name, se in expected.items():
        assert bgnbd.standard_errors_[name] == pytest.approx(se, abs=2e-6)


def test_bgnbd_agrees_with_lifetimes(
    bgnbd: BetaGeoModel, lifetimes_params: dict[str, Any], lifetimes_predictions: pd.DataFrame
) -> None:
    for name, value in lifetimes_params["bgnbd"].items():
        assert bgnbd.params_[name] == pytest.approx(value, rel=1e-5)
    p = lifetimes_predictions
    args = (p["frequency"], p["recency"], p["T"])
    np.testing.assert_allclose(
        bgnbd.expected_purchases(39, *args), p["bgnbd_expected_purchases_39"], rtol=1e-5
    )
    np.testing.assert_allclose(
        bgnbd.expected_probability_alive(*args), p["bgnbd_probability_alive"], rtol=1e-5
    )
    assert bgnbd.expected_purchases_new_customer(39)[0] == pytest.approx(
        lifetimes_params["bgnbd_expected_purchases_new_customer_39"], rel=1e-5
    )


def test_pareto_nbd_matches_the_published_cdnow_estimates(pareto: ParetoNBDModel) -> None:
    assert round(pareto.params_["r"], 3) == 0.553
    assert round(pareto.params_["alpha"], 2) == 10.58
    assert round(pareto.params_["s"], 3) == 0.606
    assert round(pareto.params_["beta"], 2) == 11.67
    assert round(pareto.log_likelihood_, 1) == -9595.0


def test_pareto_nbd_reaches_at_least_lifetimes_likelihood_and_agrees_on_predictions(
    pareto: ParetoNBDModel,
    cdnow_summary: pd.DataFrame,
    lifetimes_params: dict[str, Any],
    lifetimes_predictions: pd.DataFrame,
) -> None:
    s = cdnow_summary
    theirs = ParetoNBDModel()
    theirs.params_ = pd.Series(lifetimes_params["pnbd"])[list(ParetoNBDModel.parameter_names)]
    their_ll = theirs.log_likelihood(s["frequency"], s["recency"], s["T"]).sum()
    assert pareto.log_likelihood_ >= their_ll - 1e-9
    assert pareto.log_likelihood_ == pytest.approx(their_ll, abs=1e-3)
    for name, value in lifetimes_params["pnbd"].items():
        assert pareto.params_[name] == pytest.approx(value, rel=2e-4)
    p = lifetimes_predictions
    args = (p["frequency"], p["recency"], p["T"])
    np.testing.assert_allclose(
        pareto.expected_probability_alive(*args), p["pnbd_probability_alive"], rtol=1e-3
    )
    np.testing.assert_allclose(
        pareto.expected_purchases(39, *args), p["pnbd_expected_purchases_39"], rtol=1e-3
    )


def test_gamma_gamma_matches_the_published_estimates_and_lifetimes(
    gamma_gamma: GammaGammaModel,
    lifetimes_params: dict[str, Any],
    lifetimes_spend_predictions: pd.DataFrame,
) -> None:
    # Published p = 6.25, q = 3.74, γ = 15.44; on the rounded zbar lifetimes ships, the MLE of
    # γ is 15.4477 (lifetimes finds the same), one unit off in the second decimal.
    assert round(gamma_gamma.params_["p"], 2) == 6.25
    assert round(gamma_gamma.params_["q"], 2) == 3.74
    assert gamma_gamma.params_["v"] == pytest.approx(15.44, abs=0.01)
    for name, value in lifetimes_params["gg"].items():
        assert gamma_gamma.params_[name] == pytest.approx(value, rel=1e-5)
    sp = lifetimes_spend_predictions
    np.testing.assert_allclose(
        gamma_gamma.conditional_expected_average_profit(sp["x"], sp["zbar"]),
        sp["gg_expected_average_profit"],
        rtol=1e-5,
    )


def test_lifetime_value_agrees_with_lifetimes(
    bgnbd: BetaGeoModel,
    gamma_gamma: GammaGammaModel,
    lifetimes_spend_predictions: pd.DataFrame,
) -> None:
    sp = lifetimes_spend_predictions
    clv = gamma_gamma.customer_lifetime_value(
        bgnbd, sp["x"], sp["t_x"], sp["T"], sp["zbar"], time=12, discount_rate=0.01, period=4.345
    )
    np.testing.assert_allclose(clv, sp["bgnbd_gg_clv_12_months"], rtol=1e-5)


def test_bgnbd_gradient_is_the_derivative_of_the_likelihood(cdnow_summary: pd.DataFrame) -> None:
    from regulars.analytics.clv.bgnbd import _negative_log_likelihood

    s = cdnow_summary
    x, t_x, age = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    weights = np.ones_like(x)
    theta = np.log([0.3, 5.0, 0.9, 2.0])
    _, gradient = _negative_log_likelihood(theta, x, t_x, age, weights)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6
        numeric = (
            _negative_log_likelihood(theta + step, x, t_x, age, weights)[0]
            - _negative_log_likelihood(theta - step, x, t_x, age, weights)[0]
        ) / 2e-6
        assert gradient[i] == pytest.approx(numeric, rel=1e-5)


def test_pareto_nbd_likelihood_stays_exact_at_high_frequency() -> None:
    model = ParetoNBDModel()
    model.params_ = pd.Series({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    r, alpha, s, beta = model._param_values()
    for x, t_x, age in [(0, 0.0, 38.0), (3, 20.0, 38.0), (400, 30.0, 38.0), (2000, 37.5, 38.0)]:
        # The 'died between t_x and T' integral by quadrature, scaled to stay in range.
        def integrand(tau: float, x: float = x, t_x: float = t_x) -> float:
            return float(
                np.exp(
                    -(r + x) * (np.log(alpha + tau) - np.log(alpha + t_x))
                    - (s + 1) * (np.log(beta + tau) - np.log(beta + t_x))
                )
            )

        scaled, _ = integrate.quad(integrand, t_x, age, epsabs=0, epsrel=1e-12, limit=200)
        log_died = (
            np.log(s)
            + np.log(scaled)
            - (r + x) * np.log(alpha + t_x)
            - (s + 1) * np.log(beta + t_x)
            if age > t_x
            else -np.inf
        )
        log_alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
        from scipy.special import gammaln

        expected = (
            gammaln(r + x)
            - gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta)
            + np.logaddexp(log_alive, log_died)
        )
        got = model.log_likelihood(x, t_x, age)[0]
        assert np.isfinite(got)
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-9)
        alive = model.expected_probability_alive(x, t_x, age)[0]
        assert alive == pytest.approx(1 / (1 + np.exp(log_died - log_alive)), rel=1e-9)


def test_bgnbd_survival_integrates_the_dropout_over_the_posterior(bgnbd: BetaGeoModel) -> None:
    r, alpha, a, b = bgnbd._param_values()
    x, t_x, age = 4, 20.0, 38.86
    for t in (1.0, 10.0, 52.0, 500.0):
        # Given alive: λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x), loss at rate λp.
        value, _ = integrate.quad(
            lambda p, t=t: stats.beta.pdf(p, a, b + x) * (1 + p * t / (alpha + age)) ** -(r + x),
            0,
            1,
            epsabs=0,
            epsrel=1e-11,
        )
        assert bgnbd.conditional_survival(t, x, t_x, age)[0] == pytest.approx(value, rel=1e-8)
    curve = bgnbd.survival_function(np.array([0.0, 5.0, 50.0, 500.0]), x, t_x, age)
    assert curve[0] == pytest.approx(bgnbd.expected_probability_alive(x, t_x, age)[0])
    assert np.all(np.diff(curve) < 0)


def test_mean_time_to_loss_is_the_area_under_the_conditional_survival_curve() -> None:
    model = BetaGeoModel()
    model.params_ = pd.Series({"r": 1.5, "alpha": 4.0, "a": 2.5, "b": 3.0})
    area, _ = integrate.quad(lambda t: model.conditional_survival(t, 3, 20.0, 30.0)[0], 0, np.inf)
    assert model.expected_time_to_loss(3, 20.0, 30.0)[0] == pytest.approx(area, rel=1e-6)
    pareto = ParetoNBDModel()
    pareto.params_ = pd.Series({"r": 0.5, "alpha": 10.0, "s": 2.0, "beta": 12.0})
    area, _ = integrate.quad(lambda t: pareto.conditional_survival(t, 3, 20.0, 30.0)[0], 0, np.inf)
    assert pareto.expected_time_to_loss(3, 20.0, 30.0)[0] == pytest.approx(area, rel=1e-6)
    # CDNOW's a < 1: the mean is infinite, the median is not.
    assert np.isinf(BetaGeoModel_cdnow().expected_time_to_loss(3, 20.0, 30.0)[0])


def BetaGeoModel_cdnow() -> BetaGeoModel:  # noqa: N802
    model = BetaGeoModel()
    model.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    return model


@pytest.mark.parametrize("model_type", [BetaGeoModel, ParetoNBDModel])
def test_median_time_to_loss_is_where_p_alive_reaches_one_half(
    model_type: type[BetaGeoModel] | type[ParetoNBDModel],
    bgnbd: BetaGeoModel,
    pareto: ParetoNBDModel,
) -> None:
    model = bgnbd if model_type is BetaGeoModel else pareto
    x = np.array([0, 2, 10, 1, 6])
    t_x = np.array([0.0, 30.4, 38.0, 1.7, 10.0])
    age = np.full(5, 38.86)
    median = model.median_time_to_loss(x, t_x, age)
    alive_now = model.expected_probability_alive(x, t_x, age)
    for i in range(5):
        if alive_now[i] <= 0.5:
            assert median[i] == 0
        else:
            assert 0 < median[i] < np.inf
            at = model.survival_function(median[i], x[i], t_x[i], age[i])[0]
            assert at == pytest.approx(0.5, abs=1e-9)


def test_predicting_before_fitting_is_an_error() -> None:
    with pytest.raises(FitError, match="not fitted"):
        BetaGeoModel().expected_probability_alive(1, 1.0, 2.0)


def test_inconsistent_summaries_are_rejected() -> None:
    with pytest.raises(ValueError, match="recency"):
        BetaGeoModel().fit([1, 2], [5.0, 12.0], [10.0, 10.0])
