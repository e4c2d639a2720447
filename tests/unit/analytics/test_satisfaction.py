"""CSAT and mean-rating intervals stay on the scale they measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.satisfaction import csat, driver_ratings, mean_interval


def test_the_t_interval_matches_the_textbook_figure() -> None:
    # 2, 3, 2, 3: mean 2.5, s = 0.57735, t(0.975, 3) = 3.18245 → 2.5 ± 0.91869.
    mean, low, high = mean_interval(np.array([2.0, 3.0, 2.0, 3.0]), bounds=(1, 5))
    assert (mean, low, high) == pytest.approx((2.5, 1.58131, 3.41869), abs=1e-5)


def test_a_mean_rating_interval_is_clipped_to_the_1_to_5_scale() -> None:
    # Two answers, 1 and 4: the raw t interval is 2.5 ± 19.06, far outside the scale.
    result = csat(pd.Series([1, 4]))
    assert result["mean"] == 2.5
    assert (result["mean_low"], result["mean_high"]) == (1.0, 5.0)
    raw = mean_interval(np.array([1.0, 4.0]))
    assert raw[1] < 1  # the unclipped figure, for contrast
    assert raw[2] > 5


def test_every_driver_interval_lies_on_the_scale() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"sat_taste": rng.integers(1, 6, 3), "sat_speed": [5, 5, 4], "sat_price": [1, 1, 2]}
    )
    table = driver_ratings(frame)
    assert (table["mean_low"] >= 1).all()
    assert (table["mean_high"] <= 5).all()
    assert (table["mean_low"] <= table["mean"]).all()
    assert (table["mean"] <= table["mean_high"]).all()
