"""Holdout validation: does the model predict what members did after the calibration period?

Fit on the calibration summary, predict each member's purchases over the holdout's duration,
and compare with what they did. The table follows Fader, Hardie & Lee (2005, figure 4) and
lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``: members grouped by their
calibration frequency (the last group open-ended), mean actual and mean predicted holdout
purchases in each. :func:`holdout_figures` adds totals and errors; :func:`holdout_figure`
draws the table with plotly for the report.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting Your Customers" the Easy Way.
*Marketing Science*, 24(2), 275–284 (figure 4 and table 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from regulars.analytics.clv.base import FloatArray


class PurchaseModel(Protocol):
    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Any: ...  # noqa: N803

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray: ...


@dataclass(frozen=True)
class HoldoutFigures:
    """Aggregate fit on the holdout: totals, mean absolute error and correlation per member."""

    members: int
    duration: int
    actual_purchases: float
    predicted_purchases: float
    mean_absolute_error: float
    correlation: float

    @property
    def total_error(self) -> float:
        """Predicted minus actual, as a share of actual."""
        if self.actual_purchases == 0:
            return float("nan")
        return (self.predicted_purchases - self.actual_purchases) / self.actual_purchases


def predict_holdout(model: PurchaseModel, split: pd.DataFrame) -> pd.DataFrame:
    """``split`` (from ``calibration_and_holdout``) with ``predicted_holdout`` added; ``model``
    is fitted on the calibration columns first."""
    model.fit(split["frequency"], split["recency"], split["T"])
    out = split.copy()
    out["predicted_holdout"] = model.expected_purchases(
        split["duration_holdout"].to_numpy(np.float64),
        split["frequency"],
        split["recency"],
        split["T"],
    )
    return out


def holdout_table(predicted: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency (last group ``N+``)."""
    group = predicted["frequency"].clip(upper=max_frequency)
    table = (
        predicted.assign(group=group)
        .groupby("group")
        .agg(
            members=("frequency", "size"),
            actual=("frequency_holdout", "mean"),
            predicted=("predicted_holdout", "mean"),
        )
        .reset_index()
    )
    labels = [
        f"{g}+" if g == max_frequency and (predicted["frequency"] > max_frequency).any() else str(g)
        for g in table["group"]
    ]
    return table.assign(calibration_frequency=labels)[
        ["calibration_frequency", "members", "actual", "predicted"]
    ]


def holdout_figures(predicted: pd.DataFrame) -> HoldoutFigures:
    actual = predicted["frequency_holdout"].to_numpy(np.float64)
    forecast = predicted["predicted_holdout"].to_numpy(np.float64)
    both_vary = actual.std() > 0 and forecast.std() > 0
    return HoldoutFigures(
        members=len(predicted),
        duration=int(predicted["duration_holdout"].iloc[0]) if len(predicted) else 0,
        actual_purchases=float(actual.sum()),
        predicted_purchases=float(forecast.sum()),
        mean_absolute_error=float(np.abs(actual - forecast).mean()) if len(actual) else 0.0,
        correlation=float(np.corrcoef(actual, forecast)[0, 1]) if both_vary else float("nan"),
    )


def holdout_figure(table: pd.DataFrame, title: str = "Holdout purchases: actual vs model") -> Any:
    """A plotly figure of :func:`holdout_table`, to embed in a report (``fig.to_html``)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_bar(x=table["calibration_frequency"], y=table["actual"], name="actual")
    figure.add_bar(x=table["calibration_frequency"], y=table["predicted"], name="model")
    figure.update_layout(
        title=title,
        barmode="group",
        xaxis_title="repeat purchases in the calibration period",
        yaxis_title="mean purchases in the holdout period",
    )
    return figure
