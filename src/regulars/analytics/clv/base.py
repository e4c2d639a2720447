"""What every buy-till-you-die model shares: fitting by maximum likelihood over compressed data.

A customer base of a million members holds far fewer distinct ``(frequency, recency, T)``
triples (recency and age are whole days), and each triple's log-likelihood is the same for
every member who has it. :func:`compress` groups the triples and the likelihood is a weighted
sum over them: the same maximum, at a fraction of the cost. Parameters are optimised on the
log scale (so they stay positive) with L-BFGS-B; standard errors come from the inverse of the
observed information (the Hessian of the negative log-likelihood at the maximum, by central
differences of the gradient).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]


@dataclass(frozen=True)
class Compressed:
    """Distinct rows of the model's inputs, with how many members share each."""

    columns: tuple[FloatArray, ...]
    weights: FloatArray
    inverse: NDArray[np.intp]


def compress(*columns: ArrayLike) -> Compressed:
    """Group identical rows of ``columns``; ``inverse`` maps each input row to its group."""
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    stacked = np.column_stack(arrays)
    unique, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return Compressed(
        columns=tuple(np.ascontiguousarray(unique[:, i]) for i in range(unique.shape[1])),
        weights=counts.astype(np.float64),
        inverse=inverse.reshape(-1),
    )


def as_float_array(values: ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


class FitError(RuntimeError):
    """The optimiser did not converge to a maximum of the likelihood."""


class BaseModel:
    """A model fitted by maximum likelihood over named positive parameters.

    Subclasses set :attr:`parameter_names` and implement ``_objective`` (the negative
    log-likelihood and its gradient with respect to the *log* of the parameters, summed over
    compressed rows). After :meth:`_maximise`, ``params_`` (a :class:`pandas.Series`),
    ``standard_errors_``, ``log_likelihood_`` and ``n_members_`` are set.
    """

    parameter_names: tuple[str, ...] = ()
    params_: pd.Series
    standard_errors_: pd.Series
    log_likelihood_: float
    n_members_: int

    def _maximise(self, objective: Objective, start: Sequence[float], n_members: int) -> BaseModel:
        x0 = np.log(np.asarray(start, dtype=np.float64))
        scale = 1.0 / max(n_members, 1)

        def per_member(theta: FloatArray) -> tuple[float, FloatArray]:
            # The mean keeps the first steps of the search sane whatever the sample size;
            # a region where the likelihood is not finite is refused, not entered.
            value, gradient = objective(theta)
            if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
                return 1e10, np.zeros_like(theta)
            return value * scale, gradient * scale

        result = optimize.minimize(
            per_member,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-20.0, 20.0)] * len(x0),
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )
        if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
            raise FitError(f"{type(self).__name__}: the likelihood is not finite: {result}")
        log_params = np.asarray(result.x, dtype=np.float64)
        params = np.exp(log_params)
        self.params_ = pd.Series(params, index=list(self.parameter_names), dtype=np.float64)
        self.log_likelihood_ = -float(result.fun) / scale
        self.n_members_ = int(n_members)
        self.standard_errors_ = pd.Series(
            _standard_errors(objective, log_params),
            index=list(self.parameter_names),
            dtype=np.float64,
        )
        self.optimizer_result_: Any = result
        return self

    def _param_values(self) -> tuple[float, ...]:
        if not hasattr(self, "params_"):
            raise FitError(f"{type(self).__name__} is not fitted: call fit() first")
        return tuple(float(self.params_[name]) for name in self.parameter_names)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<{type(self).__name__}: not fitted>"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: {shown}; LL={self.log_likelihood_:.2f}>"


def _standard_errors(objective: Objective, log_params: FloatArray) -> FloatArray:
    """Standard errors of the natural parameters from the observed information.

    The Hessian with respect to ``θ = log(param)`` is taken by central differences of the
    analytic gradient; at the maximum the Hessian in natural units is ``J⁻¹ H J⁻¹`` with
    ``J = diag(param)``, so ``se(param) = param · se(θ)``.
    """
    n = len(log_params)
    hessian = np.empty((n, n))
    for i in range(n):
        step = 1e-5 * max(1.0, abs(log_params[i]))
        up, down = log_params.copy(), log_params.copy()
        up[i] += step
        down[i] -= step
        hessian[i] = (objective(up)[1] - objective(down)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(n, np.nan)
    variances = np.diag(covariance)
    with np.errstate(invalid="ignore"):
        return np.exp(log_params) * np.sqrt(np.where(variances >= 0, variances, np.nan))


def numerical_gradient(
    function: Callable[[FloatArray], float], point: FloatArray, step: float = 1e-6
) -> FloatArray:
    """Central-difference gradient, for likelihoods without a closed-form one."""
    gradient = np.empty_like(point)
    for i in range(len(point)):
        up, down = point.copy(), point.copy()
        up[i] += step
        down[i] -= step
        gradient[i] = (function(up) - function(down)) / (2 * step)
    return gradient
