"""Did a figure change from one period to the next? Tests a sentence can rely on.

A briefing says "the average check rose" or "returning customers fell" only when a test
says the change is larger than chance; otherwise it says the change is within the margin.
Both tests here take the periods' sufficient statistics (counts, sums, sums of squares), so
the per-purchase work stays in the database. The NPS has its own test
(:func:`regulars.analytics.nps.nps_difference`).

References
----------
.. [1] Welch, B. L. (1947). The generalization of "Student's" problem when several different
   population variances are involved. *Biometrika*, 34(1-2), 28-35.
.. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
   components. *Biometrics Bulletin*, 2(6), 110-114.
.. [3] Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., Wiley, section 3.1.3
   (comparing two proportions: the Wald interval of the difference and the pooled z-test,
   which equals Pearson's chi-squared test of the 2 x 2 table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from regulars.analytics.nps import z_value


@dataclass(frozen=True)
class Change:
    """A figure in two periods, the difference (after - before), its interval and the test.

    ``significant`` is None when the test cannot be made (a period without data)."""

    before: float
    after: float
    difference: float
    low: float
    high: float
    p_value: float
    significant: bool | None
    n_before: int
    n_after: int

    @property
    def direction(self) -> str:
        """``up``, ``down`` or ``same`` (the sign of the difference, whatever the test)."""
        if self.difference > 0:
            return "up"
        if self.difference < 0:
            return "down"
        return "same"


NAN = float("nan")


def _untestable(before: float, after: float, n_before: int, n_after: int) -> Change:
    return Change(before, after, after - before, NAN, NAN, NAN, None, n_before, n_after)


def mean_change(
    n_before: int,
    sum_before: float,
    squares_before: float,
    n_after: int,
    sum_after: float,
    squares_after: float,
    confidence: float = 0.95,
) -> Change:
    """Welch's t-test of two means from counts, sums and sums of squares (e.g. the checks of
    two periods): unequal variances, Welch-Satterthwaite degrees of freedom [1]_ [2]_.

    The sample variance is ``(Σx² - (Σx)²/n) / (n - 1)``; each period needs two values.
    ``low``/``high`` bound the difference of the means (after - before).
    """
    if n_before < 2 or n_after < 2:
        before = sum_before / n_before if n_before else NAN
        after = sum_after / n_after if n_after else NAN
        return _untestable(before, after, n_before, n_after)
    mean_b, mean_a = sum_before / n_before, sum_after / n_after
    var_b = max(0.0, (squares_before - sum_before * mean_b) / (n_before - 1))
    var_a = max(0.0, (squares_after - sum_after * mean_a) / (n_after - 1))
    se_b, se_a = var_b / n_before, var_a / n_after
    se = math.sqrt(se_b + se_a)
    difference = mean_a - mean_b
    if se == 0:
        p_value = 1.0 if difference == 0 else 0.0
        return Change(
            mean_b,
            mean_a,
            difference,
            difference,
            difference,
            p_value,
            p_value < 1 - confidence,
            n_before,
            n_after,
        )
    freedom = (se_b + se_a) ** 2 / (se_b**2 / (n_before - 1) + se_a**2 / (n_after - 1))
    t = difference / se
    p_value = float(2 * stats.t.sf(abs(t), freedom))
    half = float(stats.t.ppf(0.5 + confidence / 2, freedom)) * se
    return Change(
        mean_b,
        mean_a,
        difference,
        difference - half,
        difference + half,
        p_value,
        p_value < 1 - confidence,
        n_before,
        n_after,
    )


def share_change(
    k_before: int, n_before: int, k_after: int, n_after: int, confidence: float = 0.95
) -> Change:
    """Two proportions (``k`` of ``n``) in percent: the pooled two-sided z-test and the Wald
    interval of the difference [3]_ (the z-test equals Pearson's chi-squared on the 2 x 2
    table, without continuity correction)."""
    if n_before == 0 or n_after == 0:
        before = 100 * k_before / n_before if n_before else NAN
        after = 100 * k_after / n_after if n_after else NAN
        return _untestable(before, after, n_before, n_after)
    p_b, p_a = k_before / n_before, k_after / n_after
    pooled = (k_before + k_after) / (n_before + n_after)
    difference = p_a - p_b
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_before + 1 / n_after))
    p_value = 1.0 if se_pooled == 0 else float(2 * stats.norm.sf(abs(difference) / se_pooled))
    se = math.sqrt(p_b * (1 - p_b) / n_before + p_a * (1 - p_a) / n_after)
    half = z_value(confidence) * se
    return Change(
        100 * p_b,
        100 * p_a,
        100 * difference,
        100 * (difference - half),
        100 * (difference + half),
        p_value,
        p_value < 1 - confidence,
        n_before,
        n_after,
    )
