"""Weibull accelerated-failure-time regression of time to cancellation.

``T | x`` is Weibull with shape ``k`` and scale ``λ(x) = exp(β_0 + x'β)``:
``S(t | x) = exp(-(t/λ(x))^k)``. ``exp(β_j)`` is a *time ratio* (a covariate that doubles
``λ`` doubles the expected time to cancellation); the Weibull is also a proportional-hazards
model, with hazard ratio ``exp(-k β_j)`` — comparable with the Cox model's. This is the
parameterisation of R's ``survreg(dist = "weibull")`` (``scale = 1/k``) and of lifelines'
``WeibullAFTFitter`` (``rho_ = log k``).

Maximum likelihood by Newton's method with the analytic gradient and Hessian: with
``u_i = log t_i - η_i`` and event indicator ``δ_i``, the log-likelihood is
``Σ δ_i (log k - log t_i + k u_i) - exp(k u_i)``; each iteration is one pass over ``X`` and
one weighted ``n × p²`` product. Unlike the Cox model it extrapolates beyond the longest
follow-up, and the median residual life has a closed form:
``m = λ (log 2 + (now/λ)^k)^{1/k} - now``.

Public API: :class:`WeibullAFTModel` — ``fit(frame, duration, event, covariates)``,
``params_`` (design columns, ``intercept``, ``log_shape``), ``shape_``, ``time_ratios_``,
``hazard_ratios_``, and the predictions of
:class:`~regulars.analytics.churn.survival.SurvivalRegression`.

References
----------
Kalbfleisch, J. D., & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
Data* (2nd ed.). Wiley (ch. 2–3, the Weibull regression model).

Collett, D. (2015). *Modelling Survival Data in Medical Research* (3rd ed.). CRC Press
(ch. 6, accelerated failure time models; the hazard ratio ``exp(-β/σ)``).
"""

from __future__ import annotations

from contextlib import suppress

import numpy as np
import pandas as pd

from regulars.analytics.churn.survival import (
    NDArrayBool,
    Objective,
    SurvivalRegression,
    newton,
)
from regulars.analytics.clv.base import FitError, FloatArray


class WeibullAFTModel(SurvivalRegression):
    """Weibull AFT by Newton's method on the full likelihood."""

    positive_durations = True  # log t: a duration of 0 has no Weibull likelihood

    @property
    def shape_(self) -> float:
        """The Weibull shape ``k``: above 1 the hazard rises with tenure, below 1 it falls."""
        self._fitted()
        return float(np.exp(self.params_["log_shape"]))

    @property
    def time_ratios_(self) -> pd.DataFrame:
        """``exp(β_j)`` per design column with its 95 % interval (the AFT effects)."""
        self._fitted()
        p = len(self.design_.columns)
        return self._effects(
            self.params_.to_numpy()[:p], self.standard_errors_.to_numpy()[:p], "time_ratio"
        )

    @property
    def hazard_ratios_(self) -> pd.DataFrame:
        """``exp(-k β_j)`` per design column, interval by the delta method on ``-k β_j``."""
        self._fitted()
        p = len(self.design_.columns)
        beta = self.params_.to_numpy()[:p]
        k = self.shape_
        cov = self.covariance_.to_numpy()
        # g = -k β_j = -exp(s) β_j: ∂g/∂β_j = -k, ∂g/∂s = -k β_j.
        var = k**2 * (np.diag(cov)[:p] + beta**2 * cov[-1, -1] + 2 * beta * cov[:p, -1])
        return self._effects(-k * beta, np.sqrt(var), "hazard_ratio")

    def _fit_arrays(self, times: FloatArray, events: NDArrayBool, x: FloatArray) -> None:
        log_t = np.log(times)
        dead = events.astype(np.float64)
        design = np.column_stack([x, np.ones(len(x))])
        p = design.shape[1]
        # Start from the Weibull without covariates (intercept and shape: a fit over one
        # column, no matrix products), itself started from the shape the cancellations'
        # spread of log-times suggests (log T has the spread π / (k √6)) and the scale most
        # likely for that shape; the full fit then needs a few Newton steps, not a dozen
        # with halvings. If that fit fails, from the exponential model (k = 1, λ = Σt / Σδ).
        start = np.zeros(p + 1)
        start[p - 1] = float(np.log(times.sum() / dead.sum()))
        with suppress(FitError):  # the full fit from the exponential start then says why
            start[p - 1 :] = newton(
                _objective(log_t, dead, np.ones((len(x), 1))), _plain_start(log_t, dead)
            )[0]
        theta, value, information, iterations = newton(_objective(log_t, dead, design), start)
        names = [*self.design_.columns, "intercept", "log_shape"]
        self.params_ = pd.Series(theta, index=names, dtype=np.float64)
        self.covariance_ = pd.DataFrame(np.linalg.inv(information), index=names, columns=names)
        self.log_likelihood_ = value
        self.iterations_ = iterations

    def _scale(self, x: FloatArray) -> tuple[FloatArray, float]:
        p = len(self.design_.columns)
        theta = self.params_.to_numpy()
        return np.exp(x @ theta[:p] + theta[p]), float(np.exp(theta[p + 1]))

    def _cumulative_hazard(self, x: FloatArray, t: FloatArray) -> FloatArray:
        scale, k = self._scale(x)
        return np.asarray((t / scale) ** k)

    def _residual_time(self, x: FloatArray, now: FloatArray, level: float) -> FloatArray:
        scale, k = self._scale(x)
        return np.asarray(scale * (-np.log(level) + (now / scale) ** k) ** (1 / k) - now)

    def _risk(self, x: FloatArray) -> FloatArray:
        # A shorter time scale means an earlier cancellation: the hazard ranks as -η.
        return np.asarray(-(x @ self.params_.to_numpy()[: len(self.design_.columns)]))


