"""The Gamma-Gamma model of spend per purchase, and customer lifetime value.

A member's purchase values are Gamma(p, ν) with ``ν ~ Gamma(q, v)`` across members, so the
mean of their ``x`` repeat purchases, ``m`` (``monetary_value`` in the summary), has the
likelihood of Fader, Hardie & Lee (2005, the appendix). It assumes spend is independent of
purchase frequency; fit it on members with at least one repeat purchase and a positive mean.

Lifetime value follows lifetimes' definition so that figures agree: over ``time`` periods
(months by default) the expected purchases of each period times the expected spend, each
period's value discounted by ``(1 + discount_rate)^k``.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis. *Journal of Marketing Research*, 42(4), 415–430.

Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
http://www.brucehardie.com/notes/025/
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from regulars.analytics.clv.base import (
    BaseModel,
    FloatArray,
    as_float_array,
    compress,
    distinct,
    weighted_sum,
)

DAYS_PER_MONTH = 30.0


class TransactionModel(Protocol):
    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray: ...


class GammaGammaModel(BaseModel):
    """Gamma-Gamma spend model fitted by maximum likelihood (parameters ``p, q, v``)."""

    parameter_names = ("p", "q", "v")

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaModel:
        """Fit on members with ``frequency > 0`` (others are ignored: they have no repeat spend)."""
        x_all, m_all = as_float_array(frequency), as_float_array(monetary_value)
        keep = x_all > 0
        if np.any(m_all[keep] <= 0):
            raise ValueError("monetary_value must be positive for members with repeat purchases")
        data = compress(x_all[keep], m_all[keep])
        m = data.columns[1]
        self._maximise(
            lambda c, w: _Design(c[0], c[1], w).negative_log_likelihood,
            data,
            (1.0, 1.0, max(float(np.mean(m)), 1e-3)),
        )
        return self

    def conditional_expected_average_profit(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """E[spend per purchase | x, m]: a weighted mean of the population mean and ``m``
        (Fader, Hardie & Lee 2005, eq. 5). Members without repeat purchases get the
        population mean ``p·v/(q-1)``."""
        p, q, v = self._param_values()
        x, m = as_float_array(frequency), as_float_array(monetary_value)
        population_mean = p * v / (q - 1)
        weight = p * x / (p * x + q - 1)
        return np.asarray((1 - weight) * population_mean + weight * np.where(x > 0, m, 0.0))

    def customer_lifetime_value(
        self,
        transaction_model: TransactionModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
        monetary_value: ArrayLike,
        time: int = 12,
        discount_rate: float = 0.01,
        period: float = DAYS_PER_MONTH,
    ) -> FloatArray:
        """Discounted expected value of the next ``time`` periods of ``period`` time units.

        ``Σ_{k=1}^{time} spend · (E[Y(k·period)] - E[Y((k-1)·period)]) / (1+discount_rate)^k``
        with E[Y] the transaction model's conditional expected purchases and spend from
        :meth:`conditional_expected_average_profit` (lifetimes' ``customer_lifetime_value``;
        ``period`` is 30 for summaries in days, 4.345 for weeks).
        """
        x, t_x, age = (as_float_array(v) for v in (frequency, recency, T))
        spend = self.conditional_expected_average_profit(x, monetary_value)
        data = compress(x, t_x, age)
        ux, utx, uage = data.columns
        value = np.zeros_like(ux)
        previous = np.zeros_like(ux)
        for k in range(1, time + 1):
            cumulative = transaction_model.expected_purchases(k * period, ux, utx, uage)
            value += (cumulative - previous) / (1 + discount_rate) ** k
            previous = cumulative
        return np.asarray(spend * value[data.inverse])


def _negative_log_likelihood(
    theta: FloatArray, x: FloatArray, m: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    return _Design(x, m, weights).negative_log_likelihood(theta)


class _Design:
    """Rows arranged for cheap evaluations: gamma functions once per distinct x, the
    parameter-free sums of ``log m`` and ``x log x`` once; one logarithm per row remains."""

    def __init__(self, x: FloatArray, m: FloatArray, weights: FloatArray) -> None:
        self.x, self.m, self.weights = x, m, weights
        self.x_values, self.x_index = distinct(x)
        self.x_weight = np.bincount(self.x_index, weights=weights)
        log_m = np.log(m)
        self.sum_log_m = float(weighted_sum(weights, log_m))
        self.sum_x_log_mx = float(weighted_sum(weights * x, log_m + np.log(x)))
        self.xm = x * m
        self.wx = weights * x
        self.total = float(weights.sum())

    def negative_log_likelihood(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = np.exp(theta)
        xv, wv = self.x_values, self.x_weight
        pxv = p * xv
        log_xm_v = np.log(self.xm + v)
        inv_xm_v = 1 / (self.xm + v)
        weights = self.weights
        ll = (
            float(weighted_sum(wv, gammaln(pxv + q) - gammaln(pxv)))
            - self.total * (gammaln(q) - q * np.log(v))
            + p * self.sum_x_log_mx
            - self.sum_log_m
            - float(weighted_sum(p * self.wx + q * weights, log_xm_v))
        )
        psi = digamma(pxv + q)
        d_p = (
            float(weighted_sum(wv * xv, psi - digamma(pxv)))
            + self.sum_x_log_mx
            - float(weighted_sum(self.wx, log_xm_v))
        )
        d_q = (
            float(weighted_sum(wv, psi))
            - self.total * (digamma(q) - np.log(v))
            - float(weighted_sum(weights, log_xm_v))
        )
        d_v = self.total * q / v - float(weighted_sum(p * self.wx + q * weights, inv_xm_v))
        gradient = np.array([p * d_p, q * d_q, v * d_v])
        return -ll, -gradient
