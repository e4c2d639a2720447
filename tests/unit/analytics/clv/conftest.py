"""The CDNOW sample (copied from lifetimes' package) and lifetimes 0.11.3's figures on it.

``lifetimes_*`` files were written by ``bench/lifetimes_cdnow_reference.py`` running
lifetimes 0.11.3 in its own environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

CDNOW = Path(__file__).parents[3] / "data" / "cdnow"


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """2,357 customers: frequency, recency and T in weeks (Fader, Hardie & Lee 2005)."""
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_spend() -> pd.DataFrame:
    """The same customers with ``zbar``, the mean value of their repeat purchases."""
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    """The CDNOW sample's 6,919 transactions as ``member_id, occurred_at, amount`` (cents)."""
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "member_id", "date", "items", "dollars"],
    )
    return pd.DataFrame(
        {
            "member_id": raw["member_id"].astype("int64"),
            "occurred_at": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d", utc=True),
            "amount": (raw["dollars"] * 100).round().astype("int64"),
        }
    )


@pytest.fixture(scope="session")
def lifetimes_params() -> dict[str, Any]:
    return json.loads((CDNOW / "lifetimes_params.json").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def lifetimes_predictions() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "lifetimes_predictions.csv")


@pytest.fixture(scope="session")
def lifetimes_spend_predictions() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "lifetimes_spend_predictions.csv")
