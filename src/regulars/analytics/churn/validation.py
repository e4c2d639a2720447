"""Validation of a survival model on held-out time: concordance and calibration by decile.

Fit on what was known at a cutoff, score the members still subscribed then, and compare with
what they did afterwards (:func:`time_split` cuts one table of subscriptions into the two):

- :func:`concordance_index` — Harrell's C: of the pairs that can be ordered (the member with
  the shorter time cancelled, at a strictly earlier time), the share the model orders the
  right way (higher risk, earlier cancellation), ties in risk counting one half. 0.5 is
  chance, 1 a perfect ordering. Computed exactly in ``O(n log n · log k)`` for ``k``
  distinct times: pairs of time groups are counted once each, at the level of a binary
  merge where they first fall into different halves, by sorted search within each half.
- :func:`calibration_by_decile` — members in tenths of predicted risk; in each, the mean
  predicted probability of cancelling within the horizon against the observed share (one
  minus the Kaplan–Meier survival at the horizon, so a member censored before it counts for
  the time they were seen), and the expected against the counted cancellations.
- :func:`holdout_validation` runs both for a fitted model; :func:`calibration_figure` draws
  the table with plotly for the report (``fig.to_html(include_plotlyjs=...)``: no CDN).

References
----------
Harrell, F. E., Califf, R. M., Pryor, D. B., Lee, K. L., & Rosati, R. A. (1982). Evaluating
the yield of medical tests. *JAMA*, 247(18), 2543–2546.

Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
*Journal of the American Statistical Association*, 53(282), 457–481.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from regulars.analytics.churn.survival import SurvivalRegression
from regulars.analytics.clv.base import FloatArray


def concordance_index(durations: ArrayLike, risk: ArrayLike, events: ArrayLike) -> float:
    """Harrell's C of ``risk`` (higher: expected to cancel sooner) against what happened."""
    t = np.asarray(durations, dtype=np.float64).reshape(-1)
    r = np.asarray(risk, dtype=np.float64).reshape(-1)
    dead = np.asarray(events, dtype=bool).reshape(-1)
    if not (len(t) == len(r) == len(dead)):
        raise ValueError("durations, risk and events must have the same length")
    if np.any(np.isnan(t)) or np.any(np.isnan(r)):
        raise ValueError("durations and risk must not be missing")
    _, group = np.unique(t, return_inverse=True)
    _, rank = np.unique(r, return_inverse=True)
    group = group.astype(np.int64)
    rank = rank.astype(np.int64)
    span = int(rank.max()) + 2 if len(rank) else 2
    levels = int(group.max()).bit_length() if len(group) else 0
    concordant = tied = comparable = 0.0
    for level in range(levels):
        block = group >> (level + 1)
        later = ((group >> level) & 1).astype(bool)
        keys = np.sort(block[later] * span + rank[later])
        ask = ~later & dead
        base = block[ask] * span
        below = np.searchsorted(keys, base + rank[ask], side="left")
        upto = np.searchsorted(keys, base + rank[ask], side="right")
        first = np.searchsorted(keys, base, side="left")
        last = np.searchsorted(keys, base + span, side="left")
        concordant += float((below - first).sum())
        tied += float((upto - below).sum())
        comparable += float((last - first).sum())
    if comparable == 0:
        return float("nan")
    return (concordant + 0.5 * tied) / comparable


def kaplan_meier(durations: ArrayLike, events: ArrayLike, at: float) -> float:
    """The Kaplan–Meier estimate of ``P(T > at)``."""
    t = np.asarray(durations, dtype=np.float64).reshape(-1)
    dead = np.asarray(events, dtype=bool).reshape(-1)
    times, inverse = np.unique(t, return_inverse=True)
    deaths = np.bincount(inverse, weights=dead, minlength=len(times))
    at_risk = len(t) - np.r_[0, np.cumsum(np.bincount(inverse, minlength=len(times)))[:-1]]
    keep = (times <= at) & (deaths > 0)
    return float(np.prod(1 - deaths[keep] / at_risk[keep]))


