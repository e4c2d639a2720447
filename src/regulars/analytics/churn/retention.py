"""What every cohort retention model shares: the likelihood of discrete contract durations, the
survival and retention curves, and the discounted expected residual lifetime.

A subscriber's lifetime ``T`` is counted in contract periods (months, years): ``T = t`` means
they served ``t`` periods and did not renew at the end of the ``t``-th. A model gives the
survival function ``S(t) = P(T > t)`` (``S(0) = 1``); the rest follows from it:

- ``P(T = t) = S(t-1) - S(t)``, the probability of cancelling at the ``t``-th renewal;
- the retention rate ``r(t) = S(t) / S(t-1)``, the share of those alive in period ``t``
  who renew into period ``t+1``;
- the likelihood of a cohort: a subscriber who cancelled after ``t`` periods contributes
  ``P(T = t)``, one still active after ``t`` periods ``S(t)`` (right-censored), so
  subscribers acquired at different times, each observed for their own span, fit together;
- the discounted expected residual lifetime (DERL) of a subscriber who has renewed ``n``
  times, valued just before their next renewal decision (Fader & Hardie 2010, with
  their ``n - 1`` renewals as our ``n``): ``Σ_{k>=0} S(n+1+k)/S(n) · (1+d)^-k``, the expected
  number of further payments, each discounted by the per-period rate ``d``; times the margin
  of one period it is the subscriber's residual value.

Fitting uses :class:`regulars.analytics.clv.base.BaseModel` (maximum likelihood over the log
of the parameters with an analytic gradient, standard errors from the observed information):
the cohort data are grouped by ``(periods, cancelled)`` first, so a million subscribers cost
the same as a few dozen rows.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing*, 21(1), 76–90.

Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
the perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85–93.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from regulars.analytics.clv.base import (
    BaseModel,
    Compressed,
    FloatArray,
    Objective,
    as_float_array,
    compress,
)

# Terms of the DERL series are dropped once (1+d)^-k is below this: the tail left out is at
# most TAIL / d of one period, far below any printed decimal.
TAIL = 1e-15


def cohort_table(alive: ArrayLike) -> pd.DataFrame:
    """One cohort's counts alive at periods ``0..n`` as the rows :meth:`fit` takes.

    ``alive[0]`` subscribers started; ``alive[t]`` were still subscribed after ``t`` periods
    (percentages of a cohort work too, as weights). Returns ``periods``, ``cancelled`` and
    ``subscribers``: those lost at each renewal, and the survivors after period ``n``
    (censored).
    """
    counts = as_float_array(alive)
    if len(counts) < 2 or np.any(np.diff(counts) > 0) or np.any(counts < 0):
        raise ValueError("alive must be a non-increasing sequence of at least two counts")
    n = len(counts) - 1
    lost = counts[:-1] - counts[1:]
    return pd.DataFrame(
        {
            "periods": np.append(np.arange(1, n + 1), n),
            "cancelled": np.append(np.ones(n, dtype=bool), False),
            "subscribers": np.append(lost, counts[-1]),
        }
    )


class RetentionModel(BaseModel):
    """A model of discrete contract durations over a cohort.

    Subclasses give ``_log_survival(t, theta)``: ``log S(t)`` and its gradient with respect
    to the log of the parameters, for integer ``t >= 0``.
    """

    start: tuple[float, ...] = ()

    def _log_survival(self, t: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    def fit(
        self,
        periods: ArrayLike,
        cancelled: ArrayLike,
        subscribers: ArrayLike | None = None,
    ) -> Self:
        """Maximise the likelihood of the subscribers given.

        ``periods`` is the number of whole periods each subscriber served; ``cancelled`` says
        whether they cancelled at the end of it (else they are still active, and all we know
        is ``T > periods``). ``subscribers`` optionally weighs each row (a row per group:
        see :func:`cohort_table`).
        """
        t = as_float_array(periods)
        dead = np.asarray(cancelled, dtype=bool).reshape(-1)
        weights = np.ones_like(t) if subscribers is None else as_float_array(subscribers)
        if not (len(t) == len(dead) == len(weights)):
            raise ValueError("periods, cancelled and subscribers must have the same length")
        if np.any(t != np.floor(t)) or np.any(t < 0) or np.any(dead & (t < 1)):
            raise ValueError(
                "periods must be whole numbers >= 0, and >= 1 for a subscriber who cancelled"
            )
        if np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("subscribers must be non-negative and not all zero")
        keep = weights > 0
        data = compress(t[keep], dead[keep].astype(np.float64))
        totals = np.asarray(np.bincount(data.inverse, weights[keep]), dtype=np.float64)
        grouped = Compressed(data.columns, totals, data.inverse)
        self._maximise(self._make_objective, grouped, self.start)
        return self

    def _make_objective(self, columns: tuple[FloatArray, ...], weights: FloatArray) -> Objective:
        t, dead_flag = columns
        dead = dead_flag > 0
        t_before = np.where(dead, t - 1, t)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            log_now, grad_now = self._log_survival(t, theta)
            log_before, grad_before = self._log_survival(t_before, theta)
            with np.errstate(divide="ignore", invalid="ignore"):
                # Churned at t: log(S(t-1) - S(t)) = log S(t-1) + log(1 - q), q = S(t)/S(t-1).
                q = np.exp(log_now - log_before)
                log_lost = log_before + np.log(-np.expm1(log_now - log_before))
                grad_lost = (grad_before - q[:, None] * grad_now) / (1 - q)[:, None]
            value = np.where(dead, log_lost, log_now)
            gradient = np.where(dead[:, None], grad_lost, grad_now)
            return -float(weights @ value), -(weights @ gradient)

        return objective

    @classmethod
    def from_params(cls, **params: float) -> Self:
        """A model with the parameters given instead of fitted (ground truth, simulation)."""
        if set(params) != set(cls.parameter_names) or min(params.values()) <= 0:
            raise ValueError(f"{cls.__name__} takes positive {', '.join(cls.parameter_names)}")
        model = cls()
        model.params_ = pd.Series(
            [float(params[name]) for name in cls.parameter_names],
            index=list(cls.parameter_names),
            dtype=np.float64,
        )
        return model

    def log_likelihood(
        self, periods: ArrayLike, cancelled: ArrayLike, subscribers: ArrayLike | None = None
    ) -> float:
        """The log-likelihood of the subscribers given under the model's parameters."""
        t = as_float_array(periods)
        dead = np.asarray(cancelled, dtype=bool).reshape(-1).astype(np.float64)
        weights = np.ones_like(t) if subscribers is None else as_float_array(subscribers)
        value, _ = self._make_objective((t, dead), weights)(self._theta())
        return -value

    def simulate(
        self, subscribers: int, observed_periods: ArrayLike, rng: np.random.Generator
    ) -> pd.DataFrame:
        """Draw ``subscribers`` lifetimes from the model, each observed for
        ``observed_periods`` (one number, or one per subscriber): the frame :meth:`fit`
        takes (``periods``, ``cancelled``), with the latent ``theta`` and ``lifetime``."""
        theta, lifetime = self._draw(subscribers, rng)
        span = np.broadcast_to(_whole(observed_periods), (subscribers,))
        cancelled = lifetime <= span
        return pd.DataFrame(
            {
                "periods": np.where(cancelled, lifetime, span).astype(np.int64),
                "cancelled": cancelled,
                "theta": theta,
                "lifetime": lifetime,
            }
        )

    def _draw(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    def _theta(self) -> FloatArray:
        return np.log(np.asarray(self._param_values(), dtype=np.float64))

    def survival_function(self, t: ArrayLike) -> FloatArray:
        """``S(t) = P(T > t)``: the share of a new cohort still subscribed after ``t`` periods."""
        periods = _whole(t)
        return np.asarray(np.exp(self._log_survival(periods, self._theta())[0]))

    def expected_survivors(self, t: ArrayLike, cohort_size: float) -> FloatArray:
        """How many of ``cohort_size`` new subscribers are expected to remain after ``t``
        periods: the projected retention curve."""
        return np.asarray(cohort_size * self.survival_function(t))

    def retention_rate(self, t: ArrayLike) -> FloatArray:
        """``r(t) = S(t)/S(t-1)`` for ``t >= 1``: the share renewing at the ``t``-th renewal."""
        before, now = self._log_survival_either_side(t, "retention_rate")
        return np.asarray(np.exp(now - before))

    def churn_probability(self, t: ArrayLike) -> FloatArray:
        """``P(T = t)``: the probability that a new subscriber cancels at the ``t``-th renewal."""
        before, now = self._log_survival_either_side(t, "churn_probability")
        return np.asarray(np.exp(before) * -np.expm1(now - before))

    def _log_survival_either_side(self, t: ArrayLike, name: str) -> tuple[FloatArray, FloatArray]:
        """``log S(t-1)`` and ``log S(t)`` for renewals ``t >= 1``."""
        periods = _whole(t)
        if np.any(periods < 1):
            raise ValueError(f"{name} is defined for t >= 1")
        theta = self._theta()
        return self._log_survival(periods - 1, theta)[0], self._log_survival(periods, theta)[0]

    def conditional_survival(self, t: ArrayLike, periods: ArrayLike) -> FloatArray:
        """``P(T > periods + t | T > periods)``: survival of a subscriber who has renewed
        ``periods`` times, ``t`` more periods ahead."""
        ahead, served = np.broadcast_arrays(_whole(t), _whole(periods))
        theta = self._theta()
        later = self._log_survival((served + ahead).astype(np.float64), theta)[0]
        now = self._log_survival(served.astype(np.float64), theta)[0]
        return np.asarray(np.exp(later - now))

    def discounted_expected_residual_lifetime(
        self, periods: ArrayLike, discount_rate: float
    ) -> FloatArray:
        """DERL of subscribers who have renewed ``periods`` times, at the per-period rate
        ``discount_rate`` (Fader & Hardie 2010).

        The expected number of payments still to come, the one at the next renewal
        undiscounted and each later one discounted by ``(1+d)`` a period. Computed by
        summing the series over distinct ``periods``; a subclass may override it with a
        closed form.
        """
        if not discount_rate > 0:
            raise ValueError("discount_rate must be > 0 (undiscounted lifetimes may be infinite)")
        served = _whole(periods)
        values, inverse = np.unique(served, return_inverse=True)
        horizon = int(np.ceil(np.log(1 / TAIL) / np.log1p(discount_rate)))
        ahead = np.arange(1, horizon + 1, dtype=np.float64)
        factor = (1 + discount_rate) ** -(ahead - 1)
        theta = self._theta()
        now = self._log_survival(values, theta)[0]
        result = np.empty(len(values))
        for i, n in enumerate(values):
            later = self._log_survival(n + ahead, theta)[0]
            result[i] = float(np.exp(later - now[i]) @ factor)
        return np.asarray(result[inverse].reshape(np.shape(served)))

    def residual_value(
        self, periods: ArrayLike, discount_rate: float, value_per_period: ArrayLike = 1.0
    ) -> FloatArray:
        """Each subscriber's residual value: DERL times the margin of one period (same units
        as ``value_per_period``; sum it over the active base for the base's residual value)."""
        return np.asarray(
            self.discounted_expected_residual_lifetime(periods, discount_rate)
            * as_float_array(value_per_period)
        )


def _whole(t: ArrayLike) -> FloatArray:
    values = np.asarray(t, dtype=np.float64)
    if np.any(values != np.floor(values)) or np.any(values < 0):
        raise ValueError("periods must be whole numbers >= 0")
    return values
