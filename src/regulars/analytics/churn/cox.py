"""Cox proportional hazards regression of time to cancellation, fitted for millions of members.

The hazard of a member with covariates ``x`` is ``h0(t) exp(x'β)``; ``exp(β_j)`` is the
hazard ratio of covariate ``j``. ``β`` maximises the partial likelihood (Cox 1972), with tied
cancellation times handled by Efron's (1977) approximation (the default, as in R's
``coxph``, statsmodels and lifelines) or Breslow's; the baseline cumulative hazard is
Breslow's estimator at the mean member (numeric covariates centred, categorical ones at their
reference level).

The fit is Newton's method on arrays sorted once by duration. Each iteration needs the
risk-set sums ``S0, S1, S2`` at every distinct time; ``S2`` would be a ``p × p`` matrix per
time, but the information matrix only ever needs ``Σ_t a_t S2_t`` for per-time scalars
``a_t``, which equals ``X' diag(w_i · Σ_{t <= t_i} a_t) X``: one weighted matrix product over
the members, with no per-time matrices. Efron's correction adds per-event scalars summed by
time (``bincount``). An iteration therefore costs two passes over ``X`` and one ``n × p²``
product, and five to eight iterations converge.

Public API: :class:`CoxPHModel` — ``fit(frame, duration, event, covariates)``,
``hazard_ratios_`` (hazard ratio, 95 % interval, z, p per design column),
``baseline_cumulative_hazard_``, ``follow_up_``, and the predictions of
:class:`~regulars.analytics.churn.survival.SurvivalRegression` (``score``,
``probability_of_cancelling``, ``median_residual_life``, ``survival_function``). Beyond the
longest follow-up seen in fitting (``follow_up_``) the baseline hazard is unknown: survival
and probabilities that reach past it are NaN (the Weibull model extrapolates; use its scores
there), and a median residual life not reached within it is ``inf``.

References
----------
Cox, D. R. (1972). Regression models and life-tables. *Journal of the Royal Statistical
Society B*, 34(2), 187–220.

Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. *Journal of
the American Statistical Association*, 72(359), 557–565.

Breslow, N. E. (1974). Covariance analysis of censored survival data. *Biometrics*, 30(1),
89–99.

Therneau, T. M., & Grambsch, P. M. (2000). *Modeling Survival Data: Extending the Cox Model*.
Springer (ch. 3, the Efron approximation and its derivatives).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from regulars.analytics.churn.survival import NDArrayBool, SurvivalRegression, newton
from regulars.analytics.clv.base import FloatArray


class CoxPHModel(SurvivalRegression):
    """Cox proportional hazards by Newton's method on the partial likelihood."""

    baseline_times_: FloatArray
    baseline_cumulative_hazard_: FloatArray
    follow_up_: float

    def __init__(self, ties: Literal["efron", "breslow"] = "efron") -> None:
        if ties not in ("efron", "breslow"):
            raise ValueError("ties must be 'efron' or 'breslow'")
        self.ties = ties

    @property
    def hazard_ratios_(self) -> pd.DataFrame:
        """One row per design column: coef, se, hazard_ratio, lower_95, upper_95, z, p."""
        self._fitted()
        return self._effects(
            self.params_.to_numpy(), self.standard_errors_.to_numpy(), "hazard_ratio"
        )

    def _fit_arrays(self, times: FloatArray, events: NDArrayBool, x: FloatArray) -> None:
        data = _RiskSets(times, events, x, self.ties)
        beta, value, information, iterations = newton(data.objective, np.zeros(x.shape[1]))
        columns = list(self.design_.columns)
        self.params_ = pd.Series(beta, index=columns, dtype=np.float64)
        self.covariance_ = pd.DataFrame(np.linalg.inv(information), index=columns, columns=columns)
        self.log_likelihood_ = value
        self.iterations_ = iterations
        self.baseline_times_, self.baseline_cumulative_hazard_ = data.baseline(beta)
        self.follow_up_ = float(times.max())

    def _cumulative_hazard(self, x: FloatArray, t: FloatArray) -> FloatArray:
        """Breslow's step function times ``exp(x'β)``; NaN beyond the longest follow-up,
        where the data say nothing of the hazard."""
        index = np.searchsorted(self.baseline_times_, t, side="right") - 1
        baseline = np.where(index >= 0, self.baseline_cumulative_hazard_[np.maximum(index, 0)], 0.0)
        baseline = np.where(t <= self.follow_up_, baseline, np.nan)
        return np.asarray(baseline * np.exp(x @ self.params_.to_numpy()))

    def _residual_time(self, x: FloatArray, now: FloatArray, level: float) -> FloatArray:
        """First baseline time where ``H0`` has risen by ``-log(level) · exp(-x'β)`` since
        ``now`` (Breslow's step function); ``inf`` when it never does within follow-up."""
        times, hazard = self.baseline_times_, self.baseline_cumulative_hazard_
        index = np.searchsorted(times, now, side="right") - 1
        start = np.where(index >= 0, hazard[np.maximum(index, 0)], 0.0)
        target = start + -np.log(level) * np.exp(-(x @ self.params_.to_numpy()))
        reach = np.searchsorted(hazard, target, side="left")
        inside = reach < len(times)
        result = np.full(len(now), np.inf)
        result[inside] = times[reach[inside]] - now[inside]
        return result

    def _risk(self, x: FloatArray) -> FloatArray:
        return np.asarray(x @ self.params_.to_numpy())


