"""What every buy-till-you-die model shares: fitting by maximum likelihood over compressed data,
and (:class:`PurchaseModel`) the survival curve and the median time to loss.

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
    """Group identical rows of ``columns``; ``inverse`` maps each input row to its group.

    Each column becomes integer codes — its offset from the minimum when it holds whole
    numbers (counts of purchases, days), else a hash (``pandas.factorize``) — the codes are
    combined into one integer per row and that is hashed again: linear time, no sort.
    """
    arrays = [np.asarray(c, dtype=np.float64).reshape(-1) for c in columns]
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    span = 1
    for array in arrays:
        codes, size = _codes(array)
        if span * size >= 2**62:  # re-hash before the combined key overflows
            key, _ = pd.factorize(key)
            key = key.astype(np.int64)
            span = int(key.max()) + 1 if len(key) else 1
        key *= size
        key += codes
        span *= size
    inverse, groups = pd.factorize(key)
    first = np.full(len(groups), -1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    weights = np.bincount(inverse, minlength=len(groups)).astype(np.float64)
    return Compressed(
        columns=tuple(np.ascontiguousarray(a[first]) for a in arrays),
        weights=weights,
        inverse=inverse.astype(np.intp),
    )


def _codes(array: FloatArray) -> tuple[NDArray[np.int64], int]:
    """Integer codes of a column's values and how many codes there can be."""
    if len(array):
        low, high = float(array.min()), float(array.max())
        whole = array.astype(np.int64)
        if np.isfinite(low) and high - low < 2**31 and np.array_equal(whole, array):
            whole -= int(low)
            return whole, int(high - low) + 1
    codes, uniques = pd.factorize(array)
    return codes.astype(np.int64), max(len(uniques), 1)


def distinct(values: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Sorted distinct values and each element's index among them (``np.unique`` with
    ``return_inverse``, by hashing: no sort of the whole array)."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.asarray(uniques, dtype=np.float64), codes.astype(np.intp)


def weighted_sum(weights: ArrayLike, values: ArrayLike) -> float:
    """``Σ weights·values`` in one pass of numpy's own loop.

    ``np.dot`` would hand 1-D vectors to BLAS, whose threads fight each other on a busy
    machine: on two shared cores that made a fit ten times slower.
    """
    left = np.asarray(weights, dtype=np.float64)
    right = np.asarray(values, dtype=np.float64)
    return float(np.einsum("i,i->", left, right))


def as_float_array(values: ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


WARM_START_ROWS = 100_000
# Largest |d mean log-likelihood / d log(param)| accepted at the maximum: the total
# log-likelihood is then within about n·10⁻¹⁸ of its maximum, far below any printed decimal.
GRADIENT_TOLERANCE = 1e-9
WARM_START_MEMBERS = 50_000


def _search(objective: Objective, x0: FloatArray, n_members: float) -> Any:
    """L-BFGS-B on the mean log-likelihood per member, over the log of the parameters."""
    scale = 1.0 / max(n_members, 1.0)

    def per_member(theta: FloatArray) -> tuple[float, FloatArray]:
        # The mean keeps the first steps of the search sane whatever the sample size;
        # a region where the likelihood is not finite is refused, not entered.
        value, gradient = objective(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e10, np.zeros_like(theta)
        return value * scale, gradient * scale

    return optimize.minimize(
        per_member,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-20.0, 20.0)] * len(x0),
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": GRADIENT_TOLERANCE},
    )


