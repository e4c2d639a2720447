"""Simulated subscribers with known effects, and where the Rossi data lives: shared by the
churn tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROSSI = Path(__file__).parents[3] / "data" / "rossi" / "rossi.csv"
ROSSI_COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]

# True effects of the simulated subscribers: log hazard ratios.
TRUE_LOG_HR = {
    "fee": 0.02,
    "nps": -0.10,
    "cases": 0.30,
    "plan=max": -0.40,
    "plan=plus": -0.40,
    "usage_trend": -0.30,
}
TRUE_SHAPE = 1.3


def simulate_subscribers(n: int, seed: int) -> pd.DataFrame:
    """Subscribers whose time to cancellation (days) is Weibull proportional hazards with
    :data:`TRUE_LOG_HR`, right-censored by when each joined (up to five years ago)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "fee": rng.normal(50, 10, n).round(),
            "nps": rng.integers(0, 11, n),
            "cases": rng.poisson(0.5, n),
            "plan": rng.choice(["basic", "plus", "max"], n, p=[0.5, 0.3, 0.2]),
            "usage_trend": rng.normal(0, 1, n),
        }
    )
    linear = (
        TRUE_LOG_HR["fee"] * (frame["fee"] - 50)
        + TRUE_LOG_HR["nps"] * (frame["nps"] - 5)
        + TRUE_LOG_HR["cases"] * frame["cases"]
        + TRUE_LOG_HR["plan=plus"] * (frame["plan"] == "plus")
        + TRUE_LOG_HR["plan=max"] * (frame["plan"] == "max")
        + TRUE_LOG_HR["usage_trend"] * frame["usage_trend"]
    ).to_numpy()
    # Weibull PH: H(t|x) = (t/λ0)^k exp(x'b)  =>  T = λ0 (E exp(-x'b))^(1/k), E ~ Exp(1).
    lifetime = 700.0 * (rng.exponential(size=n) * np.exp(-linear)) ** (1 / TRUE_SHAPE)
    joined_days_ago = rng.uniform(30, 1800, n)
    frame["days"] = np.ceil(np.minimum(lifetime, joined_days_ago))  # whole days: many ties
    frame["cancelled"] = lifetime <= joined_days_ago
    frame["lifetime"] = lifetime
    return frame
