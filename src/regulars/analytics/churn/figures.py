"""Plotly figures of the churn models, for the report to embed (``fig.to_html(...)`` with
plotly.js inlined by the report page: nothing is fetched from a CDN).

- :func:`retention_figure` — a cohort's share still subscribed by period, observed against
  a fitted :class:`~regulars.analytics.churn.retention.RetentionModel` and projected past
  the calibration periods (Fader & Hardie 2007, their figures of actual vs. projected);
- :func:`hazard_ratio_figure` — hazard ratios with their 95 % intervals on a log axis (a
  forest plot) from ``hazard_ratios_`` or :func:`~regulars.analytics.churn.loyalty.
  hazard_by_loyalty_band`;
- the calibration plot is :func:`regulars.analytics.churn.validation.calibration_figure`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from regulars.analytics.churn.retention import RetentionModel


def retention_figure(
    model: RetentionModel,
    observed: ArrayLike | None = None,
    periods: int = 12,
    calibration_periods: int | None = None,
    title: str = "Share still subscribed",
) -> Any:
    """Survival ``S(t)`` of the model for ``t = 0..periods``, with the ``observed`` shares
    (counts alive by period, scaled to the first) and a line where calibration ends."""
    import plotly.graph_objects as go

    t = np.arange(periods + 1)
    figure = go.Figure()
    if observed is not None:
        alive = np.asarray(observed, dtype=np.float64)
        figure.add_scatter(x=t[: len(alive)], y=alive / alive[0], mode="markers", name="observed")
    figure.add_scatter(x=t, y=model.survival_function(t), mode="lines", name=type(model).__name__)
    if calibration_periods is not None:
        figure.add_vline(x=calibration_periods, line_dash="dot", annotation_text="calibration")
    figure.update_layout(
        title=title,
        xaxis_title="periods since joining",
        yaxis_title="share still subscribed",
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1.02],
    )
    return figure


def hazard_ratio_figure(
    table: pd.DataFrame, label: str = "covariate", title: str = "Hazard ratios (95 % interval)"
) -> Any:
    """A forest plot of ``hazard_ratio`` with ``lower_95``/``upper_95`` per ``label`` row;
    rows without an interval (a reference level) are drawn as a point at 1."""
    import plotly.graph_objects as go

    ratio = table["hazard_ratio"].to_numpy(np.float64)
    lower = table["lower_95"].to_numpy(np.float64)
    upper = table["upper_95"].to_numpy(np.float64)
    figure = go.Figure()
    figure.add_scatter(
        x=ratio,
        y=table[label].astype(str),
        mode="markers",
        name="hazard ratio",
        error_x={
            "type": "data",
            "symmetric": False,
            "array": np.nan_to_num(upper - ratio),
            "arrayminus": np.nan_to_num(ratio - lower),
        },
    )
    figure.add_vline(x=1.0, line_dash="dash")
    figure.update_layout(
        title=title, xaxis_type="log", xaxis_title="hazard ratio (log scale)", yaxis_title=label
    )
    return figure
