"""sBG and BdW on the published worked example, against the papers and independent computations.

The data: Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
Marketing 21(1), table 1 — the percentage of two cohorts of 1,000 customers ("high end" and
"regular", from Berry & Linoff 2004) still subscribed after years 0..12. The paper fits the
first seven years (years 0..7) and projects years 8..12; it prints α = 0.668, β = 3.806 (high
end) and α = 0.704, β = 1.182 (regular), and its spreadsheet appendix starts Solver at
α = β = 1, where the high end's log-likelihood is −2,115.5; at the maximum it is −1,611.2.
The regular cohort's maximum, −1,680.3, is not printed in the paper: it is checked here
against an independent Nelder–Mead fit of a likelihood written out in this file (and agrees
with public replications).

DERL: Fader & Hardie (2010), "Customer-base valuation in a contractual setting", Marketing
Science 29(1), the closed form for the sBG; checked against the series summed directly here,
and against the public sBG implementation of J. D. Maturen (shifted_beta_geometric_py),
whose README prints 7.530 for the high-end survivors after seven years at d = 10 % and
projections 0.460, 0.436, 0.414, 0.395, 0.378 for years 8..12.

BdW: Fader, Hardie, Liu, Davin & Steenburgh (2018), J. Interactive Marketing 43, calibrate
BG and BdW on the first four renewals of the high-end cohort and report the polarisation
index φ = 1/(α+β+1): 0.099 under BG and 0.335 under BdW (quoted from the paper by public
replications).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.special import betaln

from regulars.analytics.churn import (
    BetaDiscreteWeibullModel,
    RetentionModel,
    ShiftedBetaGeometricModel,
    cohort_table,
)

HIGH_END = [100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4]
REGULAR = [100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3]
CALIBRATION_YEARS = 7


def counts(percent: list[float], years: int) -> np.ndarray:
    """Customers alive after years 0..years, of the cohort of 1,000."""
    return np.round(np.array(percent[: years + 1]) * 10)


def fitted(
    model: type[ShiftedBetaGeometricModel | BetaDiscreteWeibullModel],
    percent: list[float],
    years: int = CALIBRATION_YEARS,
) -> RetentionModel:
    table = cohort_table(counts(percent, years))
    return model().fit(table["periods"], table["cancelled"], table["subscribers"])


def independent_log_likelihood(alive: np.ndarray, a: float, b: float, c: float = 1.0) -> float:
    """The cohort likelihood written out again: Σ lost_t log P(T=t) + alive_n log S(n)."""
    n = len(alive) - 1
    t = np.arange(1, n + 1)

    def survival(x: np.ndarray | int) -> np.ndarray:
        return np.exp(betaln(a, b + np.asarray(x, dtype=float) ** c) - betaln(a, b))

    lost = alive[:-1] - alive[1:]
    return float(lost @ np.log(survival(t - 1) - survival(t)) + alive[-1] * np.log(survival(n)))


def independent_fit(alive: np.ndarray, weibull: bool) -> np.ndarray:
    def negative(x: np.ndarray) -> float:
        p = np.exp(x)
        return -independent_log_likelihood(alive, *p)

    start = np.zeros(3 if weibull else 2)
    result = optimize.minimize(
        negative,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-11, "fatol": 1e-11, "maxiter": 20000},
    )
    return np.exp(result.x)


@pytest.mark.parametrize(
    ("percent", "alpha", "beta", "log_likelihood"),
    [(HIGH_END, 0.668, 3.806, -1611.2), (REGULAR, 0.704, 1.182, -1680.3)],
    ids=["high end", "regular"],
)
def test_sbg_matches_the_paper(
    percent: list[float], alpha: float, beta: float, log_likelihood: float
) -> None:
    model = fitted(ShiftedBetaGeometricModel, percent)
    assert round(model.params_["alpha"], 3) == alpha
    assert round(model.params_["beta"], 3) == beta
    assert round(model.log_likelihood_, 1) == log_likelihood
    assert model.n_members_ == 1000
    independent = independent_fit(counts(percent, CALIBRATION_YEARS), weibull=False)
    np.testing.assert_allclose(model.params_.to_numpy(), independent, rtol=1e-6)


def test_log_likelihood_at_the_spreadsheet_start_is_the_papers() -> None:
    table = cohort_table(counts(HIGH_END, CALIBRATION_YEARS))
    start = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0)
    value = start.log_likelihood(table["periods"], table["cancelled"], table["subscribers"])
    assert round(value, 1) == -2115.5


def test_sbg_projects_years_8_to_12() -> None:
    model = fitted(ShiftedBetaGeometricModel, HIGH_END)
    projected = model.survival_function(np.arange(8, 13))
    np.testing.assert_allclose(projected.round(3), [0.460, 0.436, 0.414, 0.395, 0.378])
    # ... and the projections track what the cohort actually did, as the paper shows.
    actual = np.array(HIGH_END[8:]) / 100
    assert np.max(np.abs(projected - actual)) < 0.017
    regular = fitted(ShiftedBetaGeometricModel, REGULAR)
    assert (
        np.max(np.abs(regular.survival_function(np.arange(8, 13)) - np.array(REGULAR[8:]) / 100))
        < 0.01
    )
    np.testing.assert_allclose(
        model.expected_survivors(np.arange(13), 1000), 1000 * model.survival_function(np.arange(13))
    )


def test_retention_rate_and_churn_probability_follow_from_survival() -> None:
    model = fitted(ShiftedBetaGeometricModel, HIGH_END)
    a, b = model.params_["alpha"], model.params_["beta"]
    t = np.arange(1, 13)
    s = model.survival_function(np.arange(0, 13))
    np.testing.assert_allclose(model.retention_rate(t), (b + t - 1) / (a + b + t - 1))
    np.testing.assert_allclose(model.retention_rate(t), s[1:] / s[:-1])
    np.testing.assert_allclose(model.churn_probability(t), s[:-1] - s[1:])
    # Retention rises with tenure: the sorting effect of a heterogeneous cohort.
    assert np.all(np.diff(model.retention_rate(t)) > 0)
    np.testing.assert_allclose(model.conditional_survival(3, 7), s[10] / s[7])


def test_standard_errors_are_the_inverse_hessian_of_the_likelihood() -> None:
    model = fitted(ShiftedBetaGeometricModel, HIGH_END)
    alive = counts(HIGH_END, CALIBRATION_YEARS)
    point = model.params_.to_numpy()
    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            hi, hj = np.eye(2)[i] * 1e-4 * point[i], np.eye(2)[j] * 1e-4 * point[j]
            corners = [
                independent_log_likelihood(alive, *(point + si * hi + sj * hj)) * si * sj
                for si in (1, -1)
                for sj in (1, -1)
            ]
            hessian[i, j] = sum(corners) / (4 * hi[i] * hj[j])
    expected = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(model.standard_errors_.to_numpy(), expected, rtol=1e-5)


def test_derl_matches_the_series_and_a_public_implementation() -> None:
    model = fitted(ShiftedBetaGeometricModel, HIGH_END)
    a, b = model.params_["alpha"], model.params_["beta"]
    d = 0.10
    # Survivors after seven years: 7.530 in shifted_beta_geometric_py's README.
    assert round(float(model.discounted_expected_residual_lifetime(7, d)), 3) == 7.530
    for n in (0, 1, 4, 7, 20):
        k = np.arange(0, 5000)
        series = np.exp(betaln(a, b + n + 1 + k) - betaln(a, b + n)) / (1 + d) ** k
        assert model.discounted_expected_residual_lifetime(n, d) == pytest.approx(
            series.sum(), rel=1e-10
        )
    # The generic series of the base class gives the same number as the closed form.
    generic = BetaDiscreteWeibullModel.from_params(alpha=a, beta=b, c=1.0)
    np.testing.assert_allclose(
        generic.discounted_expected_residual_lifetime([0, 3, 7], d),
        model.discounted_expected_residual_lifetime(np.array([0, 3, 7]), d),
        rtol=1e-10,
    )
    # Residual value per subscriber by tenure: DERL times one period's margin.
    np.testing.assert_allclose(
        model.residual_value([0, 7], d, 12_000),
        12_000 * model.discounted_expected_residual_lifetime(np.array([0, 7]), d),
    )
    # A longer-tenured survivor is worth more: the best remain (Fader & Hardie 2010).
    assert np.all(np.diff(model.discounted_expected_residual_lifetime(np.arange(10), d)) > 0)


def test_bdw_with_c_one_is_the_sbg() -> None:
    t = np.arange(0, 15)
    sbg = ShiftedBetaGeometricModel.from_params(alpha=0.7, beta=1.2)
    bdw = BetaDiscreteWeibullModel.from_params(alpha=0.7, beta=1.2, c=1.0)
    np.testing.assert_allclose(bdw.survival_function(t), sbg.survival_function(t), rtol=1e-12)
    np.testing.assert_allclose(bdw.retention_rate(t[1:]), sbg.retention_rate(t[1:]), rtol=1e-12)


def test_bdw_matches_the_2018_papers_polarisation_on_four_renewals() -> None:
    sbg = fitted(ShiftedBetaGeometricModel, HIGH_END, years=4)
    bdw = fitted(BetaDiscreteWeibullModel, HIGH_END, years=4)

    def polarisation(model: ShiftedBetaGeometricModel | BetaDiscreteWeibullModel) -> float:
        return float(1 / (model.params_["alpha"] + model.params_["beta"] + 1))

    assert round(polarisation(sbg), 3) == 0.099
    assert round(polarisation(bdw), 3) == 0.335
    assert bdw.params_["c"] > 1  # individual churn propensities rise with tenure


@pytest.mark.parametrize("percent", [HIGH_END, REGULAR], ids=["high end", "regular"])
def test_bdw_fit_on_seven_years_is_the_maximum(percent: list[float]) -> None:
    model = fitted(BetaDiscreteWeibullModel, percent)
    alive = counts(percent, CALIBRATION_YEARS)
    np.testing.assert_allclose(
        model.params_.to_numpy(), independent_fit(alive, weibull=True), rtol=1e-4
    )
    assert model.log_likelihood_ == pytest.approx(
        independent_log_likelihood(alive, *model.params_.to_numpy()), abs=1e-8
    )
    # Nested: BdW's maximum is at least sBG's.
    assert model.log_likelihood_ >= fitted(ShiftedBetaGeometricModel, percent).log_likelihood_
    assert np.all(model.standard_errors_.to_numpy() > 0)
    # DERL by the series, against a direct sum written out here.
    a, b, c = model.params_.to_numpy()
    k = np.arange(0, 5000)
    direct = np.exp(betaln(a, b + (7 + 1 + k) ** c) - betaln(a, b + 7**c)) / 1.1**k
    assert model.discounted_expected_residual_lifetime(7, 0.1) == pytest.approx(
        direct.sum(), rel=1e-10
    )


@pytest.mark.parametrize(
    ("model", "truth"),
    [
        (ShiftedBetaGeometricModel, {"alpha": 0.8, "beta": 2.5}),
        (BetaDiscreteWeibullModel, {"alpha": 0.9, "beta": 2.0, "c": 1.4}),
    ],
    ids=["sBG", "BdW"],
)
def test_recovers_known_parameters_from_simulated_cohorts(
    model: type[ShiftedBetaGeometricModel | BetaDiscreteWeibullModel], truth: dict[str, float]
) -> None:
    rng = np.random.default_rng(17)
    # Cohorts acquired in each of 24 months, each observed up to now: own spans, censored.
    spans = rng.integers(1, 25, size=40_000)
    data = model.from_params(**truth).simulate(40_000, spans, rng)
    assert np.all(data["periods"] <= spans)
    fit = model().fit(data["periods"], data["cancelled"])
    for name, value in truth.items():
        low = fit.params_[name] - 1.96 * fit.standard_errors_[name]
        high = fit.params_[name] + 1.96 * fit.standard_errors_[name]
        assert low < value < high, (name, low, value, high)


def test_grouped_and_per_subscriber_rows_give_the_same_fit() -> None:
    table = cohort_table(counts(REGULAR, CALIBRATION_YEARS))
    rows = table.loc[table.index.repeat(table["subscribers"].astype(int))]
    one = ShiftedBetaGeometricModel().fit(rows["periods"], rows["cancelled"])
    grouped = ShiftedBetaGeometricModel().fit(
        table["periods"], table["cancelled"], table["subscribers"]
    )
    np.testing.assert_allclose(one.params_.to_numpy(), grouped.params_.to_numpy(), rtol=1e-8)


@pytest.mark.parametrize(
    ("periods", "cancelled", "message"),
    [
        ([1.5, 2], [True, False], "whole numbers"),
        ([0, 2], [True, False], ">= 1 for a subscriber who cancelled"),
        ([-1, 2], [False, False], "whole numbers"),
        ([1, 2, 3], [True, False], "same length"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    periods: list[float], cancelled: list[bool], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometricModel().fit(periods, cancelled)


def test_other_misuse_is_refused() -> None:
    with pytest.raises(ValueError, match="non-increasing"):
        cohort_table([100, 120, 90])
    with pytest.raises(ValueError, match="takes positive"):
        ShiftedBetaGeometricModel.from_params(alpha=1.0)
    model = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=2.0)
    with pytest.raises(ValueError, match="discount_rate"):
        model.discounted_expected_residual_lifetime(3, 0.0)
    with pytest.raises(ValueError, match="t >= 1"):
        model.retention_rate(0)
    assert isinstance(cohort_table(pd.Series([10, 5, 2])), pd.DataFrame)
