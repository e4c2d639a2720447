"""The period tests against independent computations: scipy's Welch t-test on the raw
values, and Pearson's chi-squared on the 2 x 2 table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from regulars.analytics.changes import mean_change, share_change


def _stats(values: np.ndarray) -> tuple[int, float, float]:
    return len(values), float(values.sum()), float((values.astype(float) ** 2).sum())


@pytest.mark.parametrize("shift", [0, 150, 600])
def test_welch_from_sums_equals_scipy_on_the_raw_checks(shift: int) -> None:
    rng = np.random.default_rng(shift)
    before = rng.lognormal(8.5, 0.4, 180).round(-2)
    after = rng.lognormal(8.5, 0.6, 240).round(-2) + shift
    change = mean_change(*_stats(before), *_stats(after))
    expected = stats.ttest_ind(after, before, equal_var=False)
    assert change.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    interval = expected.confidence_interval(0.95)
    assert change.low == pytest.approx(interval.low, rel=1e-9)
    assert change.high == pytest.approx(interval.high, rel=1e-9)
    assert change.difference == pytest.approx(after.mean() - before.mean())
    assert change.significant == (expected.pvalue < 0.05)


def test_welch_on_won_sized_sums_keeps_its_precision() -> None:
    """Checks of a million won: sums of squares near 10^17 are floats, the variance still right."""
    before = np.array([1_000_000, 1_002_000] * 500)
    after = np.array([1_000_500, 1_002_500] * 500)
    change = mean_change(*_stats(before), *_stats(after))
    expected = stats.ttest_ind(after, before, equal_var=False)
    assert change.p_value == pytest.approx(expected.pvalue, rel=1e-6)


def test_a_period_with_one_check_is_not_tested() -> None:
    change = mean_change(1, 5_000.0, 25e6, 40, 200_000.0, 1.1e9)
    assert change.significant is None
    assert change.before == 5_000


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"), [(30, 100, 45, 100), (12, 40, 14, 41), (0, 30, 30, 30)]
)
def test_two_proportions_equal_pearsons_chi_squared(k1: int, n1: int, k2: int, n2: int) -> None:
    change = share_change(k1, n1, k2, n2)
    table = [[k1, n1 - k1], [k2, n2 - k2]]
    _, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    assert change.p_value == pytest.approx(p_value, rel=1e-9)
    assert change.before == pytest.approx(100 * k1 / n1)
    assert change.difference == pytest.approx(100 * (k2 / n2 - k1 / n1))


def test_two_proportions_published_example() -> None:
    """Agresti (2013), chapter 2, the Physicians' Health Study: myocardial infarction in 189
    of 11,034 physicians on placebo and 104 of 11,037 on aspirin; the difference of the
    proportions is 0.0077 with the 95 % Wald interval (0.005, 0.011)."""
    change = share_change(104, 11_037, 189, 11_034)
    assert round(change.difference / 100, 4) == 0.0077
    assert round(change.low / 100, 3) == 0.005
    assert round(change.high / 100, 3) == 0.011
    assert change.significant is True
