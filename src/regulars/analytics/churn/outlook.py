"""Each active subscriber's churn outlook from the churn features: the covariates, the Cox
fit, the scores, the loyalty index, and the factor whose improvement keeps most
subscriber-months.

:func:`churn_outlook` takes the per-contract features of
:func:`regulars.analytics.subscriptions.subscriber_features` (with an optional
``intent_rebuy`` column, the member's latest 1-5 intention to stay) and:

1. **covariates** (:func:`covariates`): ``plan``, ``segment`` and ``age_band`` as levels
   (against the most frequent one), ``fee_10k`` (the monthly fee in units of 10,000, kept
   only when the fee varies within a plan: otherwise it is the plan), ``committed`` (1 when
   the contract was signed with a commitment: known at the start, so it cannot leak the
   outcome — "still committed on the end day" would, since a contract cancelled inside its
   commitment is by that very fact still committed on its last day), ``cases``,
   ``plan_changes``, ``downgrades``, ``usage_slope``,
   ``nps_last`` and every ``driver_<name>`` rating. A missing value takes the mean of those
   observed (a member who never answered counts as the average answer); a column that is
   constant, missing everywhere, or a linear combination of the ones before it
   (:func:`independent`) is left out;
2. a Cox model (:class:`~regulars.analytics.churn.cox.CoxPHModel`, Efron ties) of
   ``duration_days`` / ``cancelled`` on them, over every contract (a fit that cannot
   converge — a covariate that separates the outcomes — is tried again without the last
   covariate, until it converges);
3. the **scores** of each active contract at its tenure (``duration_days``):
   ``cancel_probability_30d``, ``cancel_probability_90d`` and ``median_residual_days``
   (days until the contract is more likely gone than not). The Cox baseline is unknown past
   the longest follow-up: the probabilities of a contract whose 90 days reach past it are a
   Weibull AFT model's on the same covariates (which extrapolates), and ``model`` says which
   model gave them; the median is the Cox model's where its curve falls to one half within
   the follow-up, else the Weibull model's;
4. the study's **loyalty index** (:func:`~regulars.analytics.churn.loyalty.
   hierarchical_loyalty_index`): behavioural (whole months subscribed, months billed, usage),
   intentional (signed with a commitment; the stated intention to stay where asked) and
   emotional (the latest 0-10 recommendation) loyalty, weights derived for staying (not
   cancelled by ``as_of``), and its band (:data:`~regulars.analytics.churn.loyalty.BANDS`);
   missing where the member gave no 0-10 answer;
5. **which factor to fix first** (:func:`factor_gains`): for each factor a business can
   move (fewer ``cases``, a higher ``nps_last`` and driver ratings, a lower ``fee_10k``)
   whose hazard ratio's 95 % interval excludes 1 and whose improvement lowers the hazard,
   every active subscriber's value moved by one standard deviation the better way; the
   subscriber-months kept over the next 12 months are the sum over subscribers of the gain
   in restricted mean residual life,
   ``∫₀³⁶⁵ S(now + u | x') / S(now | x') − S(now + u | x) / S(now | x) du`` (trapezoid on a
   monthly grid, by the Weibull model: the Cox baseline ends at the longest follow-up),
   divided by 30.4375 days. When driver ratings sit beside ``nps_last`` (the answer they
   explain), the effects and the Weibull model of this step are refitted without
   ``nps_last``: a driver's effect is then its total one, not the part the answer leaves it.

References
----------
Cox, D. R. (1972). Regression models and life-tables. *JRSS B*, 34(2), 187–220.

Royston, P., & Parmar, M. K. B. (2013). Restricted mean survival time: an alternative to the
hazard ratio for the design and analysis of randomized trials with a time-to-event outcome.
*BMC Medical Research Methodology*, 13, 152.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regulars.analytics.churn.cox import CoxPHModel
from regulars.analytics.churn.design import Design
from regulars.analytics.churn.loyalty import hierarchical_loyalty_index, loyalty_bands
from regulars.analytics.churn.weibull import WeibullAFTModel
from regulars.analytics.clv.base import FitError

CATEGORICAL = ("plan", "segment", "age_band")
NUMERIC = ("fee_10k", "committed", "cases", "plan_changes", "downgrades", "usage_slope")
OPINIONS = ("nps_last",)
BETTER = {"cases": -1, "nps_last": 1, "fee_10k": -1}
"""Factors a business can act on, and which way is better (every ``driver_<name>`` rating
too: higher)."""
INTERVAL = ("hazard_ratio", "lower_95", "upper_95")
MIN_OUTCOMES = 5
"""A level is kept when at least this many of its contracts cancelled and as many did not
(otherwise its hazard ratio runs off to 0 or infinity)."""
HORIZON_DAYS = 365
DAYS_PER_MONTH = 30.4375
SCORE_COLUMNS = (
    "subscription_id",
    "member_id",
    "tenure_days",
    "model",
    "cancel_probability_30d",
    "cancel_probability_90d",
    "median_residual_days",
    "loyalty_index",
    "loyalty_band",
)
LOYALTY_INDICATORS = {
    "behavioural": ["duration_months", "months_billed", "usage_mean"],
    "intentional": ["committed"],
    "emotional": ["nps_last"],
}
LOYALTY_SCALES = {"nps_last": (0.0, 10.0), "committed": (0.0, 1.0), "intent_rebuy": (1.0, 5.0)}


def better_direction(name: str) -> int:
    """+1 when more of the factor is better, -1 when less is, 0 for what is not fixable."""
    return 1 if name.startswith("driver_") else BETTER.get(name, 0)


def covariates(features: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The model's frame (the features with ``fee_10k``, ``committed`` and missing values
    filled) and the covariates kept (see the module's step 1)."""
    frame = features.copy()
    frame["fee_10k"] = frame["fee"].astype("float64") / 10_000
    frame["committed"] = frame["commitment_months_left"].notna().astype("float64")
    kept: list[str] = []
    cancelled = frame["cancelled"].astype(bool)
    for name in CATEGORICAL:
        if name in frame and frame[name].nunique(dropna=True) > 1:
            frame[name] = frame[name].astype("string").fillna("unknown")
            outcomes = pd.crosstab(frame[name], cancelled)
            if outcomes.shape[1] == 2 and (outcomes >= MIN_OUTCOMES).all().all():
                kept.append(name)
    drivers = sorted(c for c in frame.columns if str(c).startswith("driver_"))
    for name in (*NUMERIC, *OPINIONS, *drivers):
        if name not in frame:
            continue
        if (
            name == "fee_10k"
            and "plan" in kept
            and not (frame.groupby("plan")["fee_10k"].nunique() > 1).any()
        ):
            continue  # the fee is the plan
        values = frame[name].astype("float64")
        if values.notna().sum() == 0 or values.nunique(dropna=True) < 2:
            continue
        frame[name] = values.fillna(values.mean())
        kept.append(name)
    return frame, independent(frame, kept)


