"""The BG/NBD model: repeat purchases while alive, and a chance of dropping out after each.

While active a member buys as a Poisson process with rate ``λ ~ Gamma(r, α)``; after every
purchase they drop out with probability ``p ~ Beta(a, b)``. Inputs are the per-member summary
of :mod:`regulars.analytics.clv.summary`: ``frequency`` (repeat purchases, x), ``recency``
(age at the last purchase, t_x) and ``T`` (age at the end of the observation), in one time
unit (days in regulars' own summaries; weeks in the CDNOW example).

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting Your Customers" the Easy Way:
An Alternative to the Pareto/NBD Model. *Marketing Science*, 24(2), 275–284.

Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2008). Computing P(alive) using the BG/NBD model.
http://www.brucehardie.com/notes/021/
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from regulars.analytics.clv.base import (
    FloatArray,
    PurchaseModel,
    as_float_array,
    compress,
    distinct,
    weighted_sum,
)


class BetaGeoModel(PurchaseModel):
    """BG/NBD fitted by maximum likelihood (parameters ``r, alpha, a, b``).

    Examples
    --------
    >>> model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    ... # doctest: +SKIP
    >>> model.expected_probability_alive(2, 30.43, 38.86)  # doctest: +SKIP
    """

    parameter_names = ("r", "alpha", "a", "b")

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BetaGeoModel:  # noqa: N803
        """Maximise the likelihood (Fader, Hardie & Lee 2005, eq. 6) over the members given.

        Identical ``(x, t_x, T)`` rows are grouped first; the log-likelihood is summed in log
        space with its analytic gradient and optimised over the log of the parameters.
        """
        data = compress(frequency, recency, T)
        x, t_x, age = data.columns
        _check(x, t_x, age)
        self._maximise(
            lambda c, w: _Design(c[0], c[1], c[2], w).negative_log_likelihood,
            data,
            (0.5, max(float(np.average(age, weights=data.weights)), 1e-3) / 10, 1.0, 1.0),
        )
        return self

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:  # noqa: N803
        """Each member's log-likelihood under the fitted parameters."""
        r, alpha, a, b = self._param_values()
        return _individual_log_likelihood(
            r, alpha, a, b, as_float_array(frequency), as_float_array(recency), as_float_array(T)
        )[0]

    def expected_probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(still a customer at T | x, t_x, T) (Fader, Hardie & Lee 2008, eq. 2)."""
        r, alpha, a, b = self._param_values()
        x, t_x, age = as_float_array(frequency), as_float_array(recency), as_float_array(T)
        return _probability_alive(r, alpha, a, b, x, t_x, age)

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected purchases in the next ``t`` after T, given the history (2005, eq. 10).

        The product ``((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x; a+b+x-1; z)`` is computed after
        Euler's transformation as ``(1-z)^{a-1} ₂F₁(a+b-1-r, a-1; a+b+x-1; z)``, whose
        parameters do not grow with x, so it neither overflows nor loses precision at high
        frequency.
        """
        r, alpha, a, b = self._param_values()
        t_ = as_float_array(t)
        x, t_x, age = as_float_array(frequency), as_float_array(recency), as_float_array(T)
        z = t_ / (alpha + age + t_)
        transformed = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(
            a + b - 1 - r, a - 1, a + b + x - 1, z
        )
        while_alive = (a + b + x - 1) / (a - 1) * (1 - transformed)
        return np.asarray(while_alive * _probability_alive(r, alpha, a, b, x, t_x, age))

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[X(t)]: purchases a new member makes in their first ``t`` (2005, eq. 7)."""
        r, alpha, a, b = self._param_values()
        t_ = as_float_array(t)
        z = t_ / (alpha + t_)
        hyp = hyp2f1(r, b, a + b - 1, z)
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t_)) ** r * hyp))

    def conditional_survival(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(still a customer at T + t | alive at T and the history).

        Given alive at T, ``λ ~ Gamma(r+x, α+T)`` and ``p ~ Beta(a, b+x)``, and the time to
        dropping out is exponential with rate ``λp``. Integrating ``exp(-λpt)`` over both gives
        ``₂F₁(r+x, a; a+b+x; -t/(α+T))``, computed after Pfaff's transformation as
        ``(1+t/(α+T))^{-a} ₂F₁(a, a+b-r; a+b+x; t/(α+T+t))``.
        """
        r, alpha, a, b = self._param_values()
        t_ = as_float_array(t)
        x, age = as_float_array(frequency), as_float_array(T)
        del recency
        w = t_ / (alpha + age + t_)
        return np.asarray(np.exp(a * np.log1p(-w)) * hyp2f1(a, a + b - r, a + b + x, w))

    def expected_time_to_loss(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Mean remaining lifetime of a member still alive at T: ``E[1/(λp)]``.

        ``(α+T)/(r+x-1) · (a+b+x-1)/(a-1)``; infinite when ``r+x <= 1`` or ``a <= 1`` (the
        distribution's tail is too heavy for a mean — use :meth:`median_time_to_loss`).
        """
        r, alpha, a, b = self._param_values()
        x, age = as_float_array(frequency), as_float_array(T)
        del recency
        shape = r + x
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = (alpha + age) / (shape - 1) * (a + b + x - 1) / (a - 1)
        return np.asarray(np.where((shape > 1) & (a > 1), mean, np.inf))


def _check(x: FloatArray, t_x: FloatArray, age: FloatArray) -> None:
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > age) or np.any((x > 0) & (t_x <= 0)):
        raise ValueError(
            "need 0 <= recency <= T, frequency >= 0, and recency > 0 when frequency > 0"
        )


def _probability_alive(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    with np.errstate(divide="ignore"):
        log_odds_dead = (
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
    return np.asarray(np.where(x > 0, expit(-log_odds_dead), 1.0))


def _individual_log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    age: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Each row's log-likelihood, and the weight of its 'dropped out' term (for the gradient)."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + age)
    has_repeat = x > 0
    a4 = np.where(
        has_repeat,
        np.log(a) - np.log(np.where(has_repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    combined = np.logaddexp(a3, a4)
    return a1 + a2 + combined, np.exp(a4 - combined)


def _negative_log_likelihood(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, age: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """The weighted negative log-likelihood and its gradient in ``log(params)``."""
    return _Design(x, t_x, age, weights).negative_log_likelihood(theta)


class _Design:
    """The compressed rows, arranged so that each evaluation does the least work.

    Every term that depends on the parameters and x alone (log-gamma, digamma and beta
    functions) is computed once per distinct x and summed with that x's total weight; the
    logarithms of ``α+T`` and ``α+t_x`` once per distinct T and t_x and gathered. What is
    left per row is one ``logaddexp`` and a few products.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, age: FloatArray, weights: FloatArray):
        self.x, self.t_x, self.age, self.weights = x, t_x, age, weights
        self.x_values, self.x_index = distinct(x)
        self.x_weight = np.bincount(self.x_index, weights=weights)
        self.age_values, self.age_index = distinct(age)
        self.tx_values, self.tx_index = distinct(t_x)
        self.has_repeat = x > 0
        self.repeat_weight = np.where(self.has_repeat, weights, 0.0)
        self.total = float(weights.sum())

    def negative_log_likelihood(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        xv, wv = self.x_values, self.x_weight
        # Per distinct x.
        per_x = gammaln(r + xv) - gammaln(r) + betaln(a, b + xv) - betaln(a, b)
        log_b_term = np.where(xv > 0, np.log(a) - np.log(np.where(xv > 0, b + xv - 1, 1.0)), 0.0)
        # Per distinct T and t_x.
        log_age = np.log(alpha + self.age_values)
        log_tx = np.log(alpha + self.tx_values)
        inv_age = 1 / (alpha + self.age_values)
        inv_tx = 1 / (alpha + self.tx_values)
        # Per row.
        rx = r + self.x
        la = log_age[self.age_index]
        lx = log_tx[self.tx_index]
        a3 = -rx * la
        a4 = np.where(self.has_repeat, log_b_term[self.x_index] - rx * lx, -np.inf)
        combined = np.logaddexp(a3, a4)
        w = np.exp(a4 - combined)
        weights = self.weights
        ll = (
            float(weighted_sum(wv, per_x))
            + self.total * r * np.log(alpha)
            + float(weighted_sum(weights, combined))
        )
        ww = weights * w
        d_r = float(weighted_sum(wv, digamma(r + xv) - digamma(r))) + self.total * np.log(alpha)
        d_r -= float(weighted_sum(weights, la) - weighted_sum(ww, la) + weighted_sum(ww, lx))
        d_alpha = self.total * r / alpha - float(
            weighted_sum(weights * rx, inv_age[self.age_index])
            - weighted_sum(ww * rx, inv_age[self.age_index])
            + weighted_sum(ww * rx, inv_tx[self.tx_index])
        )
        psi_ab, psi_abx = digamma(a + b), digamma(a + b + xv)
        d_a = float(weighted_sum(wv, psi_ab - psi_abx)) + float(ww.sum()) / a
        by_x = np.bincount(self.x_index, weights=ww, minlength=len(xv))
        d_b = float(weighted_sum(wv, psi_ab + digamma(b + xv) - digamma(b) - psi_abx)) - float(
            weighted_sum(by_x[xv > 0], 1 / (b + xv[xv > 0] - 1))
        )
        gradient = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
        return -ll, -gradient
