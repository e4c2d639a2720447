"""What the per-member survival regressions share: fitting on a frame, the table of effects with
intervals, and each member's outlook given that they are still subscribed now.

A model gives each member's cumulative hazard ``H(t | x)`` (``S(t | x) = exp(-H)``) and the
time until their conditional survival falls to a level; from those, for a member of tenure
``now`` who is still subscribed:

- ``P(cancel within h | T > now) = 1 - exp(-(H(now + h) - H(now)))``;
- the median residual life, the ``m`` with ``S(now + m)/S(now) = 1/2``: the expected time of
  loss in the sense of "more likely gone than not by then";
- :meth:`SurvivalRegression.score` puts the two together, one row per member.

Durations are in whatever unit the caller uses (days in regulars); horizons in the same unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from regulars.analytics.churn.design import Design
from regulars.analytics.clv.base import FitError, FloatArray

NDArrayBool = NDArray[np.bool_]
Objective = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]


class SurvivalRegression:
    """Base of :class:`~regulars.analytics.churn.cox.CoxPHModel` and
    :class:`~regulars.analytics.churn.weibull.WeibullAFTModel`.

    After :meth:`fit`: ``design_``, ``params_`` (coefficients by design column, plus any
    shape parameter), ``covariance_``, ``standard_errors_``, ``log_likelihood_``,
    ``n_subjects_``, ``n_events_``.
    """

    design_: Design
    params_: pd.Series
    covariance_: pd.DataFrame
    log_likelihood_: float
    n_subjects_: int
    n_events_: int
    iterations_: int
    positive_durations = False

    def fit(
        self,
        frame: pd.DataFrame,
        duration: str,
        event: str,
        covariates: Sequence[str],
        references: Mapping[str, str] | None = None,
    ) -> Self:
        """Fit on ``frame``: ``duration`` (time to cancellation or to the end of observation),
        ``event`` (true when the member cancelled, false when still subscribed: right
        censored) and the ``covariates`` (numeric or categorical columns; ``references``
        optionally names the reference level of a categorical one)."""
        for column in (duration, event):
            if column not in frame.columns:
                raise ValueError(f"column {column!r} is not in the frame")
        times = frame[duration].to_numpy(dtype=np.float64)
        low = (times <= 0) if self.positive_durations else (times < 0)
        bad = int(np.sum(~np.isfinite(times) | low))
        if bad:
            bound = "> 0" if self.positive_durations else ">= 0"
            raise ValueError(f"{duration!r} must be finite and {bound}; {bad} rows are not")
        if frame[event].isna().any():
            raise ValueError(f"{event!r} is missing in {int(frame[event].isna().sum())} rows")
        events = frame[event].to_numpy().astype(bool)
        if not events.any():
            raise ValueError("no member cancelled: there is nothing to fit")
        self.design_, x = Design.learn_with_matrix(frame, covariates, references)
        self._fit_arrays(times, events, x)
        self.n_subjects_ = len(times)
        self.n_events_ = int(events.sum())
        return self

    def _fit_arrays(self, times: FloatArray, events: NDArrayBool, x: FloatArray) -> None:
        raise NotImplementedError

    # --- what a subclass gives --------------------------------------------------------

    def _cumulative_hazard(self, x: FloatArray, t: FloatArray) -> FloatArray:
        """``H(t_i | x_i)`` for each row."""
        raise NotImplementedError

    def _residual_time(self, x: FloatArray, now: FloatArray, level: float) -> FloatArray:
        """Time after ``now`` until ``S(now + m)/S(now)`` falls to ``level``."""
        raise NotImplementedError

    def _risk(self, x: FloatArray) -> FloatArray:
        """A number that orders members by hazard (higher: likely to cancel sooner)."""
        raise NotImplementedError

    # --- effects ------------------------------------------------------------------------

    @property
    def standard_errors_(self) -> pd.Series:
        self._fitted()
        return pd.Series(np.sqrt(np.diag(self.covariance_.to_numpy())), index=self.params_.index)

    def _effects(self, coef: FloatArray, se: FloatArray, name: str) -> pd.DataFrame:
        z = coef / se
        return pd.DataFrame(
            {
                "covariate": list(self.design_.columns),
                "coef": coef,
                "se": se,
                name: np.exp(coef),
                "lower_95": np.exp(coef - Z95 * se),
                "upper_95": np.exp(coef + Z95 * se),
                "z": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
            }
        )

    # --- each member's outlook ------------------------------------------------------------

    def predict_risk(self, frame: pd.DataFrame) -> FloatArray:
        """Each member's risk score (for ranking and the concordance index)."""
        return self._risk(self._matrix(frame))

    def survival_function(self, frame: pd.DataFrame, times: ArrayLike) -> FloatArray:
        """``S(t | x)`` for each member (rows) at each of ``times`` (columns), from tenure 0."""
        x = self._matrix(frame)
        grid = np.atleast_1d(np.asarray(times, dtype=np.float64))
        out = np.empty((len(x), len(grid)))
        for j, t in enumerate(grid):
            out[:, j] = np.exp(-self._cumulative_hazard(x, np.full(len(x), t)))
        return out

    def conditional_survival(
        self, frame: pd.DataFrame, now: ArrayLike, ahead: ArrayLike
    ) -> FloatArray:
        """``P(T > now + ahead | T > now, x)`` for each member (``now`` their tenure)."""
        x = self._matrix(frame)
        tenure, step = (np.broadcast_to(np.asarray(v, np.float64), (len(x),)) for v in (now, ahead))
        later = self._cumulative_hazard(x, tenure + step)
        before = self._cumulative_hazard(x, tenure)
        return np.asarray(np.exp(-(later - before)))

    def probability_of_cancelling(
        self, frame: pd.DataFrame, now: ArrayLike, within: ArrayLike
    ) -> FloatArray:
        """``P(cancel within `within` | subscribed at tenure `now`, x)`` for each member."""
        return np.asarray(1 - self.conditional_survival(frame, now, within))

    def median_residual_life(self, frame: pd.DataFrame, now: ArrayLike) -> FloatArray:
        """Time from ``now`` until each member is more likely gone than not (infinite where
        the model cannot tell within what it has seen: see the subclass)."""
        x = self._matrix(frame)
        tenure = np.broadcast_to(np.asarray(now, np.float64), (len(x),))
        return self._residual_time(x, np.ascontiguousarray(tenure), 0.5)

    def score(
        self, frame: pd.DataFrame, now: str | ArrayLike, horizons: Sequence[int] = (30, 90)
    ) -> pd.DataFrame:
        """One row per member of ``frame`` (same index): ``p_cancel_<h>d`` for each horizon
        and ``median_residual_life``; ``now`` is a column name or the tenures."""
        tenure = frame[now].to_numpy(np.float64) if isinstance(now, str) else now
        out = pd.DataFrame(index=frame.index)
        x = self._matrix(frame)
        tenure = np.broadcast_to(np.asarray(tenure, np.float64), (len(x),))
        before = self._cumulative_hazard(x, tenure)
        for h in horizons:
            later = self._cumulative_hazard(x, tenure + h)
            out[f"p_cancel_{h}d"] = -np.expm1(-(later - before))
        out["median_residual_life"] = self._residual_time(x, np.ascontiguousarray(tenure), 0.5)
        return out

    def _matrix(self, frame: pd.DataFrame) -> FloatArray:
        self._fitted()
        return self.design_.matrix(frame)

    def _fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise FitError(f"{type(self).__name__} is not fitted: call fit() first")


