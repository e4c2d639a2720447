"""Loyalty stages, the funnel between them, loyalty types, and share-of-wallet bands.

Five stages of a customer's way to loyalty (the brief): first visit (enrolled, no purchase
yet) -> first purchase -> repeat visits -> attachment -> loyalty. Each member's stage
follows stated rules (:class:`StageRules`, every threshold configurable):

- *first visit*: no purchase;
- *first purchase*: exactly one;
- *repeat visits*: two or more;
- *attachment*: repeat visits and an attached attitude in the member's latest survey
  answers (attachment score >= ``attached_from``, see :func:`attachment_scores`);
- *loyalty*: attachment, and buying at least ``loyal_purchases_per_year`` times a year, and
  a purchase within ``loyal_recency_days``, and (where asked) a share of wallet of at least
  ``loyal_share_of_wallet``.

Attitude can only be known from answers, so members who never answered cannot pass
*repeat visits*; the funnel says how many such members stand there.

Four types by emotional attachment x repeat-purchase frequency (Dick & Basu 1994): true,
latent, spurious (false) and no loyalty. Members without answers get the type
``"unknown (no answers)"`` — their attachment is not guessed — and are counted apart.

References
----------
.. [1] Dick, A. S. & Basu, K. (1994). Customer loyalty: toward an integrated conceptual
   framework. *Journal of the Academy of Marketing Science*, 22(2), 99-113.
.. [2] Griffin, J. (2002). *Customer Loyalty: How to Earn It, How to Keep It*. Jossey-Bass.
   (Stages of the loyalty ladder.)
.. [3] Cooil, B. et al. (2007). A longitudinal analysis of customer satisfaction and share
   of wallet. *Journal of Marketing*, 71(1), 67-83.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

STAGES = ("first visit", "first purchase", "repeat visits", "attachment", "loyalty")
TYPES = ("true loyalty", "latent loyalty", "spurious loyalty", "no loyalty")
UNKNOWN_TYPE = "unknown (no answers)"


@dataclass(frozen=True)
class StageRules:
    """The thresholds behind stages and types (defaults in the brief's spirit)."""

    attached_from: float = 0.7
    loyal_purchases_per_year: float = 12.0
    loyal_recency_days: int = 90
    loyal_share_of_wallet: float = 70.0
    frequent_purchases_per_year: float | None = None  # default: the buyers' median
    intent_scale: tuple[float, float] = (1.0, 5.0)


def attachment_scores(responses: pd.DataFrame, rules: StageRules = StageRules()) -> pd.DataFrame:
    """Each answering member's attachment (0-1) from their latest answers.

    The mean of what was answered among: likelihood to recommend (0-10, as ltr / 10) and
    intention to buy again (rescaled from ``rules.intent_scale``). Also returns the latest
    ``share_of_wallet``.
    """
    columns = ["member_id", "attachment", "share_of_wallet"]
    if responses.empty or "member_id" not in responses:
        return pd.DataFrame(columns=columns)
    data = responses[responses["member_id"].notna()].sort_values("collected_at")
    parts = []
    if "ltr" in data:
        parts.append(data["ltr"].astype(float) / 10.0)
    if "intent_rebuy" in data:
        low, high = rules.intent_scale
        parts.append((data["intent_rebuy"].astype(float) - low) / (high - low))
    if not parts:
        return pd.DataFrame(columns=columns)
    data = data.assign(attachment=pd.concat(parts, axis=1).mean(axis=1))
    if "share_of_wallet" not in data:
        data = data.assign(share_of_wallet=np.nan)
    latest = data.groupby("member_id")[["attachment", "share_of_wallet"]].last()
    latest = latest[latest["attachment"].notna() | latest["share_of_wallet"].notna()]
    return latest.reset_index()[columns]


def _purchases_per_year(summary: pd.DataFrame, as_of: date) -> pd.Series:
    end = pd.Timestamp(as_of, tz="UTC")
    first = pd.to_datetime(summary["first_purchase"], utc=True)
    years = ((end - first).dt.days.clip(lower=30)) / 365.25
    return summary["purchases"].fillna(0) / years


def loyalty_stages(
    summary: pd.DataFrame,
    attachment: pd.DataFrame,
    as_of: date,
    rules: StageRules = StageRules(),
) -> pd.DataFrame:
    """Each member's stage and type (see the module's rules).

    ``summary`` is the member summary of :mod:`regulars.analytics.behaviour` (every
    enrolled member, buyers or not); ``attachment`` comes from :func:`attachment_scores`.
    Returns member_id, purchases, purchases_per_year, attachment, share_of_wallet,
    ``stage``, ``loyalty_type`` and ``wallet_band``.
    """
    data = summary[["member_id", "purchases", "first_purchase", "last_purchase"]].merge(
        attachment, on="member_id", how="left"
    )
    purchases = data["purchases"].fillna(0)
    per_year = _purchases_per_year(data, as_of).where(purchases > 0, 0.0)
    end = pd.Timestamp(as_of, tz="UTC")
    recency = (end - pd.to_datetime(data["last_purchase"], utc=True)).dt.days
    attached = data["attachment"] >= rules.attached_from
    sow = data["share_of_wallet"]
    wallet_ok = sow.isna() | (sow >= rules.loyal_share_of_wallet)
    loyal = (
        attached
        & (per_year >= rules.loyal_purchases_per_year)
        & (recency <= rules.loyal_recency_days)
        & wallet_ok
    )
    stage = np.select(
        [purchases == 0, purchases == 1, ~attached, ~loyal],
        list(STAGES[:4]),
        STAGES[4],
    )
    buyers_rate = per_year[purchases > 0]
    frequent_cut = (
        rules.frequent_purchases_per_year
        if rules.frequent_purchases_per_year is not None
        else float(buyers_rate.median())
        if not buyers_rate.empty
        else 0.0
    )
    frequent = (per_year >= frequent_cut) & (purchases >= 2)
    kind = np.select(
        [data["attachment"].isna(), attached & frequent, attached, frequent],
        [UNKNOWN_TYPE, TYPES[0], TYPES[1], TYPES[2]],
        TYPES[3],
    )
    out = data[["member_id", "purchases", "attachment", "share_of_wallet"]].copy()
    out["purchases"] = purchases.astype(int)
    out["purchases_per_year"] = per_year
    out["stage"] = stage
    out["loyalty_type"] = kind
    out["frequent_from"] = frequent_cut
    out["wallet_band"] = wallet_bands(sow)
    return out


def wallet_bands(share_of_wallet: pd.Series) -> pd.Series:
    """'loyal' (>= 70 %), 'middle' (50-70 %), 'at risk' (< 50 %); missing when not asked."""
    values = share_of_wallet.astype(float)
    bands = np.select([values >= 70, values >= 50, values < 50], ["loyal", "middle", "at risk"], "")
    out = pd.Series(bands, index=share_of_wallet.index, dtype="object")
    return out.where(values.notna(), None)


def stage_funnel(stages: pd.DataFrame) -> pd.DataFrame:
    """Members at each stage, members who reached it (at it or beyond), and conversion.

    ``conversion`` is the percentage of those who reached the previous stage who reached
    this one. ``without_answers`` counts the members at the stage who never answered a
    survey (they cannot be placed beyond *repeat visits*).
    """
    counts = stages["stage"].value_counts().reindex(list(STAGES), fill_value=0)
    reached = counts[::-1].cumsum()[::-1]
    no_answers = (
        stages[stages["attachment"].isna()]["stage"]
        .value_counts()
        .reindex(list(STAGES), fill_value=0)
    )
    table = pd.DataFrame(
        {
            "stage": list(STAGES),
            "members": counts.to_numpy(),
            "reached": reached.to_numpy(),
            "without_answers": no_answers.to_numpy(),
        }
    )
    previous = table["reached"].shift(1)
    table["conversion"] = 100 * table["reached"] / previous.where(previous > 0)
    return table


def loyalty_types(stages: pd.DataFrame) -> pd.DataFrame:
    """Members per loyalty type; shares among members with answers (unknown apart)."""
    counts = stages["loyalty_type"].value_counts().reindex([*TYPES, UNKNOWN_TYPE], fill_value=0)
    known = counts[list(TYPES)].sum()
    table = pd.DataFrame({"loyalty_type": counts.index, "members": counts.to_numpy()})
    table["share_of_answering"] = [
        100 * c / known if t != UNKNOWN_TYPE and known else np.nan
        for t, c in zip(table["loyalty_type"], table["members"], strict=True)
    ]
    return table


def wallet_band_table(stages: pd.DataFrame) -> pd.DataFrame:
    """Members per share-of-wallet band among those asked."""
    bands = ["loyal", "middle", "at risk"]
    counts = stages["wallet_band"].value_counts().reindex(bands, fill_value=0)
    total = counts.sum()
    return pd.DataFrame(
        {
            "wallet_band": bands,
            "members": counts.to_numpy(),
            "share": [100 * c / total if total else np.nan for c in counts],
        }
    )
