"""Data drawn from the models themselves: ground truth for tests and benchmarks.

Each draw follows the model's story exactly (lifetimes' own generator does not reproduce
BG/NBD), so a fit on a large draw must recover the parameters it was drawn with.

* BG/NBD: ``λ ~ Gamma(r, α)``, ``p ~ Beta(a, b)``; ``N ~ Poisson(λT)`` arrivals in ``(0, T]``;
  the member drops out right after repeat purchase ``K ~ Geometric(p)``, so ``x = min(K, N)``
  and, the arrival times being uniform order statistics, ``t_x = T · Beta(x, N-x+1)``.
* Pareto/NBD: ``μ ~ Gamma(s, β)``, lifetime ``τ ~ Exp(μ)``; ``x ~ Poisson(λ·min(τ, T))`` and
  ``t_x`` the largest of x uniforms on ``(0, min(τ, T)]``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def _ages(n: int, T: ArrayLike) -> np.ndarray:  # noqa: N803
    return np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,  # noqa: N803
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """``n`` members' ``frequency, recency, T`` drawn from BG/NBD (continuous time)."""
    rng = np.random.default_rng(seed)
    age = _ages(n, T)
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = rng.beta(a, b, n)
    arrivals = rng.poisson(rate * age)
    before_dropout = rng.geometric(dropout)
    x = np.minimum(before_dropout, arrivals)
    t_x = np.where(x > 0, age * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": age})


def simulate_pareto_nbd(
    n: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: ArrayLike,  # noqa: N803
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """``n`` members' ``frequency, recency, T`` drawn from Pareto/NBD (continuous time)."""
    rng = np.random.default_rng(seed)
    age = _ages(n, T)
    rate = rng.gamma(r, 1 / alpha, n)
    death_rate = rng.gamma(s, 1 / beta, n)
    alive_for = np.minimum(rng.exponential(1 / death_rate), age)
    x = rng.poisson(rate * alive_for)
    t_x = np.where(x > 0, alive_for * rng.random(n) ** (1 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": age})


def simulate_transactions(
    n: int,
    start: datetime,
    end: datetime,
    r: float = 0.8,
    alpha: float = 40.0,
    s: float = 0.8,
    beta: float = 200.0,
    mean_amount: int = 8_000,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """A purchase log (``member_id, occurred_at, amount``) of Pareto/NBD members, times in days.

    Members join uniformly between ``start`` and ``end`` with a first purchase; repeat
    purchases follow the model; amounts are Gamma-distributed around ``mean_amount`` with a
    member-specific mean. Sorted by member and time.
    """
    rng = np.random.default_rng(seed)
    span = (end - start).total_seconds() / 86_400
    joined = rng.random(n) * span
    age = span - joined
    rate = rng.gamma(r, 1 / alpha, n)
    death_rate = rng.gamma(s, 1 / beta, n)
    alive_for = np.minimum(rng.exponential(1 / death_rate), age)
    repeats = rng.poisson(rate * alive_for)
    counts = repeats + 1
    member = np.repeat(np.arange(1, n + 1, dtype=np.int64), counts)
    offsets = rng.random(int(counts.sum())) * np.repeat(alive_for, counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offsets[first] = 0.0
    days = np.repeat(joined, counts) + offsets
    order = np.lexsort((days, member))
    member_mean = rng.gamma(4.0, mean_amount / 4.0, n)
    amounts = rng.gamma(6.0, np.repeat(member_mean, counts) / 6.0)
    occurred = np.datetime64(start.replace(tzinfo=None), "us") + (days * 86_400e6).astype(
        "timedelta64[us]"
    )
    return pd.DataFrame(
        {
            "member_id": member[order],
            "occurred_at": pd.DatetimeIndex(occurred[order]).tz_localize("UTC"),
            "amount": np.maximum(np.rint(amounts[order]), 1).astype(np.int64),
        }
    )
