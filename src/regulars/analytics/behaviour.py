"""Behaviour and money: RFM, behavioural loyalty, average check, returning customers, cohorts.

Two small frames carry everything, both aggregated where the purchases live (SQL in the
store, or DuckDB over Parquet; see :mod:`regulars.store.reads.analytics`):

- the *member summary*: one row per member — ``member_id``, ``signup_date``,
  ``first_purchase``, ``last_purchase``, ``purchases`` (sales), ``net_spend`` (sales less
  refunds and returns, in won) and ``categories`` (distinct categories bought);
- the *member months*: one row per member and month with a purchase — ``member_id``,
  ``month`` (months since year 0: ``year * 12 + month - 1``), ``purchases``, ``spend``.

References
----------
.. [1] Hughes, A. M. (1994). *Strategic Database Marketing*. Probus. (RFM scoring.)
.. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value
   curves for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.
.. [3] Fox, E. (ed.) (2019). Cohort analysis, in *Marketing Analytics*. (Retention matrix.)
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

#: Named RFM segments: (name, recency score range, frequency-monetary score range).
RFM_SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[float, float]], ...] = (
    ("champions", (4, 5), (4.0, 5.0)),
    ("loyal customers", (3, 5), (3.0, 5.0)),
    ("potential loyalists", (4, 5), (2.0, 3.0)),
    ("new customers", (5, 5), (1.0, 2.0)),
    ("promising", (4, 4), (1.0, 2.0)),
    ("can't lose them", (1, 2), (4.0, 5.0)),
    ("at risk", (1, 2), (3.0, 4.0)),
    ("need attention", (3, 3), (2.0, 3.0)),
    ("about to sleep", (3, 3), (1.0, 2.0)),
    ("hibernating", (1, 2), (2.0, 3.0)),
    ("lost", (1, 2), (1.0, 2.0)),
)


def month_index(day: date | pd.Timestamp) -> int:
    return int(day.year) * 12 + int(day.month) - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _quintile(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    ranks = values.rank(method="first", pct=True, ascending=higher_is_better)
    return (ranks * 5).apply(np.ceil).clip(1, 5).astype("Int64")


def rfm(summary: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Recency, frequency, tenure and monetary value, their 1-5 scores and a named segment.

    Only members with at least one purchase are scored. Recency is days since the last
    purchase, tenure days since the first; scores are quintiles (5 best; recency reversed);
    the segment follows the recency score and the mean of the frequency and monetary scores
    (Hughes 1994; the segment names are the common RFM marketing names).
    """
    buyers = summary[summary["purchases"].fillna(0) > 0].copy()
    end = pd.Timestamp(as_of, tz="UTC")
    buyers["recency_days"] = (end - pd.to_datetime(buyers["last_purchase"], utc=True)).dt.days
    buyers["tenure_days"] = (end - pd.to_datetime(buyers["first_purchase"], utc=True)).dt.days
    buyers["frequency"] = buyers["purchases"].astype(int)
    buyers["monetary"] = buyers["net_spend"].astype("int64")
    buyers["r"] = _quintile(buyers["recency_days"], higher_is_better=False)
    buyers["f"] = _quintile(buyers["frequency"])
    buyers["m"] = _quintile(buyers["monetary"])
    fm = (buyers["f"].astype(float) + buyers["m"].astype(float)) / 2
    segment = pd.Series("others", index=buyers.index, dtype="object")
    assigned = pd.Series(False, index=buyers.index)
    r = buyers["r"].astype(int)
    for name, (r_low, r_high), (fm_low, fm_high) in RFM_SEGMENTS:
        hit = ~assigned & r.between(r_low, r_high) & fm.between(fm_low, fm_high)
        segment[hit] = name
        assigned |= hit
    buyers["rfm_segment"] = segment
    columns = [
        "member_id",
        "recency_days",
        "frequency",
        "tenure_days",
        "monetary",
        "r",
        "f",
        "m",
        "rfm_segment",
    ]
    return buyers[columns].reset_index(drop=True)


def rfm_segments(scores: pd.DataFrame) -> pd.DataFrame:
    """Members, share and average value per RFM segment, largest first."""
    table = scores.groupby("rfm_segment").agg(
        members=("member_id", "size"),
        avg_monetary=("monetary", "mean"),
        avg_frequency=("frequency", "mean"),
        avg_recency_days=("recency_days", "mean"),
    )
    table["share"] = 100 * table["members"] / table["members"].sum()
    return table.sort_values("members", ascending=False).reset_index()