Z95 = float(stats.norm.ppf(0.975))


def newton(
    objective: Objective, start: FloatArray, tolerance: float = 1e-9, max_iterations: int = 100
) -> tuple[FloatArray, float, FloatArray, int]:
    """Maximise a log-likelihood by Newton's method with step halving.

    ``objective(beta)`` returns ``(log-likelihood, gradient, information)`` (information: the
    negative Hessian). Stops when the largest step is below ``tolerance``. Returns the
    maximum, its log-likelihood, the information there, and the iterations taken.
    """
    beta = start.copy()
    value, gradient, information = objective(beta)
    for iteration in range(1, max_iterations + 1):
        step = _ascent_step(information, gradient)
        for _ in range(30):
            candidate = beta + step
            new_value, new_gradient, new_information = objective(candidate)
            if np.isfinite(new_value) and new_value >= value - 1e-12 * abs(value):
                break
            step = step / 2
        else:
            raise FitError("Newton's method could not increase the likelihood")
        beta, value, gradient, information = candidate, new_value, new_gradient, new_information
        if np.max(np.abs(step)) < tolerance:
            eigenvalues = np.linalg.eigvalsh(information)
            if not eigenvalues[0] > 1e-10 * eigenvalues[-1]:
                raise FitError("the information matrix is singular: covariates are collinear")
            return beta, value, information, iteration
    raise FitError(f"Newton's method did not converge in {max_iterations} iterations")


def _ascent_step(information: FloatArray, gradient: FloatArray) -> FloatArray:
    """Solve ``information · step = gradient``, adding ``μ I`` until it is positive definite."""
    if not np.all(np.isfinite(information)):
        raise FitError("the likelihood's curvature is not finite: check the covariates' scale")
    scale = float(np.max(np.abs(np.diag(information)))) or 1.0
    for damping in (0.0, *(scale * 10.0**j for j in range(-8, 3))):
        try:
            factor = np.linalg.cholesky(information + damping * np.eye(len(gradient)))
        except np.linalg.LinAlgError:
            continue
        return np.asarray(np.linalg.solve(factor.T, np.linalg.solve(factor, gradient)))
    raise FitError("the information matrix is singular: a covariate is constant or collinear")
