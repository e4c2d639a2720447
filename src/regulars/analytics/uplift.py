"""The measured effect of a campaign: treated against a random holdout.

Two uplifts, each with a 95 % interval and a test of whether it differs from zero:

- **conversion** (the share of assigned members who bought within the attribution window):
  the difference of two independent proportions, with **Newcombe's hybrid score interval**
  (Newcombe 1998, method 10: each arm's Wilson score interval combined by the square-and-add
  rule), which keeps its coverage for small counts and rates near 0 or 1 where the Wald
  interval fails; the test is the two-sample z-test on the pooled proportion (Agresti 2013,
  section 2.1.4);
- **revenue per member** (net spend within the window, zeros included): the difference of
  two means with **Welch's** t interval and test (Welch 1947), which does not assume equal
  variances — a campaign usually changes the spread of spend as well as its mean.

A difference "cannot yet be told from zero" when its interval contains zero (p >= 0.05):
:func:`verdict` says so in words, and says how the treated fared when it can.

References
----------
.. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
   proportions: comparison of eleven methods. *Statistics in Medicine*, 17(8), 873-890.
.. [2] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. *JASA*, 22(158), 209-212.
.. [3] Welch, B. L. (1947). The generalization of "Student's" problem when several different
   population variances are involved. *Biometrika*, 34(1-2), 28-35.
.. [4] Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed. Wiley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5 % point of the standard normal


@dataclass(frozen=True)
class Difference:
    """``treated - holdout`` with its interval, and the two-sided p-value of "no effect"."""

    estimate: float
    lower: float
    upper: float
    p_value: float
    method: str

    @property
    def significant(self) -> bool:
        return self.lower > 0 or self.upper < 0


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion (1927); (0, 1) when ``n`` is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Difference:
    """``x1/n1 - x2/n2`` with Newcombe's hybrid score interval (1998, method 10) and the
    pooled two-proportion z-test.

    >>> d = newcombe_difference(56, 70, 48, 80)
    >>> round(d.estimate, 4), round(d.lower, 4), round(d.upper, 4)
    (0.2, 0.0524, 0.3339)
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need members")
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("successes must lie between 0 and the group's size")
    z = _z(confidence)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else 2 * _normal_sf(abs(d) / se)
    return Difference(d, lower, upper, min(1.0, p_value), "Newcombe hybrid score (method 10)")


def welch_difference(
    mean1: float,
    var1: float,
    n1: int,
    mean2: float,
    var2: float,
    n2: int,
    confidence: float = 0.95,
) -> Difference:
    """``mean1 - mean2`` with Welch's t interval and test (sample variances with n - 1).

    With no spread in either group (all zeros), the difference is exact: its interval is
    the point and its p-value 1 if it is 0."""
    from scipy import stats

    if n1 < 2 or n2 < 2:
        raise ValueError("Welch's test needs at least two members in each group")
    d = mean1 - mean2
    a, b = var1 / n1, var2 / n2
    se = math.sqrt(a + b)
    if se == 0:
        return Difference(d, d, d, 1.0 if d == 0 else 0.0, "Welch t")
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, df))
    p_value = float(2 * stats.t.sf(abs(d) / se, df))
    return Difference(d, d - t * se, d + t * se, p_value, "Welch t")


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie between 0 and 1")
    if abs(confidence - 0.95) < 1e-12:
        return Z95
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def verdict(what: str, difference: Difference | None, unit: str = "") -> str:
    """The uplift in words: which way it goes, or that it cannot yet be told from zero."""
    if difference is None:
        return f"{what}: not measurable yet (both the treated and the holdout need members)"
    low, high = difference.lower, difference.upper
    span = f"95 % interval {low:+.4g}{unit} to {high:+.4g}{unit}, p = {difference.p_value:.3g}"
    if not difference.significant:
        return f"{what}: cannot yet be told from zero ({span})"
    direction = "higher" if difference.estimate > 0 else "lower"
    return f"{what}: {direction} for the treated by {difference.estimate:+.4g}{unit} ({span})"