def independent(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """Those of ``names`` (in order) that each add to what the ones before them explain: a
    covariate whose columns are a linear combination of the earlier ones and the constant
    (a fee that is the plan, a level met only with another) is left out, since no model
    could tell their effects apart. One pass over the rows (the cross-products of every
    column, scaled); the choice is made on that small matrix."""
    blocks = [Design.learn(frame, [name]).matrix(frame) for name in names]
    columns = np.column_stack([np.ones(len(frame)), *blocks])
    columns = columns / np.maximum(np.abs(columns).max(axis=0), 1e-300)
    gram = columns.T @ columns
    chosen, start = [0], 1
    kept: list[str] = []
    for name, block in zip(names, blocks, strict=True):
        candidate = chosen + list(range(start, start + block.shape[1]))
        start += block.shape[1]
        eigenvalues = np.linalg.eigvalsh(gram[np.ix_(candidate, candidate)])
        if eigenvalues[0] > 1e-10 * eigenvalues[-1]:
            chosen, kept = candidate, [*kept, name]
    return kept


@dataclass(frozen=True)
class ChurnOutlook:
    """The fitted models, the covariates, and the active contracts' scores."""

    cox: CoxPHModel
    weibull: WeibullAFTModel
    covariates: tuple[str, ...]
    frame: pd.DataFrame
    """Every contract's model frame (covariates filled)."""
    scores: pd.DataFrame
    """One row per active contract: :data:`SCORE_COLUMNS`."""
    loyalty_weights: pd.Series | None

    @property
    def active(self) -> pd.DataFrame:
        return self.frame[~self.frame["cancelled"].astype(bool)]


def _loyalty(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """The loyalty index of every contract (NaN where it cannot be built) and the
    dimensions' weights (None when there are too few answers to derive them)."""
    indicators = {k: list(v) for k, v in LOYALTY_INDICATORS.items()}
    data = frame.copy()
    data["nps_last"] = frame["nps_last_raw"]
    if "intent_rebuy" in frame and frame["intent_rebuy"].notna().any():
        indicators["intentional"].append("intent_rebuy")
    stayed = (~frame["cancelled"].astype(bool)).astype("float64")
    usable = data["nps_last"].notna()
    if usable.sum() < 10 or stayed[usable].nunique() < 2:
        return pd.Series(np.nan, index=frame.index), None
    try:
        index = hierarchical_loyalty_index(data, indicators, stayed, LOYALTY_SCALES)
    except ValueError:
        return pd.Series(np.nan, index=frame.index), None
    return index.scores["loyalty_index"], index.dimension_weights


def churn_outlook(features: pd.DataFrame) -> ChurnOutlook:
    """Fit and score (the module's steps 1-4); ValueError or FitError when there is too
    little to fit (no cancellation, no covariate)."""
    if features.empty:
        raise ValueError("there are no contracts to fit")
    frame, kept = covariates(features)
    frame["nps_last_raw"] = features["nps_last"].astype("float64")
    if not kept:
        raise ValueError("no covariate varies between contracts: there is nothing to fit")
    frame["weibull_days"] = frame["duration_days"].clip(lower=0.5)
    while True:  # a fit that cannot converge drops the last covariate and tries again
        try:
            cox = CoxPHModel().fit(frame, "duration_days", "cancelled", kept)
            weibull = WeibullAFTModel().fit(frame, "weibull_days", "cancelled", kept)
            break
        except FitError:
            if len(kept) == 1:
                raise
            kept = kept[:-1]
    index, weights = _loyalty(frame)
    frame["loyalty_index"] = index
    active = frame[~frame["cancelled"].astype(bool)]
    scores = _scores(cox, weibull, active)
    return ChurnOutlook(cox, weibull, tuple(kept), frame, scores, weights)


def _scores(cox: CoxPHModel, weibull: WeibullAFTModel, active: pd.DataFrame) -> pd.DataFrame:
    tenure = active["duration_days"].to_numpy(np.float64)
    by_cox = cox.score(active, tenure)
    by_weibull = weibull.score(active, np.maximum(tenure, 0.5))
    known = by_cox["p_cancel_90d"].notna() & by_cox["p_cancel_30d"].notna()
    chosen = by_cox.where(known, by_weibull)
    reached = np.isfinite(by_cox["median_residual_life"])
    median = by_cox["median_residual_life"].where(reached, by_weibull["median_residual_life"])
    median = median.where(np.isfinite(median))
    return pd.DataFrame(
        {
            "subscription_id": active["subscription_id"],
            "member_id": active["member_id"],
            "tenure_days": active["duration_days"].astype("int64"),
            "model": np.where(known, "cox", "weibull"),
            "cancel_probability_30d": chosen["p_cancel_30d"],
            "cancel_probability_90d": chosen["p_cancel_90d"],
            "median_residual_days": median,
            "loyalty_index": active["loyalty_index"],
            "loyalty_band": loyalty_bands(active["loyalty_index"]),
        },
        index=active.index,
    )[list(SCORE_COLUMNS)]


@dataclass(frozen=True)
class FactorGain:
    """What moving one factor by a standard deviation would keep."""

    covariate: str
    hazard_ratio: float
    lower_95: float
    upper_95: float
    step: float
    """The change per subscriber (signed: the direction that lowers the hazard)."""
    subscriber_months: float
    """Subscriber-months kept over the next 12 months, summed over the active subscribers."""


def _kept_months(model: WeibullAFTModel, frame: pd.DataFrame, tenure: np.ndarray) -> float:
    grid = np.linspace(0.0, HORIZON_DAYS, 13)
    curves = np.column_stack([model.conditional_survival(frame, tenure, u) for u in grid])
    return float(np.trapezoid(curves, grid, axis=1).sum() / DAYS_PER_MONTH)


def _total_effects(outlook: ChurnOutlook) -> tuple[CoxPHModel, WeibullAFTModel, list[str]]:
    """The models whose effects rank the factors: the outlook's, or — when it holds driver
    ratings beside ``nps_last`` — the same models refitted without ``nps_last``. The 0-10
    answer is what the drivers explain (the report's driver analysis regresses it on them):
    beside them it takes over the part of each driver's effect that runs through it, so a
    driver that truly matters looks unclear. Improving a driver moves the answer too, so its
    effect on leaving is the one without it (its total effect); ``nps_last`` itself is not
    ranked then (no one can move it but through the drivers)."""
    names = list(outlook.covariates)
    if "nps_last" not in names or not any(n.startswith("driver_") for n in names):
        return outlook.cox, outlook.weibull, names
    kept = [n for n in names if n != "nps_last"]
    frame = outlook.frame
    try:
        cox = CoxPHModel().fit(frame, "duration_days", "cancelled", kept)
        weibull = WeibullAFTModel().fit(frame, "weibull_days", "cancelled", kept)
    except FitError:
        return outlook.cox, outlook.weibull, names
    return cox, weibull, kept


def factor_gains(outlook: ChurnOutlook) -> list[FactorGain]:
    """Every fixable factor with a clear effect (interval excluding 1), most months kept
    first (the module's step 5; the effects are :func:`_total_effects`')."""
    active = outlook.active
    if active.empty:
        return []
    cox, weibull, names = _total_effects(outlook)
    effects = cox.hazard_ratios_.set_index("covariate")
    tenure = np.maximum(active["duration_days"].to_numpy(np.float64), 0.5)
    base = _kept_months(weibull, active, tenure)
    gains = []
    for name in names:
        direction = better_direction(name)
        if not direction or name not in effects.index:
            continue
        row = {k: float(effects.at[name, k]) for k in ("coef", *INTERVAL)}  # type: ignore[arg-type]
        if row["lower_95"] <= 1 <= row["upper_95"] or direction * row["coef"] >= 0:
            continue  # no clear effect, or improving it would not keep subscribers
        spread = float(active[name].std(ddof=0))
        if not spread > 0:
            continue
        step = direction * spread
        moved = active.assign(**{name: active[name] + step})
        gains.append(
            FactorGain(
                covariate=name,
                hazard_ratio=row["hazard_ratio"],
                lower_95=row["lower_95"],
                upper_95=row["upper_95"],
                step=step,
                subscriber_months=_kept_months(weibull, moved, tenure) - base,
            )
        )
    return sorted(gains, key=lambda g: -g.subscriber_months)
