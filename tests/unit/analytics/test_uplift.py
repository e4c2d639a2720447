"""The uplift intervals against published figures and an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.proportion import test_proportions_2indep as score_test

from regulars.analytics.uplift import newcombe_difference, verdict, welch_difference

# Newcombe (1998), Table II, method 10 (hybrid score, no continuity correction).
PUBLISHED = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), PUBLISHED)
def test_newcombe_matches_the_published_table(
    counts: tuple[int, int, int, int], published: tuple[float, float]
) -> None:
    d = newcombe_difference(*counts)
    assert (round(d.lower, 4), round(d.upper, 4)) == published


@pytest.mark.parametrize(
    "counts", [(120, 900, 8, 100), (33, 1000, 30, 1000), (1, 50, 2, 6), (400, 450, 40, 50)]
)
def test_newcombe_and_its_test_match_statsmodels(counts: tuple[int, int, int, int]) -> None:
    d = newcombe_difference(*counts)
    low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
    assert d.lower == pytest.approx(low, abs=1e-12)
    assert d.upper == pytest.approx(high, abs=1e-12)
    expected = score_test(*counts, method="score", compare="diff", correction=False)
    assert d.p_value == pytest.approx(expected.pvalue, rel=1e-6)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(5)
    treated = np.where(rng.random(900) < 0.3, rng.gamma(2.0, 9000.0, 900), 0.0)
    holdout = np.where(rng.random(100) < 0.22, rng.gamma(2.0, 8000.0, 100), 0.0)
    d = welch_difference(treated.mean(), treated.var(ddof=1), len(treated),
                         holdout.mean(), holdout.var(ddof=1), len(holdout))  # fmt: skip
    reference = stats.ttest_ind(treated, holdout, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert d.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert d.lower == pytest.approx(interval.low, rel=1e-9)
    assert d.upper == pytest.approx(interval.high, rel=1e-9)


def test_verdict_says_when_the_effect_cannot_be_told_from_zero() -> None:
    unclear = newcombe_difference(33, 1000, 30, 1000)
    assert "cannot yet be told from zero" in verdict("conversion", unclear)
    clear = newcombe_difference(56, 70, 48, 80)
    assert verdict("conversion", clear).startswith("conversion: higher for the treated")
    assert "not measurable yet" in verdict("conversion", None)
