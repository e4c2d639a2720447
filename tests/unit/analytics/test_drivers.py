"""Driver importance against independent computations: OLS R-squared and brute-force LMG."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.drivers import (
    driver_importance,
    importance_satisfaction,
    lmg,
    loyalty_index,
    relative_weights,
    usable_drivers,
)


def _r2(x: np.ndarray, y: np.ndarray) -> float:
    if x.shape[1] == 0:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return float(1 - residual.var() / y.var())


def _correlated(n: int = 4000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x = np.column_stack([common * 0.6 + rng.normal(size=n) for _ in range(4)])
    y = x @ np.array([0.5, 0.3, 0.15, 0.05]) + rng.normal(size=n)
    return pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=y)


def test_relative_weights_add_up_to_the_ols_r_squared() -> None:
    frame = _correlated()
    weights = relative_weights(frame, "y", ["a", "b", "c", "d"])
    assert weights["raw_weight"].sum() == pytest.approx(
        _r2(frame[["a", "b", "c", "d"]].to_numpy(), frame["y"].to_numpy()), abs=1e-9
    )
    assert weights["share"].sum() == pytest.approx(100.0)


def test_uncorrelated_drivers_get_their_squared_correlations() -> None:
    rng = np.random.default_rng(2)
    n = 500
    x = rng.normal(size=(n, 3))
    x = np.linalg.qr(x - x.mean(axis=0))[0] * np.sqrt(n)  # exactly orthogonal columns
    y = x @ np.array([0.6, 0.3, 0.1]) + rng.normal(size=n) * 0.5
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=y)
    weights = relative_weights(frame, "y", ["a", "b", "c"]).set_index("driver")["raw_weight"]
    for name in "abc":
        assert weights[name] == pytest.approx(np.corrcoef(frame[name], y)[0, 1] ** 2, abs=1e-9)


def test_lmg_equals_the_shapley_value_by_brute_force_over_every_order() -> None:
    frame = _correlated(n=800, seed=4)
    names = ["a", "b", "c", "d"]
    x, y = frame[names].to_numpy(), frame["y"].to_numpy()
    expected = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(range(4)))
    for order in orders:
        entered: list[int] = []
        for j in order:
            before = _r2(x[:, entered], y)
            entered.append(j)
            expected[names[j]] += (_r2(x[:, entered], y) - before) / len(orders)
    got = lmg(frame, "y", names).set_index("driver")["lmg"]
    for name in names:
        assert got[name] == pytest.approx(expected[name], abs=1e-9)


def test_relative_weights_agree_with_lmg_and_recover_the_true_order() -> None:
    frame = _correlated()
    names = ["a", "b", "c", "d"]
    rw = relative_weights(frame, "y", names).set_index("driver")["share"]
    shapley = lmg(frame, "y", names).set_index("driver")["lmg_share"]
    assert (rw - shapley).abs().max() < 3.0
    assert list(rw.sort_values(ascending=False).index) == names


def test_importance_satisfaction_quadrants_and_fix_first() -> None:
    importance = pd.DataFrame(
        {
            "driver": ["price", "quality", "delivery", "service"],
            "share": [40.0, 35.0, 15.0, 10.0],
            "satisfaction": [2.5, 4.5, 4.6, 2.0],
        }
    )
    matrix = importance_satisfaction(importance).set_index("driver")
    assert matrix.loc["price", "quadrant"] == "concentrate here"
    assert matrix.loc["quality", "quadrant"] == "keep up the good work"
    assert matrix.loc["delivery", "quadrant"] == "possible overkill"
    assert matrix.loc["service", "quadrant"] == "low priority"
    assert matrix.loc["price", "fix_rank"] == 1


def test_driver_importance_and_loyalty_index_on_wide_responses() -> None:
    frame = _correlated(n=1500)
    responses = pd.DataFrame(
        {
            "response_id": range(1500),
            "member_id": range(1500),
            **{f"sat_{d}": 3 + frame[d].clip(-2, 2) for d in "abcd"},
            "ltr": (5 + 2 * frame["y"]).clip(0, 10),
        }
    )
    table = driver_importance(responses)
    assert table["driver"].tolist()[0] == "a"
    assert {"share", "lmg_share", "satisfaction", "r_squared"} <= set(table.columns)
    index = loyalty_index(responses, table)
    assert index["loyalty_index"].between(0, 100).all()
    everyone_top = responses.assign(**{f"sat_{d}": 5.0 for d in "abcd"})
    assert np.allclose(loyalty_index(everyone_top, table)["loyalty_index"], 100.0)


def test_a_driver_few_answers_rated_is_left_out_not_everything() -> None:
    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame(
        {f"sat_{d}": rng.integers(1, 6, n).astype(float) for d in ("price", "quality", "staff")}
    )
    frame["ltr"] = (frame.sum(axis=1) * 0.6 + rng.normal(size=n)).clip(0, 10)
    frame["sat_attitude"] = np.nan
    frame.loc[:3, "sat_attitude"] = [1.0, 3.0, 5.0, 4.0]  # a second survey: four answers
    assert usable_drivers(frame) == (["price", "quality", "staff"], ["attitude"])
    table = driver_importance(frame)
    assert set(table["driver"]) == {"price", "quality", "staff"}
    assert table["n"].iloc[0] == n
    with pytest.raises(ValueError, match="too few complete answers"):
        driver_importance(frame, drivers=["price", "quality", "staff", "attitude"])
    assert usable_drivers(frame.head(2)) == ([], ["price", "quality", "staff", "attitude"])


def test_a_driver_everyone_rated_alike_is_left_out() -> None:
    rng = np.random.default_rng(6)
    n = 200
    frame = pd.DataFrame({f"sat_{d}": rng.integers(1, 6, n).astype(float) for d in "abc"})
    frame["ltr"] = (frame.sum(axis=1) * 0.6 + rng.normal(size=n)).clip(0, 10)
    frame["sat_flat"] = 4.0
    assert usable_drivers(frame) == (["a", "b", "c"], ["flat"])
    assert set(driver_importance(frame)["driver"]) == {"a", "b", "c"}
