"""What a new customer costs to win, beside what the customers a channel brought are worth.

Per acquisition channel: members won, total and average acquisition cost (won), the net
spend of those members so far, and — once the predictive models have written
``member_scores`` — their mean predicted customer lifetime value; the value-to-cost ratios
say which channels pay back.

References
----------
.. [1] Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). Valuing customers. *Journal of
   Marketing Research*, 41(1), 7-18.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def acquisition_by_channel(
    members: pd.DataFrame, summary: pd.DataFrame, clv: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Cost per channel beside the value of the customers it brought.

    ``members``: member_id, acquisition_channel, acquisition_cost (won, may be missing);
    ``summary``: member_id, net_spend; ``clv`` (optional): member_id, clv. Returns one row
    per channel: members, total_cost, cost_per_member, spend_to_date (mean per member),
    spend_to_cost, clv (mean; empty without scores) and clv_to_cost.
    """
    data = members[["member_id", "acquisition_channel", "acquisition_cost"]].merge(
        summary[["member_id", "net_spend"]], on="member_id", how="left"
    )
    data["acquisition_channel"] = data["acquisition_channel"].fillna("(unknown)")
    data["net_spend"] = data["net_spend"].fillna(0)
    if clv is not None and not clv.empty:
        data = data.merge(clv[["member_id", "clv"]], on="member_id", how="left")
    else:
        data["clv"] = np.nan
    table = data.groupby("acquisition_channel").agg(
        members=("member_id", "size"),
        total_cost=("acquisition_cost", "sum"),
        cost_per_member=("acquisition_cost", "mean"),
        spend_to_date=("net_spend", "mean"),
        clv=("clv", "mean"),
    )
    table["total_cost"] = table["total_cost"].fillna(0).astype("int64")
    cost = table["cost_per_member"].where(table["cost_per_member"] > 0)
    table["spend_to_cost"] = table["spend_to_date"] / cost
    table["clv_to_cost"] = table["clv"] / cost
    return table.sort_values("members", ascending=False).reset_index()
