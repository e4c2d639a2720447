"""The Pareto/NBD model: Poisson purchases while alive, an exponential lifetime.

While active a member buys as a Poisson process with rate ``λ ~ Gamma(r, α)``; their lifetime
is exponential with rate ``μ ~ Gamma(s, β)``. Inputs as for BG/NBD: ``frequency`` (x),
``recency`` (t_x) and ``T``.

The likelihood (Fader, Hardie & Lee 2005, eq. 2–4) is

``L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^{-(r+x)} (β+T)^{-s} + s · I ]``,
``I = ∫_{t_x}^{T} (α+τ)^{-(r+x)} (β+τ)^{-(s+1)} dτ`` (death at τ, between the last purchase
and T). With ``m = max(α, β)``, ``n = min(α, β)``, ``P`` the exponent on the ``m`` term and
``Q`` that on the ``n`` term, ``A = P + Q - 1 = r+s+x`` and ``z(y) = (m-n)/(m+y)``::

    ∫_y^∞ … dτ = (m+y)^{-A} / A · ₂F₁(A, Q; A+1; z)
               = (m+y)^{-A} / A · ((m+y)/(n+y))^{Q-1} · ₂F₁(1, P; A+1; z)   (Euler)

The transformed ₂F₁ lies between 1 and ``1/(1-z)`` whatever x is, so the whole expression is
evaluated in logs with no overflow at high frequency (the untransformed terms, as computed by
lifetimes, grow like ``(m+y)^{r+s+x}``). scipy's ₂F₁ is not finite for z within about
10⁻³ of 1, that is when one of α, β is a thousand times the other — the limit of no
heterogeneity in the death rate, where the likelihood is flat; the optimiser treats such
points as out of bounds (:class:`regulars.analytics.clv.base.BaseModel`). ``I`` is the
difference of two such terms, taken as ``F(t_x)·(1 - F(T)/F(t_x))`` with ``log1p``. The
₂F₁ depends on ``(x, y)`` only, so it is evaluated once per distinct pair.

References
----------
Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting Your Customers: Who Are
They and What Will They Do Next? *Management Science*, 33(1), 1–24.

Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). A Note on Deriving the Pareto/NBD Model and
Related Expressions. http://www.brucehardie.com/notes/009/
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import expit, gammaln, hyp2f1

from regulars.analytics.clv.base import (
    FloatArray,
    PurchaseModel,
    as_float_array,
    compress,
    numerical_gradient,
    weighted_sum,
)
from regulars.analytics.clv.bgnbd import _check


class ParetoNBDModel(PurchaseModel):
    """Pareto/NBD fitted by maximum likelihood (parameters ``r, alpha, s, beta``)."""

    parameter_names = ("r", "alpha", "s", "beta")

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> ParetoNBDModel:  # noqa: N803
        """Maximise the likelihood over the members given (gradient by central differences)."""
        data = compress(frequency, recency, T)
        x, t_x, age = data.columns
        _check(x, t_x, age)
        scale = max(float(np.average(age, weights=data.weights)), 1e-3) / 4
        self._maximise(_objective, data, (0.5, scale, 0.5, scale))
        return self

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:  # noqa: N803
        """Each member's log-likelihood under the fitted parameters."""
        r, alpha, s, beta = self._param_values()
        x, t_x, age = _arrays(frequency, recency, T)
        return _DistinctPairs(x, t_x, age).log_likelihood(r, alpha, s, beta)

    def expected_probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(alive at T | x, t_x, T) = the 'alive' term's share of the likelihood (2005, eq. 18)."""
        r, alpha, s, beta = self._param_values()
        x, t_x, age = _arrays(frequency, recency, T)
        alive, died = _DistinctPairs(x, t_x, age).log_terms(r, alpha, s, beta)
        return np.asarray(expit(alive - died))

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected purchases in the next ``t`` after T, given the history (2005, eq. 22)."""
        r, alpha, s, beta = self._param_values()
        t_ = as_float_array(t)
        x, t_x, age = _arrays(frequency, recency, T)
        alive = self.expected_probability_alive(x, t_x, age)
        rate = (r + x) / (alpha + age)
        if abs(s - 1) < 1e-9:
            while_alive = rate * (beta + age) * np.log1p(t_ / (beta + age))
        else:
            while_alive = (
                rate * (beta + age) / (s - 1) * -np.expm1((s - 1) * -np.log1p(t_ / (beta + age)))
            )
        return np.asarray(alive * while_alive)

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[X(t)] for a new member (2005, eq. 17)."""
        r, alpha, s, beta = self._param_values()
        t_ = as_float_array(t)
        if abs(s - 1) < 1e-9:
            return np.asarray(r * beta / alpha * np.log1p(t_ / beta))
        return np.asarray(r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t_)) ** (s - 1)))

    def conditional_survival(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(alive at T + t | alive at T): ``μ ~ Gamma(s, β+T)`` given alive, so
        ``((β+T)/(β+T+t))^s``."""
        _r, _alpha, s, beta = self._param_values()
        del frequency, recency
        t_, age = as_float_array(t), as_float_array(T)
        return np.asarray(np.exp(-s * np.log1p(t_ / (beta + age))))

    def expected_time_to_loss(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Mean remaining lifetime if alive at T: ``E[1/μ] = (β+T)/(s-1)``; infinite if s <= 1."""
        _r, _alpha, s, beta = self._param_values()
        x, _t_x, age = _arrays(frequency, recency, T)
        value = (beta + age) / (s - 1) if s > 1 else np.full_like(age, np.inf)
        return np.asarray(np.broadcast_to(value, x.shape).copy())


def _objective(
    columns: tuple[FloatArray, ...], weights: FloatArray
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """The negative log-likelihood with its gradient by central differences."""
    pairs = _DistinctPairs(*columns)
    total = float(weights.sum())

    def negative(theta: FloatArray) -> float:
        r, alpha, s, beta = np.exp(theta)
        return -float(weighted_sum(weights, pairs.log_likelihood(r, alpha, s, beta))) / total

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return negative(theta) * total, numerical_gradient(negative, theta) * total

    return objective


def _arrays(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, t_x, age = np.broadcast_arrays(
        as_float_array(frequency), as_float_array(recency), as_float_array(T)
    )
    return np.asarray(x), np.asarray(t_x), np.asarray(age)


class _DistinctPairs:
    """The ``(x, y)`` pairs (y = t_x or T) whose ₂F₁ terms the likelihood needs, deduplicated;
    with the distinct x and T, so that per-x and per-T terms are computed once each."""

    def __init__(self, x: FloatArray, t_x: FloatArray, age: FloatArray) -> None:
        self.x, self.t_x, self.age = x, t_x, age
        pairs = compress(np.concatenate([x, x]), np.concatenate([t_x, age]))
        self.pair_x, self.pair_y = pairs.columns
        self.at_tx, self.at_age = pairs.inverse[: len(x)], pairs.inverse[len(x) :]
        x_codes, x_values = pd.factorize(x)
        self.x_values, self.x_index = np.asarray(x_values, dtype=np.float64), x_codes
        age_codes, age_values = pd.factorize(age)
        self.age_values, self.age_index = np.asarray(age_values, dtype=np.float64), age_codes

    def _log_tail(self, r: float, alpha: float, s: float, beta: float) -> FloatArray:
        """log ∫_y^∞ (α+τ)^{-(r+x)} (β+τ)^{-(s+1)} dτ for each distinct (x, y)."""
        x, y = self.pair_x, self.pair_y
        big, small = max(alpha, beta), min(alpha, beta)
        p = r + x if alpha >= beta else np.full_like(x, s + 1)
        q = np.full_like(x, s + 1) if alpha >= beta else r + x
        total = r + s + x
        log_big, log_small = np.log(big + y), np.log(small + y)
        z = (big - small) / (big + y)
        return np.asarray(
            -total * log_big
            - np.log(total)
            + (q - 1) * (log_big - log_small)
            + np.log(hyp2f1(1.0, p, total + 1, z))
        )

    def log_terms(
        self, r: float, alpha: float, s: float, beta: float
    ) -> tuple[FloatArray, FloatArray]:
        """log of the 'alive at T' and 'died between t_x and T' terms, without the constant."""
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = self._log_tail(r, alpha, s, beta)
            from_tx, from_age = tail[self.at_tx], tail[self.at_age]
            log_between = from_tx + np.log(-np.expm1(np.minimum(from_age - from_tx, 0.0)))
        log_alpha_age = np.log(alpha + self.age_values)[self.age_index]
        log_beta_age = np.log(beta + self.age_values)[self.age_index]
        alive = -(r + self.x) * log_alpha_age - s * log_beta_age
        return alive, np.log(s) + log_between

    def log_likelihood(self, r: float, alpha: float, s: float, beta: float) -> FloatArray:
        alive, died = self.log_terms(r, alpha, s, beta)
        per_x = gammaln(r + self.x_values)[self.x_index]
        constant = -gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        with np.errstate(invalid="ignore"):
            return np.asarray(per_x + constant + np.logaddexp(alive, died))