def calibration_by_decile(
    predicted: ArrayLike, durations: ArrayLike, events: ArrayLike, horizon: float, bins: int = 10
) -> pd.DataFrame:
    """Predicted against observed cancellation within ``horizon``, by tenth of prediction.

    ``predicted`` is each member's P(cancel within ``horizon``) at the cutoff; ``durations``
    the time from the cutoff to cancellation or the end of observation; ``events`` whether
    it was a cancellation. One row per bin (lowest risk first): ``members``,
    ``mean_predicted``, ``observed_rate`` (Kaplan–Meier), ``expected_cancellations``
    (sum of predictions), ``observed_cancellations`` (counted within the horizon).
    """
    p = np.asarray(predicted, dtype=np.float64).reshape(-1)
    t = np.asarray(durations, dtype=np.float64).reshape(-1)
    dead = np.asarray(events, dtype=bool).reshape(-1)
    if not (len(p) == len(t) == len(dead)) or len(p) < bins:
        raise ValueError(f"need matching arrays with at least {bins} members")
    order = np.argsort(p, kind="stable")
    decile = np.empty(len(p), dtype=np.int64)
    decile[order] = np.arange(len(p)) * bins // len(p)
    rows = []
    for b in range(bins):
        inside = decile == b
        rows.append(
            {
                "decile": b + 1,
                "members": int(inside.sum()),
                "mean_predicted": float(p[inside].mean()),
                "observed_rate": 1 - kaplan_meier(t[inside], dead[inside], horizon),
                "expected_cancellations": float(p[inside].sum()),
                "observed_cancellations": int((dead[inside] & (t[inside] <= horizon)).sum()),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class HoldoutValidation:
    """What a model's scores at the cutoff said against what members did afterwards."""

    members: int
    horizon: float
    concordance: float
    calibration: pd.DataFrame
    unscored: int = 0  # members the model could not score (a Cox model past its follow-up)

    @property
    def expected_cancellations(self) -> float:
        return float(self.calibration["expected_cancellations"].sum())

    @property
    def observed_cancellations(self) -> int:
        return int(self.calibration["observed_cancellations"].sum())


def holdout_validation(
    model: SurvivalRegression,
    holdout: pd.DataFrame,
    tenure: str,
    duration: str,
    event: str,
    horizon: int = 90,
) -> HoldoutValidation:
    """Score the members of ``holdout`` (subscribed at the cutoff, ``tenure`` then) and hold
    the scores against their ``duration`` after the cutoff and ``event``.

    The risk ranked for the concordance index is the predicted probability of cancelling
    within ``horizon``, which weighs each member's tenure as well as their covariates.
    Members the model cannot score (a Cox model asked past its longest follow-up) are left
    out of both and counted in ``unscored``.
    """
    scores = model.score(holdout, tenure, horizons=(horizon,))
    predicted = scores[f"p_cancel_{horizon}d"].to_numpy()
    scored = ~np.isnan(predicted)
    predicted = predicted[scored]
    durations = holdout[duration].to_numpy(np.float64)[scored]
    events = holdout[event].to_numpy().astype(bool)[scored]
    return HoldoutValidation(
        members=int(scored.sum()),
        horizon=horizon,
        concordance=concordance_index(durations, predicted, events),
        calibration=calibration_by_decile(predicted, durations, events, horizon),
        unscored=int((~scored).sum()),
    )


def time_split(
    frame: pd.DataFrame, start: str, end: str, cutoff: Any, observed_until: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut a table of subscriptions at ``cutoff`` into a training and a held-out frame.

    ``start`` is when each subscription began, ``end`` when it was cancelled (missing while
    active); times are numbers of days or datetimes (then counted in days). Training: those
    begun before the cutoff, with ``duration`` (to cancellation or the cutoff) and
    ``cancelled`` as known then. Held out: those still subscribed at the cutoff, with
    ``tenure`` at the cutoff, ``duration`` after it (to cancellation or ``observed_until``)
    and ``cancelled``. Other columns are carried along: they should hold what was known at
    the cutoff.
    """
    began = _days(frame[start], cutoff)
    ended = _days(frame[end], cutoff)
    until = float(_days(pd.Series([observed_until]), cutoff)[0])
    if until <= 0:
        raise ValueError("observed_until must be after the cutoff")
    seen = began < 0
    gone = ~np.isnan(ended) & (ended <= 0)
    train = frame[seen].copy()
    train["duration"] = np.where(gone, ended, 0.0)[seen] - began[seen]
    train["cancelled"] = gone[seen]
    active = seen & ~gone
    holdout = frame[active].copy()
    holdout["tenure"] = -began[active]
    cancelled_later = ~np.isnan(ended) & (ended <= until)
    holdout["duration"] = np.where(cancelled_later, ended, until)[active]
    holdout["cancelled"] = cancelled_later[active]
    return train, holdout


def _days(values: pd.Series, cutoff: Any) -> FloatArray:
    """Days from ``cutoff`` (negative before it); missing stays NaN."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype) or isinstance(cutoff, pd.Timestamp):
        stamps = pd.to_datetime(values)
        delta = (stamps - pd.Timestamp(cutoff)) / pd.Timedelta(days=1)
        return np.asarray(delta.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan) - float(cutoff))


def calibration_figure(
    table: pd.DataFrame, title: str = "Cancellations: predicted vs observed"
) -> Any:
    """A plotly figure of :func:`calibration_by_decile`, to embed in a report: each tenth of
    predicted risk as a point (predicted across, observed up), and the diagonal where a
    calibrated model's points lie."""
    import plotly.graph_objects as go

    top = float(max(table["mean_predicted"].max(), table["observed_rate"].max())) * 1.05
    figure = go.Figure()
    figure.add_scatter(
        x=[0.0, top], y=[0.0, top], mode="lines", name="calibrated", line={"dash": "dash"}
    )
    figure.add_scatter(
        x=table["mean_predicted"],
        y=table["observed_rate"],
        mode="lines+markers",
        name="model",
        text=[
            f"tenth {d}: {m} members"
            for d, m in zip(table["decile"], table["members"], strict=True)
        ],
    )
    figure.update_layout(
        title=title,
        xaxis_title="predicted share cancelling within the horizon",
        yaxis_title="observed share (Kaplan–Meier)",
        xaxis_tickformat=".0%",
        yaxis_tickformat=".0%",
    )
    return figure
