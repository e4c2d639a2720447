"""The telecom study's loyalty score: three kinds of loyalty, one hierarchical index, and its
link to churn.

The study measures loyalty three ways and keeps them apart (the brief, section 2):

- *behavioural* — what members do: repeat purchases or renewals, tenure, usage;
- *intentional* (conscious) — what they say they will do: stay, renew, buy again;
- *emotional* — what they feel: attachment, and recommending the company.

It then builds a hierarchical model, factors -> measurable indicators -> a quantified score.
Here each indicator is put on 0-100 (a survey item linearly from its scale, e.g. 1-5 or 0-10,
reversed when the scale is given high-to-low; a behavioural count, whose scale is the member
base itself, as its percentile rank), each dimension is the weighted mean of its indicators
a member has, and the loyalty index the weighted mean of the three dimensions. The weights at
both levels are **derived**, not asserted: Johnson's (2000) relative weights of the
indicators (resp. dimensions) in explaining an outcome the caller names — the same method,
:func:`regulars.analytics.drivers.relative_weights`, that weighs the satisfaction drivers.
Pick an outcome outside the indicators (an overall loyalty question, or later behaviour).

The link to churn: :func:`hazard_by_loyalty_band` fits a Cox model of time to cancellation on
the bands of the index (the most loyal band the reference) and reports each band's hazard
ratio with its interval — the study's claim that loyalty keeps customers, as a number.

Public API: :func:`indicator_scores`, :func:`loyalty_dimensions`,
:func:`hierarchical_loyalty_index` (returns :class:`LoyaltyIndex`),
:func:`hazard_by_loyalty_band`.

References
----------
Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
variables in multiple regression. *Multivariate Behavioral Research*, 35(1), 1–19.

Dick, A. S., & Basu, K. (1994). Customer loyalty: toward an integrated conceptual framework.
*Journal of the Academy of Marketing Science*, 22(2), 99–113 (attitudinal and behavioural
loyalty).

Oliver, R. L. (1999). Whence consumer loyalty? *Journal of Marketing*, 63, 33–44 (cognitive,
affective, conative and action loyalty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regulars.analytics.churn.cox import CoxPHModel
from regulars.analytics.drivers import relative_weights

DIMENSIONS = ("behavioural", "intentional", "emotional")
BANDS = (0.0, 40.0, 60.0, 80.0, 100.0)


def indicator_scores(
    frame: pd.DataFrame,
    indicators: Sequence[str],
    scales: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Each indicator on 0-100: by its stated scale ``(low, high)`` when given (clipped;
    ``high < low`` reverses it), else as its percentile rank among the members. Missing
    answers stay missing."""
    out = pd.DataFrame(index=frame.index)
    for name in indicators:
        if name not in frame.columns:
            raise ValueError(f"indicator {name!r} is not in the frame")
        values = frame[name].astype("float64")
        if scales and name in scales:
            low, high = scales[name]
            if low == high:
                raise ValueError(f"the scale of {name!r} is empty: {low} to {high}")
            out[name] = (100 * (values - low) / (high - low)).clip(0, 100)
        else:
            out[name] = 100 * values.rank(pct=True, method="average")
    return out


def _weights(scores: pd.DataFrame, outcome: pd.Series | None) -> pd.Series:
    """Relative weights of the columns of ``scores`` for ``outcome`` (shares summing to 1);
    equal weights for a single column, without an outcome, or when the outcome or a column
    does not vary over the rows that have them all (no correlation to weigh by: those who
    gave every indicator may all have stayed, or all left)."""
    columns = list(scores.columns)
    if outcome is None or len(columns) == 1:
        return pd.Series(1.0 / len(columns), index=columns)
    data = scores.assign(_outcome=outcome.astype("float64"))
    complete = data.dropna()
    if len(complete) > len(columns) + 1 and (complete.nunique() < 2).any():
        return pd.Series(1.0 / len(columns), index=columns)
    table = relative_weights(data, "_outcome", columns)
    shares = table.set_index("driver")["share"] / 100
    return shares.reindex(columns)


def _weighted_mean(scores: pd.DataFrame, weights: pd.Series) -> pd.Series:
    values = scores.to_numpy(dtype=np.float64)
    w = np.broadcast_to(weights.reindex(scores.columns).to_numpy(dtype=np.float64), values.shape)
    present = ~np.isnan(values)
    total = np.where(present, w, 0.0).sum(axis=1)
    mean = np.where(present, values * w, 0.0).sum(axis=1) / np.where(total > 0, total, np.nan)
    return pd.Series(mean, index=scores.index)


@dataclass(frozen=True)
class LoyaltyIndex:
    """Per member: the three dimensions and the index (0-100); and the derived weights."""

    scores: pd.DataFrame  # behavioural, intentional, emotional, loyalty_index
    indicator_weights: pd.DataFrame  # dimension, indicator, weight
    dimension_weights: pd.Series  # by dimension, summing to 1


