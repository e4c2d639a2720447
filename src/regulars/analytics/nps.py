"""Net Promoter Score with honest margins.

Detractors answer 0-6, passives 7-8, promoters 9-10 (the bounds of
:mod:`regulars.domain.feedback.nps`); NPS = % promoters - % detractors,
from -100 to +100 (passives count only in the denominator). An NPS is an estimate from a
sample, so every figure here carries its margin of error and its 95 % adjusted-Wald
interval, and two NPS values are called different only when a test says so.

References
----------
.. [1] Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business
   Review*, 81(12), 46-54.
.. [2] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
   Statistician*, 70(4), 365-372. (Adjusted-Wald: add 3/4 to promoters and to detractors
   and 3 to n; variance of the difference of two multinomial proportions.)
.. [3] Lewis, J. R. & Sauro, J. (2021). Evaluating NPS confidence intervals with real-world
   data. MeasuringU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import pandas as pd

from regulars.domain.feedback import nps as nps_rules
from regulars.domain.feedback.nps import NpsClass

#: The bands of the brief: (lower bound inclusive, label).
BANDS: tuple[tuple[float, str], ...] = (
    (-math.inf, "very low"),
    (0.0, "average"),
    (30.0, "good"),
    (50.0, "excellent"),
    (70.0, "market leader"),
    (80.0, "exceptional"),
)
NPS_COLUMNS = [
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "margin",
    "low",
    "high",
]


@lru_cache(maxsize=16)
def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


class NpsInterval(NamedTuple):
    """An NPS (in points, -100..100) with its adjusted-Wald interval."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float
    margin: float
    low: float
    high: float


def classify(scores: pd.Series) -> pd.Series:
    """'detractor' (0-6), 'passive' (7-8) or 'promoter' (9-10); missing stays missing.

    :func:`regulars.domain.feedback.nps.classify` for a whole series at once, on the
    domain's bounds, so that the answer page, the cases and the analytics cannot disagree.
    A score outside the scale has no class (None) here rather than an error.
    """
    values = pd.to_numeric(scores, errors="coerce")
    labels = np.select(
        [values <= nps_rules.DETRACTOR_HIGHEST, values <= nps_rules.PASSIVE_HIGHEST],
        [NpsClass.DETRACTOR.value, NpsClass.PASSIVE.value],
        NpsClass.PROMOTER.value,
    )
    out = pd.Series(labels, index=scores.index, dtype="object")
    out[values.isna() | (values < nps_rules.LOWEST) | (values > nps_rules.HIGHEST)] = None
    return out


def adjusted_wald(
    promoters: int, passives: int, detractors: int, confidence: float = 0.95
) -> NpsInterval:
    """NPS and its adjusted-Wald interval (Rocks 2016).

    Add 3/4 of a response to promoters and to detractors (and 3 to n); the variance of
    the adjusted NPS proportion is ``(p + d - (p - d)**2) / n``. The point estimate
    reported is the plain NPS; the interval is centred on the adjusted one and clipped to
    [-100, 100]; ``margin`` is half its width.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician*, 70(4), 365-372.
    """
    n = promoters + passives + detractors
    if n == 0:
        nan = float("nan")
        return NpsInterval(0, 0, 0, 0, nan, nan, nan, nan)
    z = z_value(confidence)
    n_adj = n + 3.0
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = p - d
    half = z * math.sqrt((p + d - centre**2) / n_adj)
    low, high = max(-1.0, centre - half), min(1.0, centre + half)
    score = 100.0 * (promoters - detractors) / n
    return NpsInterval(n, promoters, passives, detractors, score, 100 * half, 100 * low, 100 * high)


def nps_of(scores: pd.Series, confidence: float = 0.95) -> NpsInterval:
    """The NPS of a series of 0-10 answers (missing answers are left out)."""
    kinds = classify(scores).value_counts()
    return adjusted_wald(
        int(kinds.get("promoter", 0)),
        int(kinds.get("passive", 0)),
        int(kinds.get("detractor", 0)),
        confidence,
    )


def nps_table(
    responses: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    score: str = "ltr",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """NPS, counts, margin and interval overall or per group of ``by``.

    Returns one row per group with the columns of :data:`NPS_COLUMNS` (plus the group
    columns), groups with no answer left out, largest group first.
    """
    data = responses[responses[score].notna()]
    if by is None:
        return pd.DataFrame([adjusted_wald_row(nps_of(data[score], confidence))])
    keys = [by] if isinstance(by, str) else list(by)
    data = data.dropna(subset=keys)
    kinds = classify(data[score])
    counts = (
        pd.crosstab([data[k] for k in keys], kinds)
        .reindex(columns=["promoter", "passive", "detractor"], fill_value=0)
        .astype(int)
    )
    rows = []
    for key, row in counts.iterrows():
        interval = adjusted_wald(
            int(row["promoter"]), int(row["passive"]), int(row["detractor"]), confidence
        )
        values = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, values, strict=True)), **adjusted_wald_row(interval)})
    table = pd.DataFrame(rows, columns=[*keys, *NPS_COLUMNS])
    total = counts.sum()
    whole = (int(total["promoter"]), int(total["passive"]), int(total["detractor"]))
    p_values = []
    for group in table.itertuples():
        interval = _interval(group)
        rest = (
            whole[0] - interval.promoters,
            whole[1] - interval.passives,
            whole[2] - interval.detractors,
        )
        if sum(rest) == 0:
            p_values.append(float("nan"))
            continue
        test = nps_difference(interval, adjusted_wald(*rest, confidence), confidence)
        p_values.append(float(test["p_value"]))
    table["vs_rest_p"] = p_values
    table["differs_from_rest"] = table["vs_rest_p"] < 1 - confidence
    return table.sort_values("n", ascending=False, kind="stable").reset_index(drop=True)