def behavioural_loyalty(
    months: pd.DataFrame, summary: pd.DataFrame, as_of: date, window: int = 12
) -> pd.DataFrame:
    """Per member, over the last ``window`` months: constancy, repeats, growth, cross-buying.

    ``active_months`` and ``constancy`` (share of the window's months with a purchase);
    ``spend_cv`` (coefficient of variation of monthly spend over the window, months without
    a purchase counting as 0: lower is steadier); ``repeat_purchases`` (purchases after the
    first, all time); ``spend_growth`` (spend in the window's second half over its first
    half, minus 1; missing when the first half is 0); ``categories`` (distinct categories
    bought: cross-purchases).
    """
    last = month_index(as_of)
    first = last - window + 1
    recent = months[(months["month"] >= first) & (months["month"] <= last)]
    grouped = recent.groupby("member_id")
    spend_sum = grouped["spend"].sum()
    spend_sq = (recent["spend"].astype(float) ** 2).groupby(recent["member_id"]).sum()
    mean = spend_sum / window
    variance = (spend_sq / window - mean**2).clip(lower=0)
    half = first + window // 2
    early = recent[recent["month"] < half].groupby("member_id")["spend"].sum()
    late = recent[recent["month"] >= half].groupby("member_id")["spend"].sum()
    out = pd.DataFrame({"active_months": grouped.size()})
    out["constancy"] = out["active_months"] / window
    out["spend_cv"] = np.sqrt(variance) / mean.where(mean > 0)
    early = early.reindex(out.index, fill_value=0)
    late = late.reindex(out.index, fill_value=0)
    out["spend_growth"] = (late / early.where(early > 0)) - 1
    base = summary.set_index("member_id")[["purchases", "categories"]]
    out = base.join(out, how="left")
    out["active_months"] = out["active_months"].fillna(0).astype(int)
    out["constancy"] = out["constancy"].fillna(0.0)
    out["repeat_purchases"] = (out["purchases"].fillna(0) - 1).clip(lower=0).astype(int)
    return out.reset_index()[
        [
            "member_id",
            "active_months",
            "constancy",
            "spend_cv",
            "repeat_purchases",
            "spend_growth",
            "categories",
        ]
    ]


def average_check(months: pd.DataFrame) -> pd.DataFrame:
    """Average check (net spend per purchase) per month and its growth.

    ``growth`` is against the month before, ``growth_yoy`` against the same month a year
    before (both as fractions; missing where there is nothing to compare).
    """
    table = months.groupby("month").agg(spend=("spend", "sum"), purchases=("purchases", "sum"))
    table = (
        table.reindex(range(int(table.index.min()), int(table.index.max()) + 1))
        if not table.empty
        else table
    )
    table["average_check"] = table["spend"] / table["purchases"].where(table["purchases"] > 0)
    table["growth"] = table["average_check"] / table["average_check"].shift(1) - 1
    table["growth_yoy"] = table["average_check"] / table["average_check"].shift(12) - 1
    table["period"] = [month_start(int(m)) for m in table.index]
    return table.reset_index()[
        ["period", "spend", "purchases", "average_check", "growth", "growth_yoy"]
    ]


def returning_customers(months: pd.DataFrame) -> pd.DataFrame:
    """Per month: customers who bought, how many had bought in an earlier month, and the share."""
    first = months.groupby("member_id")["month"].transform("min")
    flagged = months.assign(returning=months["month"] > first)
    table = flagged.groupby("month").agg(
        customers=("member_id", "size"), returning=("returning", "sum")
    )
    table["returning_share"] = 100 * table["returning"] / table["customers"]
    table["period"] = [month_start(int(m)) for m in table.index]
    return table.reset_index()[["period", "customers", "returning", "returning_share"]]


def returning_overall(summary: pd.DataFrame) -> dict[str, float]:
    """Buyers, those who came back (two or more purchases), and their share."""
    buyers = int((summary["purchases"].fillna(0) > 0).sum())
    returning = int((summary["purchases"].fillna(0) >= 2).sum())
    return {
        "buyers": buyers,
        "returning": returning,
        "returning_share": 100 * returning / buyers if buyers else float("nan"),
    }


def cohort_retention(months: pd.DataFrame, max_age: int = 12) -> pd.DataFrame:
    """The cohort retention matrix: share of each first-purchase month's cohort buying again.

    Rows are cohorts (the month of the first purchase), columns ``0..max_age`` are months
    since then, values the percentage of the cohort with a purchase in that month (month 0
    is 100 by definition). ``size`` is the cohort's size.
    """
    cohort = months.groupby("member_id")["month"].transform("min")
    age = months["month"] - cohort
    data = pd.DataFrame({"cohort": cohort, "age": age})
    data = data[data["age"] <= max_age]
    counts = data.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=range(max_age + 1), fill_value=0)
    size = counts[0]
    matrix = 100 * counts.div(size.where(size > 0), axis=0)
    # Ages not yet reached are unknown, not zero.
    newest = int(months["month"].max()) if not months.empty else 0
    for cohort_month in matrix.index:
        unreached = [a for a in matrix.columns if cohort_month + a > newest]
        matrix.loc[cohort_month, unreached] = np.nan
    matrix.columns = [str(c) for c in matrix.columns]
    matrix.insert(0, "size", size)
    matrix.insert(0, "cohort", [month_start(int(m)) for m in matrix.index])
    return matrix.reset_index(drop=True)
