"""What drives likelihood to recommend, and what to fix first.

Derived importance comes from the answers themselves: how much of the variance of the
0-10 score each driver's satisfaction rating explains. Drivers are correlated, so plain
regression coefficients mislead; Johnson's relative weights share R-squared out among
correlated predictors, and the LMG (Shapley) decomposition does it exactly, averaging each
driver's gain in R-squared over every order of entry (affordable up to 12 drivers).

Importance x satisfaction gives the four quadrants of Importance-Performance Analysis,
and the weighted satisfaction gives a 0-100 loyalty index (factors -> indicators -> score,
the hierarchical model of the brief).

References
----------
.. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
   predictor variables in multiple regression. *Multivariate Behavioral Research*, 35(1),
   1-19.
.. [2] Tonidandel, S. & LeBreton, J. M. (2011). Relative importance analysis: a useful
   supplement to regression analysis. *Journal of Business and Psychology*, 26, 1-9.
.. [3] Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate
   and Multivariate Analysis*. Scott, Foresman. (The LMG decomposition.)
.. [4] Grömping, U. (2006). Relative importance for linear regression in R: the package
   relaimpo. *Journal of Statistical Software*, 17(1).
.. [5] Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal
   of Marketing*, 41(1), 77-79.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from regulars.analytics.responses import driver_names
from regulars.analytics.satisfaction import mean_interval

#: The four quadrants of the importance x satisfaction matrix.
QUADRANTS = {
    (True, True): "keep up the good work",
    (True, False): "concentrate here",
    (False, True): "possible overkill",
    (False, False): "low priority",
}
MAX_LMG_DRIVERS = 12


def _correlations(
    frame: pd.DataFrame, outcome: str, drivers: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    data = frame[[*drivers, outcome]].dropna().to_numpy(dtype=float)
    if data.shape[0] <= len(drivers) + 1:
        raise ValueError(f"too few complete answers ({data.shape[0]}) for {len(drivers)} drivers")
    corr = np.corrcoef(data, rowvar=False)
    return corr[:-1, :-1], corr[:-1, -1]


def relative_weights(frame: pd.DataFrame, outcome: str, drivers: Sequence[str]) -> pd.DataFrame:
    """Johnson's (2000) relative weights of ``drivers`` for ``outcome``.

    The predictors are replaced by their closest orthogonal counterparts
    (``Z = X R^{-1/2}``); the outcome is regressed on them, and each orthogonal variable's
    share is carried back to the originals through the squared loadings. The raw weights
    add up to the model's R-squared.

    Returns one row per driver: ``raw_weight`` and ``share`` (percent of R-squared).

    References
    ----------
    Johnson, J. W. (2000), op. cit.; Tonidandel & LeBreton (2011), op. cit.
    """
    rxx, rxy = _correlations(frame, outcome, drivers)
    eigenvalues, eigenvectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 1e-12, None)
    loadings = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    beta = np.linalg.solve(loadings, rxy)
    raw = (loadings**2) @ (beta**2)
    r_squared = float(raw.sum())
    return pd.DataFrame(
        {"driver": list(drivers), "raw_weight": raw, "share": 100 * raw / r_squared}
    )


def _r_squared(rxx: np.ndarray, rxy: np.ndarray, subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    index = list(subset)
    r = rxy[index]
    return float(r @ np.linalg.solve(rxx[np.ix_(index, index)], r))


def lmg(frame: pd.DataFrame, outcome: str, drivers: Sequence[str]) -> pd.DataFrame:
    """The LMG (Shapley value) decomposition of R-squared, exactly, over all subsets.

    Each driver gets the average, over every order in which drivers could enter the
    regression, of the R-squared it adds. Computed from the correlation matrix over the
    ``2**k`` subsets, so limited to :data:`MAX_LMG_DRIVERS` drivers.

    References
    ----------
    Lindeman, Merenda & Gold (1980); Grömping (2006), op. cit.
    """
    k = len(drivers)
    if k > MAX_LMG_DRIVERS:
        raise ValueError(f"LMG is computed for at most {MAX_LMG_DRIVERS} drivers, not {k}")
    rxx, rxy = _correlations(frame, outcome, drivers)
    r2 = {
        subset: _r_squared(rxx, rxy, subset)
        for size in range(k + 1)
        for subset in itertools.combinations(range(k), size)
    }
    shares = np.zeros(k)
    for subset, value in r2.items():
        size = len(subset)
        for j in range(k):
            if j in subset:
                continue
            with_j = tuple(sorted((*subset, j)))
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            shares[j] += weight * (r2[with_j] - value)
    total = float(shares.sum())
    return pd.DataFrame({"driver": list(drivers), "lmg": shares, "lmg_share": 100 * shares / total})


def _complete(ratings: np.ndarray, keep: list[int]) -> int:
    return int(ratings[:, keep].all(axis=1).sum()) if keep else 0


def usable_drivers(responses: pd.DataFrame, outcome: str = "ltr") -> tuple[list[str], list[str]]:
    """The drivers that enough answers rated together, and those left out.

    Surveys may ask different driver sets (one adds ``attitude``): requiring every driver
    would leave no complete answer at all. While the answers that rated every kept driver
    (and gave the 0-10 score) are too few to estimate the weights (at most ``k + 1`` for
    ``k`` drivers), the driver whose removal leaves the most complete answers is left out
    (ties: the one rated least often); so is a driver that every complete answer rated
    alike (no variance, no correlation). Returns ``(kept, left_out)``, each in column order;
    ``kept`` is empty when not even one driver has enough answers.
    """
    names = driver_names(responses)
    if not names or outcome not in responses:
        return [], names
    answered = responses[responses[outcome].notna()]
    values = answered[[f"sat_{d}" for d in names]].to_numpy(dtype=float)
    ratings = ~np.isnan(values)
    rated = ratings.sum(axis=0)
    keep = list(range(len(names)))
    while keep:
        if _complete(ratings, keep) <= len(keep) + 1:
            drop = max(
                keep,
                key=lambda j: (_complete(ratings, [i for i in keep if i != j]), -int(rated[j])),
            )
        else:  # a driver everyone rated alike explains nothing (and has no correlation)
            rows = ratings[:, keep].all(axis=1)
            flat = [j for j in keep if np.ptp(values[rows, j]) == 0]
            if not flat:
                break
            drop = flat[0]
        keep.remove(drop)
    kept = [names[i] for i in keep]
    return kept, [d for d in names if d not in kept]


def driver_importance(
    responses: pd.DataFrame, outcome: str = "ltr", drivers: Sequence[str] | None = None
) -> pd.DataFrame:
    """Derived (relative weights, and LMG when at most 12 drivers) and stated importance.

    ``responses`` is the wide frame of :func:`regulars.analytics.responses.responses_wide`
    (``sat_<driver>`` ratings, optionally ``imp_<driver>`` stated importance). Returns one
    row per driver, most important first: ``raw_weight``, ``share``, ``lmg``,
    ``lmg_share``, ``stated_importance`` (mean, when asked), ``satisfaction`` (mean rating),
    ``n`` (complete answers used) and ``r_squared``. Without ``drivers``, the drivers
    enough answers rated together (:func:`usable_drivers`) are analysed.
    """
    names = list(drivers) if drivers is not None else usable_drivers(responses, outcome)[0]
    if not names:
        raise ValueError("too few answers rated the same drivers to weigh them")
    columns = [f"sat_{d}" for d in names]
    frame = responses[[*columns, outcome]].rename(columns=dict(zip(columns, names, strict=True)))
    table = relative_weights(frame, outcome, names)
    if len(names) <= MAX_LMG_DRIVERS:
        table = table.merge(lmg(frame, outcome, names), on="driver")
    table["satisfaction"] = [float(responses[f"sat_{d}"].mean()) for d in names]
    table["stated_importance"] = [
        float(responses[f"imp_{d}"].mean()) if f"imp_{d}" in responses else float("nan")
        for d in names
    ]
    table["n"] = int(frame.dropna().shape[0])
    table["r_squared"] = float(table["raw_weight"].sum())
    return table.sort_values("raw_weight", ascending=False).reset_index(drop=True)


def importance_satisfaction(
    importance: pd.DataFrame,
    importance_cut: float | None = None,
    satisfaction_cut: float | None = None,
) -> pd.DataFrame:
    """Place each driver on the importance x satisfaction matrix and rank what to fix.

    Importance is the derived share of R-squared; a driver is *important* when its share
    is at least ``importance_cut`` (default: an equal share, 100 / k) and *satisfying*
    when its mean rating is at least ``satisfaction_cut`` (default: the mean of the
    drivers' means). Labels: keep up the good work / concentrate here / possible overkill
    / low priority. ``fix_rank`` orders the drivers to fix first: the 'concentrate here'
    ones, then the rest, each by importance x (5 - satisfaction), the gain available.

    References
    ----------
    Martilla & James (1977), op. cit.
    """
    table = importance.copy()
    k = len(table)
    imp_cut = importance_cut if importance_cut is not None else 100.0 / k
    sat_cut = (
        satisfaction_cut if satisfaction_cut is not None else float(table["satisfaction"].mean())
    )
    important = table["share"] >= imp_cut
    satisfying = table["satisfaction"] >= sat_cut
    table["quadrant"] = [
        QUADRANTS[(bool(i), bool(s))] for i, s in zip(important, satisfying, strict=True)
    ]
    table["priority"] = table["share"] * (5.0 - table["satisfaction"])
    order = table.assign(_first=table["quadrant"] != "concentrate here").sort_values(
        ["_first", "priority"], ascending=[True, False]
    )
    table.loc[order.index, "fix_rank"] = range(1, k + 1)
    table["fix_rank"] = table["fix_rank"].astype(int)
    table["importance_cut"] = imp_cut
    table["satisfaction_cut"] = sat_cut
    return table.sort_values("fix_rank").reset_index(drop=True)


def loyalty_index(
    responses: pd.DataFrame, weights: pd.DataFrame, scale: tuple[float, float] = (1.0, 5.0)
) -> pd.DataFrame:
    """A 0-100 loyalty index per response from weighted driver satisfaction.

    The hierarchical model of the brief: each factor's satisfaction indicator is rescaled
    to 0-100 and the factors are combined with their derived weights (``share`` of
    :func:`driver_importance`, renormalised over the drivers a response rated). Returns
    the responses' ``response_id``, ``member_id`` and ``loyalty_index``.

    References
    ----------
    Fornell, C. et al. (1996). The American Customer Satisfaction Index. *Journal of
    Marketing*, 60(4), 7-18 (weighted indicators rescaled to 0-100).
    """
    low, high = scale
    shares = weights.set_index("driver")["share"]
    columns = [f"sat_{d}" for d in shares.index]
    ratings = responses[columns].to_numpy(dtype=float)
    scaled = 100.0 * (ratings - low) / (high - low)
    w = np.broadcast_to(shares.to_numpy(dtype=float), scaled.shape)
    present = ~np.isnan(scaled)
    total = np.where(present, w, 0.0).sum(axis=1)
    index = np.where(present, scaled * w, 0.0).sum(axis=1) / np.where(total > 0, total, np.nan)
    out = responses[[c for c in ("response_id", "member_id") if c in responses]].copy()
    out["loyalty_index"] = index
    return out


def loyalty_index_summary(index: pd.DataFrame) -> dict[str, float]:
    mean, low, high = mean_interval(index["loyalty_index"].to_numpy(dtype=float), bounds=(0, 100))
    return {"n": int(index["loyalty_index"].notna().sum()), "mean": mean, "low": low, "high": high}
