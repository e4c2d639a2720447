"""Why members leave: the reasons of cancelled contracts, by period, plan or segment, with
the competitor named most.

Input: one row per cancelled contract, as
:func:`regulars.store.reads.churn_reasons.cancellations` reads them (``subscription_id,
cancelled_on, plan, segment, operator_reason, operator_competitor, exit_reason,
exit_competitor``). A contract's **stated reason** is
its member's answer to the exit survey when there is one (the member's own word), else the
reason the operator recorded on the contract (``non_payment`` only comes from there); its
**competitor** likewise the one the member named, else the operator's (a number ported out).
Names are matched without regard to case and spacing and shown as most often written.

Each reason's share is of the cancellations with a stated reason in the group, with a
Wilson score interval (Wilson 1927): for ``k`` of ``n`` and the normal quantile ``z``,

    (p + z²/2n ± z·sqrt(p(1 − p)/n + z²/4n²)) / (1 + z²/n),   p = k/n,

which keeps within [0, 1] and covers close to its nominal level for small ``n`` and shares
near 0 (Newcombe 1998 compares seven intervals and recommends it; its worked examples —
81/263, 15/148, 0/20, 1/29 — are the test's). The competitor named most is the most frequent
name among the group's cancellations that named one, its share of those with an interval.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
*Journal of the American Statistical Association* 22(158), 209–212.
Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison
of seven methods. *Statistics in Medicine* 17(8), 857–872.
"""

from __future__ import annotations

from math import sqrt
from typing import Any, Literal

import pandas as pd

from regulars.analytics.nps import z_value

Breakdown = Literal["plan", "segment", "month"]
BREAKDOWNS: tuple[Breakdown, ...] = ("plan", "segment", "month")
ALL = "all"


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of the proportion ``k / n`` (``(0, 1)`` when ``n`` is 0)."""
    if n <= 0:
        return 0.0, 1.0
    z = z_value(confidence)
    p = k / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def stated(cancellations: pd.DataFrame) -> pd.DataFrame:
    """The cancellations with their stated ``reason``, its ``source`` (``survey`` or
    ``operator``; None without a reason), the ``competitor`` named and the ``month`` of the
    cancellation (``YYYY-MM``)."""
    frame = cancellations.copy()
    survey = frame["exit_reason"].notna()
    frame["reason"] = frame["exit_reason"].where(survey, frame["operator_reason"])
    frame["source"] = pd.Series("operator", index=frame.index, dtype=object).where(
        frame["operator_reason"].notna(), None
    )
    frame.loc[survey, "source"] = "survey"
    named = frame["exit_competitor"].notna()
    frame["competitor"] = frame["exit_competitor"].where(named, frame["operator_competitor"])
    frame["month"] = pd.to_datetime(frame["cancelled_on"]).dt.strftime("%Y-%m")
    return frame


def _share(k: int, n: int, confidence: float) -> dict[str, Any]:
    low, high = wilson_interval(k, n, confidence)
    return {"count": k, "share": k / n if n else None, "low": low, "high": high}


def _competitor(group: pd.DataFrame, confidence: float) -> dict[str, Any] | None:
    names = group["competitor"].dropna().astype(str).str.strip()
    names = names[names != ""]
    if names.empty:
        return None
    key = names.str.casefold().str.split().str.join(" ")
    counts = {str(k): int(v) for k, v in key.value_counts(sort=False).items()}
    # the most frequent name; ties go to the name that comes first alphabetically
    top = min(counts, key=lambda name: (-counts[name], name))
    spelling = {str(k): int(v) for k, v in names[key == top].value_counts().items()}
    shown = min(spelling, key=lambda name: (-spelling[name], name))
    return {"name": shown, "named": len(names), **_share(counts[top], len(names), confidence)}


def _group(name: str, group: pd.DataFrame, confidence: float) -> dict[str, Any]:
    given = group[group["reason"].notna()]
    n = len(given)
    counts = given["reason"].value_counts()
    reasons = [
        {"reason": str(reason), **_share(int(count), n, confidence)}
        for reason, count in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    ]
    return {
        "group": name,
        "cancellations": len(group),
        "with_reason": n,
        "from_survey": int((group["source"] == "survey").sum()),
        "reasons": reasons,
        "competitor": _competitor(group, confidence),
    }


def churn_reasons(
    cancellations: pd.DataFrame, by: Breakdown | None = None, confidence: float = 0.95
) -> dict[str, Any]:
    """The reasons of ``cancellations`` overall and, with ``by``, per plan, segment or month
    of cancellation (groups in their natural order), each with shares, intervals and the
    competitor named most."""
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"by: choose among {', '.join(BREAKDOWNS)}")
    frame = stated(cancellations)
    groups = [_group(ALL, frame, confidence)]
    if by is not None:
        for name, group in frame.groupby(frame[by].fillna("unknown"), sort=True):
            groups.append(_group(str(name), group, confidence))
    return {
        "by": by,
        "confidence": confidence,
        "cancellations": len(frame),
        "groups": groups,
    }