def _plain_start(log_t: FloatArray, dead: FloatArray) -> FloatArray:
    """``(log λ, log k)`` to start the fit without covariates from: ``k`` from the spread
    of the cancellations' log-times, ``λ`` the most likely scale given that ``k``."""
    spread = float(np.std(log_t[dead > 0]))
    k = np.pi / (np.sqrt(6.0) * spread) if spread > 0 else 1.0
    top = float(log_t.max())
    log_sum = k * top + float(np.log(np.sum(np.exp(k * (log_t - top)))))  # log Σ t^k
    return np.array([(log_sum - np.log(dead.sum())) / k, np.log(k)])


def _objective(log_t: FloatArray, dead: FloatArray, design: FloatArray) -> Objective:
    """The log-likelihood of ``(β, log k)`` with its gradient and information (the
    weighted design in one buffer reused by every call)."""
    p = design.shape[1]
    buffer = np.empty_like(design)

    def objective(theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        beta, s = theta[:p], theta[p]
        u = log_t - design @ beta
        with np.errstate(over="ignore", invalid="ignore"):
            k = np.exp(s)  # k and z overflow only far from the maximum: a step to halve
            ku = k * u
            z = np.exp(ku)
            value = float(np.sum(dead * (s - log_t + ku) - z))
        if not np.isfinite(value):
            return -np.inf, np.zeros(p + 1), np.eye(p + 1)
        residual = k * (z - dead)
        # the gradient in β and the cross terms with log k, in one pass over the design
        grad_beta, cross = (design.T @ np.column_stack([residual, residual + k * z * ku])).T
        grad_s = float(np.sum(dead * (1 + ku) - z * ku))
        info = np.empty((p + 1, p + 1))
        # X' diag(k² z) X as (√(k² z) X)'(√(k² z) X): one symmetric product (BLAS syrk)
        root = np.multiply(design, (k * np.sqrt(z))[:, None], out=buffer)
        info[:p, :p] = root.T @ root
        info[:p, p] = info[p, :p] = -cross
        info[p, p] = -float(np.sum(dead * ku - ku * z * (1 + ku)))
        return value, np.append(grad_beta, grad_s), info

    return objective
