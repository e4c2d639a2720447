"""The beta-discrete-Weibull (BdW) model: heterogeneity and duration dependence together.

Each subscriber's survival is discrete Weibull, ``P(T > t | θ) = (1 - θ)^(t^c)``, with
``θ ~ Beta(α, β)`` across the cohort, so ``S(t) = B(α, β + t^c) / B(α, β)``. With ``c = 1`` it
is the shifted-beta-geometric model; ``c > 1`` means a subscriber's own propensity to cancel
rises with tenure, ``c < 1`` that it falls. Fader et al. (2018) find ``c > 1`` even where
cohort retention rates rise: the rise comes from heterogeneity (the sorting of a cohort),
not from subscribers growing more loyal. DERL has no closed form here: the series is summed
(:meth:`RetentionModel.discounted_expected_residual_lifetime`).

Public API: :class:`BetaDiscreteWeibullModel`, the same methods as
:class:`regulars.analytics.churn.sbg.ShiftedBetaGeometricModel`, parameters ``alpha``,
``beta``, ``c``.

References
----------
Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J., & Steenburgh, T. (2018). "How to project
customer retention" revisited: the role of duration dependence. *Journal of Interactive
Marketing*, 43, 1–16.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma

from regulars.analytics.churn.retention import RetentionModel
from regulars.analytics.clv.base import FloatArray


class BetaDiscreteWeibullModel(RetentionModel):
    """BdW fitted by maximum likelihood (parameters ``alpha``, ``beta``, ``c``)."""

    parameter_names = ("alpha", "beta", "c")
    start = (1.0, 1.0, 1.0)

    def _draw(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        """``T = ⌈(log U / log(1-θ))^(1/c)⌉``, the inverse of the discrete Weibull survival."""
        a, b, c = self._param_values()
        theta = np.clip(rng.beta(a, b, size=n), 1e-12, 1 - 1e-12)
        raw = np.log(rng.uniform(size=n)) / np.log1p(-theta)
        return theta, np.maximum(np.ceil(raw ** (1 / c)), 1.0)

    def _log_survival(self, t: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        a, b, c = np.exp(theta)
        positive = t > 0
        safe = np.where(positive, t, 1.0)
        u = np.where(positive, safe**c, 0.0)
        value = betaln(a, b + u) - betaln(a, b)
        psi_ab = digamma(a + b)
        psi_abu = digamma(a + b + u)
        d_a = psi_ab - psi_abu
        d_u = digamma(b + u) - psi_abu
        d_b = d_u - digamma(b) + psi_ab
        d_c = np.where(positive, d_u * u * np.log(safe), 0.0)
        return value, np.stack([a * d_a, b * d_b, c * d_c], axis=-1)