def adjusted_wald_row(interval: NpsInterval) -> dict[str, float]:
    return dict(interval._asdict())


def nps_difference(
    first: NpsInterval, second: NpsInterval, confidence: float = 0.95
) -> dict[str, float | bool]:
    """Do two NPS values differ? A two-sided z-test on the adjusted-Wald estimates.

    Each NPS is adjusted as in :func:`adjusted_wald`; the variance of the difference is
    the sum of the two variances (independent samples). Returns the difference in points
    (first - second, unadjusted), its interval, z, the p-value and ``significant``.

    References
    ----------
    Rocks, B. (2016), op. cit.; Sauro, J. & Lewis, J. R. (2016). *Quantifying the User
    Experience*, 2nd ed., ch. 5 (comparing two proportions with the adjusted-Wald method).
    """

    def adjusted(i: NpsInterval) -> tuple[float, float]:
        n_adj = i.n + 3.0
        p = (i.promoters + 0.75) / n_adj
        d = (i.detractors + 0.75) / n_adj
        return p - d, (p + d - (p - d) ** 2) / n_adj

    a_centre, a_var = adjusted(first)
    b_centre, b_var = adjusted(second)
    se = math.sqrt(a_var + b_var)
    z_crit = z_value(confidence)
    z = (a_centre - b_centre) / se
    p_value = 2 * (1 - NormalDist().cdf(abs(z)))
    return {
        "difference": first.nps - second.nps,
        "low": 100 * (a_centre - b_centre - z_crit * se),
        "high": 100 * (a_centre - b_centre + z_crit * se),
        "z": z,
        "p_value": p_value,
        "significant": p_value < 1 - confidence,
    }


def nps_compare(
    responses: pd.DataFrame,
    by: str,
    first: object,
    second: object,
    score: str = "ltr",
    confidence: float = 0.95,
) -> dict[str, object]:
    """Does the NPS of group ``first`` of ``by`` differ from that of group ``second``?

    For example ``nps_compare(responses, "segment", "vip", "individual")``. Returns both
    NPS with their intervals and the test of :func:`nps_difference`.
    """
    values = responses[by].astype(str)
    a = nps_of(responses.loc[values == str(first), score], confidence)
    b = nps_of(responses.loc[values == str(second), score], confidence)
    if a.n == 0 or b.n == 0:
        missing = first if a.n == 0 else second
        raise ValueError(f"no answers for {by} = {missing!r}")
    return {
        "by": by,
        "first": {"group": first, **a._asdict()},
        "second": {"group": second, **b._asdict()},
        **nps_difference(a, b, confidence),
    }


def nps_trend(
    responses: pd.DataFrame, freq: str = "M", score: str = "ltr", when: str = "collected_at"
) -> pd.DataFrame:
    """NPS per week (``freq="W"``) or month (``"M"``), with intervals, oldest first.

    ``change_significant`` says whether the period differs from the one before it
    (:func:`nps_difference`).
    """
    if freq not in ("W", "M"):
        raise ValueError("freq must be 'W' (week) or 'M' (month)")
    data = responses[responses[score].notna()].copy()
    stamps = pd.to_datetime(data[when], utc=True).dt.tz_localize(None)
    data["period"] = stamps.dt.to_period(freq).dt.start_time.dt.date
    table = nps_table(data, by="period", score=score).sort_values("period")
    table = table.reset_index(drop=True)
    significant: list[bool | None] = [None]
    for previous, current in zip(table.itertuples(), table.iloc[1:].itertuples(), strict=False):
        test = nps_difference(_interval(current), _interval(previous))
        significant.append(bool(test["significant"]))
    table["change_significant"] = significant[: len(table)]
    return table


def _interval(row: object) -> NpsInterval:
    n, pro, pas, det, score, margin, low, high = (
        getattr(row, field) for field in NpsInterval._fields
    )
    return NpsInterval(int(n), int(pro), int(pas), int(det), score, margin, low, high)


def band(score: float) -> str:
    """The brief's band for an NPS: very low, average, good, excellent, market leader..."""
    label = BANDS[0][1]
    for lower, name in BANDS:
        if score >= lower:
            label = name
    return label


def against_benchmark(interval: NpsInterval, benchmark: float | None) -> str:
    """Where an NPS stands against the user's niche benchmark, honestly.

    'above' or 'below' only when the benchmark lies outside the interval; otherwise
    'not different'. Bands depend on the industry, so the user sets the benchmark.
    """
    if benchmark is None or math.isnan(interval.nps):
        return "no benchmark"
    if interval.low > benchmark:
        return "above"
    if interval.high < benchmark:
        return "below"
    return "not different"
