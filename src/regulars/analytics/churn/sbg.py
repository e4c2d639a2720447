"""The shifted-beta-geometric (sBG) model of contract renewals.

Each subscriber cancels at every renewal opportunity with their own constant probability
``θ``; across the cohort ``θ ~ Beta(α, β)``. So ``S(t) = B(α, β + t) / B(α, β)`` and the
retention rate ``r(t) = (β + t - 1)/(α + β + t - 1)`` rises with tenure: not because anyone's
loyalty grows, but because the subscribers most likely to leave leave first (Fader & Hardie
2007). The discounted expected residual lifetime has the closed form of Fader & Hardie (2010),
``DERL = (β+n)/(α+β+n) · ₂F₁(1, β+n+1; α+β+n+1; 1/(1+d))`` for a subscriber who has
renewed ``n`` times.

Public API: :class:`ShiftedBetaGeometricModel` with ``fit(periods, cancelled, subscribers)``,
``params_`` (``alpha``, ``beta``), ``standard_errors_``, ``log_likelihood_``,
``survival_function``, ``retention_rate``, ``churn_probability``, ``expected_survivors``,
``conditional_survival``, ``discounted_expected_residual_lifetime``, ``residual_value``.

References
----------
Fader & Hardie (2007) and (2010): see
:mod:`regulars.analytics.churn.retention`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, hyp2f1

from regulars.analytics.churn.retention import RetentionModel, _whole
from regulars.analytics.clv.base import FloatArray


class ShiftedBetaGeometricModel(RetentionModel):
    """sBG fitted by maximum likelihood (parameters ``alpha``, ``beta``).

    Examples
    --------
    >>> from regulars.analytics.churn import cohort_table
    >>> table = cohort_table([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> model = ShiftedBetaGeometricModel().fit(
    ...     table["periods"], table["cancelled"], table["subscribers"])
    >>> model.params_.round(3).to_dict()
    {'alpha': 0.668, 'beta': 3.806}
    """

    parameter_names = ("alpha", "beta")
    start = (1.0, 1.0)  # the starting values of Fader & Hardie's (2007) spreadsheet

    def _log_survival(self, t: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        a, b = np.exp(theta)
        value = betaln(a, b + t) - betaln(a, b)
        psi_ab = digamma(a + b)
        psi_abt = digamma(a + b + t)
        d_a = psi_ab - psi_abt
        d_b = digamma(b + t) - psi_abt - digamma(b) + psi_ab
        return value, np.stack([a * d_a, b * d_b], axis=-1)

    def _draw(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        a, b = self._param_values()
        theta = rng.beta(a, b, size=n)
        return theta, rng.geometric(np.clip(theta, 1e-12, 1.0)).astype(np.float64)

    def retention_rate(self, t: ArrayLike) -> FloatArray:
        """``r(t) = (β + t - 1)/(α + β + t - 1)`` (Fader & Hardie 2007)."""
        periods = _whole(t)
        if np.any(periods < 1):
            raise ValueError("retention_rate is defined for t >= 1")
        a, b = self._param_values()
        return np.asarray((b + periods - 1) / (a + b + periods - 1))

    def discounted_expected_residual_lifetime(
        self, periods: ArrayLike, discount_rate: float
    ) -> FloatArray:
        """Closed-form DERL (Fader & Hardie 2010) of subscribers who have renewed
        ``periods`` times, at the per-period ``discount_rate``."""
        if not discount_rate > 0:
            raise ValueError("discount_rate must be > 0 (undiscounted lifetimes may be infinite)")
        n = _whole(periods)
        a, b = self._param_values()
        return np.asarray(
            (b + n) / (a + b + n) * hyp2f1(1.0, b + n + 1, a + b + n + 1, 1 / (1 + discount_rate))
        )