def _newton(
    objective: Objective, x0: FloatArray, hessian_per_member: FloatArray, n_members: float
) -> FloatArray:
    """Newton steps on the full data with the Hessian of the subsample held fixed.

    The subsample's Hessian per member is within sampling error of the full data's, so the
    steps converge fast (linearly, at the rate of that error); each costs one gradient. A
    step that does not lower the likelihood is halved; after ten halvings the search stops
    and L-BFGS-B takes over from the best point.
    """
    try:
        inverse = np.linalg.inv(hessian_per_member)
    except np.linalg.LinAlgError:
        return x0
    if not np.all(np.isfinite(inverse)) or np.any(np.linalg.eigvalsh(hessian_per_member) <= 0):
        return x0
    scale = 1.0 / n_members
    x = x0
    value, gradient = objective(x)
    value, gradient = value * scale, gradient * scale
    for _ in range(30):
        step = -inverse @ gradient
        if np.max(np.abs(gradient)) < GRADIENT_TOLERANCE or np.max(np.abs(step)) < 1e-7:
            break
        for _ in range(10):
            candidate = x + step
            new_value, new_gradient = objective(candidate)
            # Near the maximum the values differ by rounding only: judge by the gradient.
            if np.isfinite(new_value) and (
                new_value * scale <= value + 1e-13 * abs(value)
                or np.max(np.abs(new_gradient * scale)) < np.max(np.abs(gradient))
            ):
                break
            step = step / 2
        else:
            break
        x, value, gradient = candidate, new_value * scale, new_gradient * scale
    return x


def _hessian(objective: Objective, point: FloatArray) -> FloatArray:
    """Hessian of ``objective`` by central differences of its gradient."""
    n = len(point)
    hessian = np.empty((n, n))
    for i in range(n):
        step = 1e-5 * max(1.0, abs(point[i]))
        up, down = point.copy(), point.copy()
        up[i] += step
        down[i] -= step
        hessian[i] = (objective(up)[1] - objective(down)[1]) / (2 * step)
    return np.asarray((hessian + hessian.T) / 2)


class FitError(RuntimeError):
    """The optimiser did not converge to a maximum of the likelihood."""


