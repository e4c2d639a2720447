"""The monthly survival table per start cohort — what the cohort retention models
(shifted-beta-geometric, beta-discrete-Weibull) are fitted on.

A **cohort** is the contracts started in one calendar month. A contract is **active at
month t** when it lived at least ``t`` whole months (:mod:`regulars.domain.subscriptions.
tenure`; durations as the churn features count them, up to ``as_of``): at ``t = 0`` every
contract of its cohort is. For each cohort and ``t`` from 0 to its longest duration the table
gives ``active``, ``cancelled`` (active at ``t``, cancelled before ``t + 1``), ``censored``
(still running at ``as_of`` with ``t`` whole months lived), ``survival`` = active / cohort
size and ``complete``: every contract of the cohort has been observed to ``t`` — no contract
of the cohort was censored before ``t`` — so ``active`` is a count, not a lower bound. The
sBG/BdW fits read the complete rows: the survivors of each period.

The per-contract step (durations and the counts by cohort, duration and outcome) runs in the
engine — one ``GROUP BY`` over the contracts, SQL shared with the features; the table is
built from those counts here.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from regulars.analytics.subscriptions.features import SubscriptionEngine, contracts_cte

SURVIVAL_COLUMNS = (
    "cohort",
    "t",
    "contracts",
    "active",
    "cancelled",
    "censored",
    "survival",
    "complete",
)


def cohort_counts_sql(engine: SubscriptionEngine, as_of: date) -> str:
    """Contracts by start month, whole months lived and whether they were cancelled."""
    return (
        f"WITH {contracts_cte(engine, as_of)} "
        "SELECT start_month, duration_months, cancelled, COUNT(*) AS contracts FROM c "
        "GROUP BY start_month, duration_months, cancelled "
        "ORDER BY start_month, duration_months, cancelled"
    )


def _month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def cohort_survival(engine: SubscriptionEngine, as_of: date) -> pd.DataFrame:
    """The survival table (:data:`SURVIVAL_COLUMNS`) of every start cohort up to ``as_of``,
    ordered by cohort and month."""
    counts = engine.query(cohort_counts_sql(engine, as_of))
    for name in ("start_month", "duration_months", "cancelled", "contracts"):
        counts[name] = pd.to_numeric(counts[name]).astype("int64")
    rows: list[dict[str, object]] = []
    for cohort, group in counts.groupby("start_month", sort=True):
        size = int(group["contracts"].sum())
        longest = int(group["duration_months"].max())
        by_outcome = group.pivot_table(
            index="duration_months",
            columns="cancelled",
            values="contracts",
            aggfunc="sum",
            fill_value=0,
        ).reindex(index=range(longest + 1), columns=[0, 1], fill_value=0)
        censored_at = group[group["cancelled"] == 0]["duration_months"]
        first_censored = int(censored_at.min()) if len(censored_at) else longest
        ended = by_outcome[0] + by_outcome[1]
        active = size - ended.cumsum().shift(1, fill_value=0)
        for t in range(longest + 1):
            rows.append(
                {
                    "cohort": _month_start(int(str(cohort))),
                    "t": t,
                    "contracts": size,
                    "active": int(active.iloc[t]),
                    "cancelled": int(by_outcome[1].iloc[t]),
                    "censored": int(by_outcome[0].iloc[t]),
                    "survival": float(active.iloc[t]) / size,
                    "complete": t <= first_censored,
                }
            )
    table = pd.DataFrame(rows, columns=list(SURVIVAL_COLUMNS))
    return table.astype(
        {
            "t": "int64",
            "contracts": "int64",
            "active": "int64",
            "cancelled": "int64",
            "censored": "int64",
            "survival": "float64",
            "complete": "bool",
        }
    )
