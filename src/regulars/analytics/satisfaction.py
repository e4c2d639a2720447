"""CSAT and mean ratings, each with its interval.

CSAT is the share of answers of 4 or 5 on a 1-5 scale, with an adjusted-Wald
(Agresti-Coull) interval; a mean rating comes with a Student-t interval clipped to the
scale's bounds (a mean of ratings between 1 and 5 cannot lie outside [1, 5], so the parts of
the t interval beyond them carry no probability: clipping keeps the stated coverage and
only removes impossible values; [2] ch. 3 recommends the t interval for rating means and
the same truncation is what [1] does for proportions at 0 and 1).

References
----------
.. [1] Agresti, A. & Coull, B. A. (1998). Approximate is better than "exact" for interval
   estimation of binomial proportions. *The American Statistician*, 52(2), 119-126.
.. [2] Sauro, J. & Lewis, J. R. (2016). *Quantifying the User Experience*, 2nd ed., ch. 3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from regulars.analytics.nps import z_value
from regulars.analytics.responses import driver_names

SCALE = (1.0, 5.0)
"""The bounds of a satisfaction rating (CSAT and driver questions ask 1-5)."""


def proportion_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The adjusted-Wald (Agresti-Coull) interval of a proportion, clipped to [0, 1]."""
    if n == 0:
        return float("nan"), float("nan")
    z = z_value(confidence)
    n_adj = n + z * z
    p_adj = (successes + z * z / 2) / n_adj
    half = z * math.sqrt(p_adj * (1 - p_adj) / n_adj)
    return max(0.0, p_adj - half), min(1.0, p_adj + half)


def csat(ratings: pd.Series, confidence: float = 0.95) -> dict[str, float]:
    """CSAT (% of 4-5 on a 1-5 scale) with its interval, and the mean rating with its own."""
    values = pd.to_numeric(ratings, errors="coerce").dropna().to_numpy(dtype=float)
    n = int(values.size)
    satisfied = int((values >= 4).sum())
    low, high = proportion_interval(satisfied, n, confidence)
    mean, mean_low, mean_high = mean_interval(values, confidence, bounds=SCALE)
    return {
        "n": n,
        "csat": 100 * satisfied / n if n else float("nan"),
        "csat_low": 100 * low,
        "csat_high": 100 * high,
        "mean": mean,
        "mean_low": mean_low,
        "mean_high": mean_high,
    }


@lru_cache(maxsize=4096)
def _t_value(confidence: float, degrees: int) -> float:
    return float(stats.t.ppf(0.5 + confidence / 2, degrees))


def mean_interval(
    values: np.ndarray | pd.Series,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """Mean and Student-t interval (NaN bounds with fewer than two values).

    With ``bounds`` (the scale's least and greatest value) the interval is clipped to them:
    ratings 1, 4 give a mean of 2.5 whose raw t interval is [-16.56, 21.56]; on a 1-5 scale
    it is reported as [1, 5]."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(data.mean())
    if data.size < 2:
        return mean, float("nan"), float("nan")
    sem = float(data.std(ddof=1) / math.sqrt(data.size))
    t = _t_value(confidence, int(data.size) - 1)
    low, high = mean - t * sem, mean + t * sem
    if bounds is not None:
        low, high = max(float(bounds[0]), low), min(float(bounds[1]), high)
    return mean, low, high


def csat_table(
    responses: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    column: str = "csat",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """CSAT and mean rating overall or per group (one row per group, largest first)."""
    if column not in responses:
        return pd.DataFrame(columns=["n", "csat", "csat_low", "csat_high", "mean"])
    data = responses[responses[column].notna()]
    if by is None:
        return pd.DataFrame([csat(data[column], confidence)])
    keys = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in data.dropna(subset=keys).groupby(keys, sort=False):
        values = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, values, strict=True)), **csat(group[column], confidence)})
    if not rows:
        return pd.DataFrame(columns=[*keys, "n", "csat", "csat_low", "csat_high", "mean"])
    return (
        pd.DataFrame(rows).sort_values("n", ascending=False, kind="stable").reset_index(drop=True)
    )


def driver_ratings(responses: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per driver: the mean satisfaction rating and CSAT, with intervals."""
    rows = [
        {"driver": driver, **csat(responses[f"sat_{driver}"], confidence)}
        for driver in driver_names(responses)
    ]
    return pd.DataFrame(
        rows,
        columns=["driver", "n", "csat", "csat_low", "csat_high", "mean", "mean_low", "mean_high"],
    )