class BaseModel:
    """A model fitted by maximum likelihood over named positive parameters.

    Subclasses set :attr:`parameter_names` and implement ``_objective`` (the negative
    log-likelihood and its gradient with respect to the *log* of the parameters, summed over
    compressed rows). After :meth:`_maximise`, ``params_`` (a :class:`pandas.Series`),
    ``log_likelihood_`` and ``n_members_`` are set, and ``standard_errors_`` can be read.
    """

    parameter_names: tuple[str, ...] = ()
    params_: pd.Series
    log_likelihood_: float
    n_members_: int
    _objective: Objective | None = None

    def _maximise(
        self,
        make_objective: Callable[[tuple[FloatArray, ...], FloatArray], Objective],
        data: Compressed,
        start: Sequence[float],
    ) -> BaseModel:
        """Maximise the likelihood; warm-started from a subsample when the data are large.

        With more than :data:`WARM_START_ROWS` distinct rows, the search first runs on a
        weighted sample of :data:`WARM_START_MEMBERS` members (cheap), then on all the rows
        from there — which takes a handful of evaluations instead of dozens. The maximum is
        that of the full data either way.
        """
        x0 = np.log(np.asarray(start, dtype=np.float64))
        total = float(data.weights.sum())
        objective = make_objective(data.columns, data.weights)
        if len(data.weights) > WARM_START_ROWS:
            rng = np.random.default_rng(20050101)
            counts = rng.multinomial(WARM_START_MEMBERS, data.weights / total).astype(np.float64)
            keep = counts > 0
            sample = make_objective(tuple(c[keep] for c in data.columns), counts[keep])
            warm = np.asarray(_search(sample, x0, WARM_START_MEMBERS).x, dtype=np.float64)
            x0 = _newton(objective, warm, _hessian(sample, warm) / WARM_START_MEMBERS, total)
        result = _search(objective, x0, total)
        if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
            raise FitError(f"{type(self).__name__}: the likelihood is not finite: {result}")
        log_params = np.asarray(result.x, dtype=np.float64)
        self.params_ = pd.Series(
            np.exp(log_params), index=list(self.parameter_names), dtype=np.float64
        )
        self.log_likelihood_ = -float(result.fun) * total
        self.n_members_ = int(total)
        self.optimizer_result_: Any = result
        self._objective = objective
        self._log_params = log_params
        self.__dict__.pop("_standard_errors", None)
        return self

    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors of the parameters from the observed information (computed on first
        use: it costs two gradient evaluations per parameter)."""
        cached = self.__dict__.get("_standard_errors")
        if cached is None:
            if self._objective is None:
                raise FitError(f"{type(self).__name__} is not fitted: call fit() first")
            cached = pd.Series(
                _standard_errors(self._objective, self._log_params),
                index=list(self.parameter_names),
                dtype=np.float64,
            )
            self.__dict__["_standard_errors"] = cached
        return cached

    def _param_values(self) -> tuple[float, ...]:
        if not hasattr(self, "params_"):
            raise FitError(f"{type(self).__name__} is not fitted: call fit() first")
        return tuple(float(self.params_[name]) for name in self.parameter_names)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<{type(self).__name__}: not fitted>"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: {shown}; LL={self.log_likelihood_:.2f}>"


HORIZON_LIMIT = 1e6
"""Time units beyond which :meth:`PurchaseModel.median_time_to_loss` calls a loss infinite."""


class PurchaseModel(BaseModel):
    """A model of purchases while alive and of dropping out (BG/NBD, Pareto/NBD).

    A subclass gives P(alive at T | history) (``expected_probability_alive``) and the survival
    from T of a member alive at T (``conditional_survival``); what follows from the two — the
    survival curve and the median time to loss — is written here once.
    """

    def expected_probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(still a customer at T | x, t_x, T)."""
        raise NotImplementedError

    def conditional_survival(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(still a customer at T + t | alive at T and the history)."""
        raise NotImplementedError

    def survival_function(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """P(still a customer at T + t | history): P(alive) times the conditional survival."""
        return np.asarray(
            self.expected_probability_alive(frequency, recency, T)
            * self.conditional_survival(t, frequency, recency, T)
        )

    def median_time_to_loss(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
        level: float = 0.5,
    ) -> FloatArray:
        """Time after T until P(still a customer) falls to ``level`` (one half: the median).

        The survival curve ``S(t)`` falls from P(alive) towards 0; the median time to loss is
        the ``t`` where ``S(t) = 1/2``. When P(alive) is already at or below one half the member
        is more likely lost than not, and it is 0 ("now"). It is found by bisection on
        ``log t`` over the distinct histories, 64 halvings (far below a second of a day), and
        is infinite when the curve stays above one half for :data:`HORIZON_LIMIT` time units.
        """
        x, t_x, age = np.broadcast_arrays(
            as_float_array(frequency), as_float_array(recency), as_float_array(T)
        )
        data = compress(x, t_x, age)
        ux, utx, uage = data.columns
        now = self.survival_function(0.0, ux, utx, uage)
        result = np.zeros_like(ux)
        pending = now > level
        far = self.survival_function(HORIZON_LIMIT, ux, utx, uage) > level
        result[pending & far] = np.inf
        todo = pending & ~far
        if np.any(todo):
            lo = np.full(int(todo.sum()), np.log(1e-9))
            hi = np.full_like(lo, np.log(HORIZON_LIMIT))
            sx, stx, sage = ux[todo], utx[todo], uage[todo]
            for _ in range(64):
                mid = (lo + hi) / 2
                above = self.survival_function(np.exp(mid), sx, stx, sage) > level
                lo = np.where(above, mid, lo)
                hi = np.where(above, hi, mid)
            result[todo] = np.exp((lo + hi) / 2)
        return np.asarray(result[data.inverse])


def _standard_errors(objective: Objective, log_params: FloatArray) -> FloatArray:
    """Standard errors of the natural parameters from the observed information.

    The Hessian with respect to ``θ = log(param)`` is taken by central differences of the
    analytic gradient; at the maximum the Hessian in natural units is ``J⁻¹ H J⁻¹`` with
    ``J = diag(param)``, so ``se(param) = param · se(θ)``.
    """
    hessian = _hessian(objective, log_params)
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(len(log_params), np.nan)
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
