"""Data for the churn model tests: the Rossi recidivism data and simulated subscribers."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.unit.analytics.churn.churn_truth import ROSSI, simulate_subscribers


@pytest.fixture(scope="session")
def rossi() -> pd.DataFrame:
    """432 released prisoners followed for a year; ``week`` of arrest, ``arrest`` 0/1.

    Rossi, P. H., Berk, R. A., & Lenihan, K. J. (1980). *Money, Work and Crime*. Academic
    Press; distributed with R's ``carData`` and copied from lifelines' package data.
    """
    return pd.read_csv(ROSSI)


@pytest.fixture(scope="session")
def subscribers() -> pd.DataFrame:
    return simulate_subscribers(20_000, seed=20260101)
