"""When a member will be lost: the median of the time of loss, from a model's survival curve.

Both BG/NBD and Pareto/NBD give ``S(t) = P(still a customer at T + t | history)``, which falls
from P(alive) towards 0. The median time to loss is the ``t`` where ``S(t) = 1/2``; when P(alive)
is already at or below one half the member is more likely lost than not, and it is 0 ("now").
It is found by bisection on ``log t`` over the distinct histories, 64 halvings (far below a
second of a day), and is infinite when the curve stays above one half for 10⁶ time units.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from regulars.analytics.clv.base import FloatArray, as_float_array, compress

HORIZON_LIMIT = 1e6


class SurvivalModel(Protocol):
    def survival_function(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray: ...


def median_time_to_loss(
    model: SurvivalModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
    level: float = 0.5,
) -> FloatArray:
    """Time after T until the probability of still being a customer falls to ``level``."""
    x, t_x, age = np.broadcast_arrays(
        as_float_array(frequency), as_float_array(recency), as_float_array(T)
    )
    data = compress(x, t_x, age)
    ux, utx, uage = data.columns
    now = model.survival_function(0.0, ux, utx, uage)
    result = np.zeros_like(ux)
    pending = now > level
    far = model.survival_function(HORIZON_LIMIT, ux, utx, uage) > level
    result[pending & far] = np.inf
    todo = pending & ~far
    if np.any(todo):
        lo = np.full(int(todo.sum()), np.log(1e-9))
        hi = np.full_like(lo, np.log(HORIZON_LIMIT))
        sx, stx, sage = ux[todo], utx[todo], uage[todo]
        for _ in range(64):
            mid = (lo + hi) / 2
            above = model.survival_function(np.exp(mid), sx, stx, sage) > level
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        result[todo] = np.exp((lo + hi) / 2)
    return np.asarray(result[data.inverse])