def loyalty_dimensions(
    frame: pd.DataFrame,
    indicators: Mapping[str, Sequence[str]],
    scales: Mapping[str, tuple[float, float]] | None = None,
    outcome: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The three dimensions per member (0-100) from their ``indicators`` (a mapping from
    ``behavioural``, ``intentional``, ``emotional`` to column names), with each dimension's
    indicator weights derived for ``outcome``. Returns the scores and the weights table."""
    unknown = sorted(set(indicators) - set(DIMENSIONS))
    if unknown or any(not indicators.get(d) for d in DIMENSIONS):
        raise ValueError(
            f"give indicators for each of {', '.join(DIMENSIONS)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    scores = pd.DataFrame(index=frame.index)
    rows: list[dict[str, object]] = []
    for dimension in DIMENSIONS:
        items = indicator_scores(frame, indicators[dimension], scales)
        weights = _weights(items, outcome)
        scores[dimension] = _weighted_mean(items, weights)
        rows.extend(
            {"dimension": dimension, "indicator": name, "weight": float(weights[name])}
            for name in items.columns
        )
    return scores, pd.DataFrame(rows)


def hierarchical_loyalty_index(
    frame: pd.DataFrame,
    indicators: Mapping[str, Sequence[str]],
    outcome: str | pd.Series,
    scales: Mapping[str, tuple[float, float]] | None = None,
    min_dimensions: int = 3,
) -> LoyaltyIndex:
    """Indicators -> dimensions -> the 0-100 loyalty index, weights derived for ``outcome``
    (a column of ``frame`` or a series on its index) at both levels.

    A member's index needs at least ``min_dimensions`` dimensions (all three by default: an
    index from behaviour alone would pass for a loyalty the member never stated); it is
    missing otherwise.
    """
    target = frame[outcome] if isinstance(outcome, str) else outcome
    if target.notna().sum() < 10:
        raise ValueError("too few members have the outcome to derive weights from")
    dimensions, indicator_weights = loyalty_dimensions(frame, indicators, scales, target)
    dimension_weights = _weights(dimensions[list(DIMENSIONS)], target)
    index = _weighted_mean(dimensions[list(DIMENSIONS)], dimension_weights)
    enough = dimensions[list(DIMENSIONS)].notna().sum(axis=1) >= min_dimensions
    scores = dimensions.assign(loyalty_index=index.where(enough))
    return LoyaltyIndex(scores, indicator_weights, dimension_weights)


def loyalty_bands(index: pd.Series, edges: Sequence[float] = BANDS) -> pd.Series:
    """The band of each index value, labelled ``"low-high"`` (the lowest band includes its
    lower edge)."""
    labels = [f"{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]
    bands = pd.cut(index, list(edges), labels=labels, include_lowest=True)
    return bands.astype("string")


def hazard_by_loyalty_band(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    index: str = "loyalty_index",
    edges: Sequence[float] = BANDS,
    adjust_for: Sequence[str] = (),
) -> pd.DataFrame:
    """Hazard ratio of cancelling in each band of the loyalty index, against the top band.

    A Cox model of ``duration``/``event`` on the band (plus any ``adjust_for`` covariates),
    over the members who have an index. One row per band, lowest first: ``band``,
    ``members``, ``cancellations``, ``hazard_ratio``, ``lower_95``, ``upper_95`` (the
    reference band: 1, no interval).
    """
    known = frame[frame[index].notna()]
    bands = loyalty_bands(known[index], edges)
    data = known.assign(loyalty_band=bands)
    present = set(bands.dropna())
    labels = [f"{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]
    order = [label for label in labels if label in present]
    if len(order) < 2:
        raise ValueError("the members' loyalty index falls in fewer than two bands")
    top = order[-1]
    model = CoxPHModel().fit(
        data, duration, event, ["loyalty_band", *adjust_for], references={"loyalty_band": top}
    )
    effects = model.hazard_ratios_.set_index("covariate")
    rows = []
    for band in order:
        inside = data["loyalty_band"] == band
        row = {
            "band": band,
            "members": int(inside.sum()),
            "cancellations": int(data.loc[inside, event].astype(bool).sum()),
        }
        if band == top:
            row |= {"hazard_ratio": 1.0, "lower_95": np.nan, "upper_95": np.nan}
        else:
            keys = ("hazard_ratio", "lower_95", "upper_95")
            values = effects.loc[f"loyalty_band={band}", list(keys)].to_numpy(dtype=np.float64)
            row |= dict(zip(keys, (float(v) for v in values), strict=True))
        rows.append(row)
    return pd.DataFrame(rows)
