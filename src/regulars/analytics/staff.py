"""Scores per employee and per department (touchpoint), and a fair bonus leaderboard.

An overall score hides where the trouble is, so each department and each employee gets its
own NPS and CSAT with intervals. The leaderboard for a bonus scheme ranks only those with
at least ``min_answers`` answers, and ranks them by the lower bound of their NPS interval
(the score they have shown beyond reasonable doubt), showing the interval beside it, so
that a lucky handful of answers does not beat a steady record.

References
----------
.. [1] Rocks, B. (2016), see :mod:`regulars.analytics.nps`.
.. [2] Miller, E. (2009). How not to sort by average rating. (Ranking by the lower bound
   of a confidence interval.)
"""

from __future__ import annotations

import pandas as pd

from regulars.analytics.nps import nps_table
from regulars.analytics.satisfaction import csat_table


def touchpoint_scores(
    responses: pd.DataFrame, by: str, csat_answers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """NPS and CSAT, with intervals, per value of ``by`` (employee, department, store...).

    NPS comes from ``responses`` (one row per response); CSAT from ``csat_answers`` (one row
    per rated touchpoint, :func:`regulars.analytics.responses.csat_answers`) when given.
    """
    nps = nps_table(responses, by=by)
    if csat_answers is None or csat_answers.empty:
        return nps
    csat = csat_table(csat_answers, by=by)
    if csat.empty:
        return nps
    keep = [c for c in (by, "n", "csat", "csat_low", "csat_high") if c in csat.columns]
    renamed = csat[keep].rename(columns={"n": "csat_n"})
    return (
        nps.merge(renamed, on=by, how="outer")
        .sort_values("n", ascending=False, na_position="last")
        .reset_index(drop=True)
    )


def leaderboard(
    responses: pd.DataFrame,
    by: str = "employee",
    min_answers: int = 30,
    csat_answers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank employees (or any ``by``) for a bonus: only those with enough answers.

    Returns every one of them with ``eligible`` (n >= ``min_answers``) and, for the
    eligible, ``rank`` by the lower bound of the 95 % interval (ties by NPS). The others
    are listed after, unranked, so nobody is silently left out.
    """
    table = touchpoint_scores(responses, by, csat_answers)
    table = table[table["n"].notna()].copy()
    table["n"] = table["n"].astype(int)
    table["eligible"] = table["n"] >= min_answers
    eligible = table[table["eligible"]].sort_values(["low", "nps"], ascending=False)
    table["rank"] = pd.Series(range(1, len(eligible) + 1), index=eligible.index, dtype="Int64")
    table["min_answers"] = min_answers
    ordered = pd.concat(
        [table.loc[eligible.index], table[~table["eligible"]].sort_values("n", ascending=False)]
    )
    return ordered.reset_index(drop=True)