class _RiskSets:
    """The members sorted by duration (cancellations first within a time), grouped by
    distinct time, with what the partial likelihood needs that does not depend on ``β``."""

    def __init__(self, times: FloatArray, events: NDArrayBool, x: FloatArray, ties: str):
        order = np.lexsort((~events, times))
        self.t = times[order]
        self.dead = events[order]
        self.x = np.ascontiguousarray(x[order])
        n = len(self.t)
        first = np.r_[True, self.t[1:] != self.t[:-1]]
        self.starts = np.flatnonzero(first)
        self.group = np.cumsum(first) - 1
        self.k = len(self.starts)
        self.deaths = np.bincount(self.group, weights=self.dead, minlength=self.k)
        self.event_rows = np.flatnonzero(self.dead)
        self.event_group = self.group[self.event_rows]
        self.event_x_total = self.x[self.event_rows].sum(axis=0)
        # Efron: the l-th of a time's d tied cancellations sees the risk set less l/d of the
        # tied members' weight (l = 0..d-1). Breslow: the whole risk set for each.
        rank = np.arange(len(self.event_rows)) - np.searchsorted(
            self.event_group, self.event_group, side="left"
        )
        if ties == "efron":
            self.fraction = rank / self.deaths[self.event_group]
        else:
            self.fraction = np.zeros(len(self.event_rows))
        # A time's cancellations are rows [start, start + d): summed in place by reduceat
        # over [start, start + d, next start, ...], every other segment kept.
        self.event_groups = np.flatnonzero(self.deaths > 0)
        first_rows = self.starts[self.event_groups]
        bounds = np.column_stack([first_rows, first_rows + self.deaths[self.event_groups]])
        self.tied_bounds = bounds.reshape(-1).astype(np.intp)
        if self.tied_bounds[-1] >= n:
            self.tied_bounds = self.tied_bounds[:-1]  # the last segment runs to the end
        # x times a weight per row, reused each call: column-major for the sums by time
        # (reduceat down contiguous columns is many times faster, same additions in the
        # same order), row-major, in the same memory, for the information's product.
        memory = np.empty(self.x.size)
        self.by_columns = memory.reshape(self.x.shape[::-1]).T
        self.by_rows = memory.reshape(self.x.shape)
        self.n = n

    def _weights(self, beta: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        eta = self.x @ beta
        shift = float(eta.max())
        return eta, np.exp(eta - shift), shift

    def objective(self, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Partial log-likelihood, its gradient and the information matrix at ``beta``."""
        eta, w, shift = self._weights(beta)
        k, g = self.k, self.event_group
        xw = np.multiply(self.x, w[:, None], out=self.by_columns)
        s0 = np.cumsum(np.bincount(self.group, weights=w, minlength=k)[::-1])[::-1]
        by_time = np.ascontiguousarray(np.add.reduceat(xw, self.starts, axis=0))
        s1 = np.cumsum(by_time[::-1], axis=0)[::-1]
        tied = np.bincount(g, weights=w[self.event_rows], minlength=k)
        tied_x = np.zeros_like(s1)
        tied_x[self.event_groups] = np.add.reduceat(xw, self.tied_bounds, axis=0)[::2]  # copied in
        f = self.fraction
        phi = s0[g] - f * tied[g]
        inverse = 1 / phi
        a = np.bincount(g, weights=inverse, minlength=k)
        b = np.bincount(g, weights=f * inverse, minlength=k)
        c = np.bincount(g, weights=inverse**2, minlength=k)
        e = np.bincount(g, weights=f * inverse**2, minlength=k)
        ff = np.bincount(g, weights=f * f * inverse**2, minlength=k)
        value = float(eta[self.event_rows].sum() - np.log(phi).sum() - len(g) * shift)
        gradient = self.event_x_total - (a @ s1 - b @ tied_x)
        # Σ_t [a_t S2_t - b_t D2_t] as one weighted product over the members.
        member = w * (np.cumsum(a)[self.group] - np.where(self.dead, b[self.group], 0.0))
        information = np.multiply(self.x, member[:, None], out=self.by_rows).T @ self.x
        cross = (s1 * e[:, None]).T @ tied_x
        information -= (
            (s1 * c[:, None]).T @ s1 - cross - cross.T + (tied_x * ff[:, None]).T @ tied_x
        )
        return value, gradient, (information + information.T) / 2

    def baseline(self, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Breslow's cumulative baseline hazard at the event times (covariates at 0)."""
        _, w, shift = self._weights(beta)
        s0 = np.cumsum(np.bincount(self.group, weights=w, minlength=self.k)[::-1])[::-1]
        has = self.deaths > 0
        step = self.deaths[has] / (s0[has] * np.exp(shift))
        return self.t[self.starts[has]], np.cumsum(step)
