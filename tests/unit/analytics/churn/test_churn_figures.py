"""The churn figures carry the models' numbers, for the report to embed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regulars.analytics.churn import CoxPHModel, ShiftedBetaGeometricModel, cohort_table
from regulars.analytics.churn.figures import hazard_ratio_figure, retention_figure

HIGH_END_ALIVE = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def test_retention_figure_shows_observed_and_projected() -> None:
    table = cohort_table(HIGH_END_ALIVE[:8])
    model = ShiftedBetaGeometricModel().fit(
        table["periods"], table["cancelled"], table["subscribers"]
    )
    figure = retention_figure(model, HIGH_END_ALIVE, periods=12, calibration_periods=7)
    observed, fitted = figure.data
    np.testing.assert_allclose(observed.y, np.array(HIGH_END_ALIVE) / 1000)
    np.testing.assert_allclose(fitted.y, model.survival_function(np.arange(13)))
    assert figure.layout.shapes[0].x0 == 7


def test_hazard_ratio_figure_draws_each_interval(rossi: pd.DataFrame) -> None:
    model = CoxPHModel().fit(rossi, "week", "arrest", ["fin", "prio"])
    table = model.hazard_ratios_
    figure = hazard_ratio_figure(table)
    points = figure.data[0]
    np.testing.assert_allclose(points.x, table["hazard_ratio"])
    np.testing.assert_allclose(points.error_x.array, table["upper_95"] - table["hazard_ratio"])
    assert list(points.y) == ["fin", "prio"]
    assert figure.layout.xaxis.type == "log"
