"""The report's churn section, shown when the store holds subscriptions: how long
subscribers stay, what makes them leave, how well the model ranks them, how loyalty links to
leaving, which factor to fix first, and whom to call this week.

Every figure is computed as of the briefing's day from the store's contracts:

- **retention**: the shifted-beta-geometric model (Fader & Hardie 2007) fitted on every
  start cohort's monthly survival table (:func:`regulars.analytics.subscriptions.
  cohort_survival`: a contract cancelled in month ``t`` served ``t + 1`` periods; one still
  running after ``t`` whole months is censored there), drawn against the pooled Kaplan–Meier
  share still subscribed, with the projected share after 12, 24 and 36 months;
- **what makes them leave**: the Cox model of :func:`regulars.analytics.churn.outlook.
  churn_outlook` — each clear hazard ratio (95 % interval excluding 1) said in words;
- **validation on held-out time**: the model refitted on what was known
  :data:`HOLDOUT_DAYS` before the briefing's day (the features as of then), the contracts
  running then scored for the next 90 days and held against what they did: Harrell's
  concordance index and the calibration by tenth of predicted risk, with its plot;
- **hazard by loyalty band**: :func:`regulars.analytics.churn.loyalty.hazard_by_loyalty_band`
  on the loyalty index of the outlook;
- **which factor to fix first**: :func:`regulars.analytics.churn.outlook.factor_gains`, the
  fixable factor whose improvement keeps most subscriber-months over the next year;
- **whom to call this week**: the active contracts with the highest P(cancel within 30 days)
  × monthly fee, with the member's name (no phone number or address: a report travels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

from regulars.analytics.churn.loyalty import hazard_by_loyalty_band
from regulars.analytics.churn.outlook import ChurnOutlook, FactorGain, churn_outlook, factor_gains
from regulars.analytics.churn.sbg import ShiftedBetaGeometricModel
from regulars.analytics.churn.validation import HoldoutValidation, holdout_validation
from regulars.analytics.clv.base import FitError
from regulars.analytics.subscriptions import cohort_survival, subscriber_features
from regulars.analytics.subscriptions.features import SubscriptionEngine
from regulars.services.subscriptions import analysis, scoring
from regulars.store.subscriptions import scores as score_store
from regulars.store.unit_of_work import UnitOfWork

HOLDOUT_DAYS = 180
HORIZON_DAYS = 90
PROJECTED_MONTHS = (12, 24, 36)
CALL_LIMIT = 20


class ChurnSource(Protocol):
    """Where the section's data comes from: the store, or files read by an engine."""

    def features(self, day: date) -> pd.DataFrame:
        """The churn features as of ``day``."""
        ...

    def survival(self, day: date) -> pd.DataFrame:
        """The cohort survival table as of ``day``."""
        ...

    def names(self, members: Sequence[str]) -> dict[str, str | None]:
        """The name (or None) of each member who may be called (erased members left out)."""
        ...


@dataclass(frozen=True)
class StoreChurn:
    uow: UnitOfWork
    timezone: str

    def features(self, day: date) -> pd.DataFrame:
        return scoring.scoring_features(self.uow, day, timezone=self.timezone)

    def survival(self, day: date) -> pd.DataFrame:
        return analysis.survival(self.uow, day)

    def names(self, members: Sequence[str]) -> dict[str, str | None]:
        return score_store.member_names(self.uow.connection, list(members))


@dataclass(frozen=True)
class FileChurn:
    """Subscription files read by DuckDB or Spark (no names: the files carry none)."""

    engine: SubscriptionEngine
    timezone: str

    def features(self, day: date) -> pd.DataFrame:
        offset = analysis.local_offset_hours(self.timezone, day)
        return subscriber_features(self.engine, day, utc_offset_hours=offset)

    def survival(self, day: date) -> pd.DataFrame:
        return cohort_survival(self.engine, day)

    def names(self, members: Sequence[str]) -> dict[str, str | None]:
        return dict.fromkeys(members)


@dataclass(frozen=True)
class Retention:
    alpha: float
    beta: float
    months: tuple[int, ...]
    """0..n, the months of the observed curve."""
    observed: tuple[float, ...]
    """Pooled Kaplan–Meier share still subscribed after each month."""
    projected: tuple[tuple[int, float], ...]
    """(month, the sBG share still subscribed then)."""

    def curve(self, months: int) -> np.ndarray:
        return ShiftedBetaGeometricModel.from_params(alpha=self.alpha, beta=self.beta)\
            .survival_function(np.arange(months + 1))  # fmt: skip


@dataclass(frozen=True)
class SubscriberToCall:
    member: str
    name: str | None
    subscription: str
    plan: str
    monthly_fee: int
    cancel_probability_30d: float
    fee_at_risk: float
    """P(cancel within 30 days) × monthly fee (minor units)."""


@dataclass(frozen=True)
class ChurnView:
    as_of: date
    contracts: int
    active: int
    cancelled: int
    retention: Retention | None
    hazard_ratios: pd.DataFrame
    """covariate, hazard_ratio, lower_95, upper_95, p (the Cox model's)."""
    validation: HoldoutValidation | None
    holdout_cutoff: date
    bands: pd.DataFrame | None
    gains: tuple[FactorGain, ...]
    to_call: tuple[SubscriberToCall, ...]
    expected_cancellations_30d: float

    @property
    def fix_first(self) -> FactorGain | None:
        return self.gains[0] if self.gains else None


def _retention(source: ChurnSource, as_of: date) -> Retention | None:
    table = source.survival(as_of)
    if table.empty or not table["cancelled"].any():
        return None
    by_month = table.groupby("t")[["active", "cancelled", "censored"]].sum().sort_index()
    t = by_month.index.to_numpy(np.int64)
    rows = pd.DataFrame(
        {
            "periods": np.concatenate([t + 1, t]),
            "cancelled": np.concatenate([np.ones(len(t), bool), np.zeros(len(t), bool)]),
            "subscribers": np.concatenate([by_month["cancelled"], by_month["censored"]]),
        }
    )
    rows = rows[rows["subscribers"] > 0]
    try:
        model = ShiftedBetaGeometricModel().fit(
            rows["periods"], rows["cancelled"], rows["subscribers"]
        )
    except (ValueError, FitError):
        return None
    at_risk = by_month["active"].to_numpy(np.float64)
    lost = by_month["cancelled"].to_numpy(np.float64)
    kept = np.cumprod(1 - np.divide(lost, at_risk, out=np.zeros_like(lost), where=at_risk > 0))
    observed = np.concatenate([[1.0], kept])
    months = tuple(range(len(observed)))
    params = model.params_
    curve = model.survival_function(np.asarray(PROJECTED_MONTHS))
    return Retention(
        alpha=float(params["alpha"]),
        beta=float(params["beta"]),
        months=months,
        observed=tuple(float(v) for v in observed),
        projected=tuple((m, float(s)) for m, s in zip(PROJECTED_MONTHS, curve, strict=True)),
    )


def _validation(
    source: ChurnSource, now_features: pd.DataFrame, cutoff: date
) -> HoldoutValidation | None:
    """Fit on the features as of ``cutoff``; score the contracts running then; hold them
    against what the features as of the briefing's day say they did."""
    try:
        then = churn_outlook(source.features(cutoff))
    except (ValueError, FitError):
        return None
    running = then.active.set_index("subscription_id")
    later = now_features.set_index("subscription_id").reindex(running.index)
    holdout = running.assign(
        tenure=running["duration_days"].astype("float64"),
        after=(later["duration_days"] - running["duration_days"]).astype("float64"),
        cancelled_later=later["cancelled"].fillna(False).astype(bool),
    )
    try:
        return holdout_validation(
            then.cox, holdout, "tenure", "after", "cancelled_later", horizon=HORIZON_DAYS
        )
    except ValueError:
        return None


def _bands(outlook: ChurnOutlook) -> pd.DataFrame | None:
    try:
        return hazard_by_loyalty_band(outlook.frame, "duration_days", "cancelled")
    except (ValueError, FitError):
        return None


def _to_call(source: ChurnSource, outlook: ChurnOutlook) -> tuple[SubscriberToCall, ...]:
    scores = outlook.scores.merge(
        outlook.active[["subscription_id", "plan", "fee"]], on="subscription_id", how="left"
    )
    scores["fee_at_risk"] = scores["cancel_probability_30d"] * scores["fee"]
    top = scores.sort_values(["fee_at_risk", "subscription_id"], ascending=[False, True])
    first = top.head(5 * CALL_LIMIT)  # erased members are few: enough to fill the list
    names = source.names(first["member_id"].astype(str).tolist())
    top = first[first["member_id"].astype(str).isin(list(names))].head(CALL_LIMIT)
    return tuple(
        SubscriberToCall(
            member=str(row["member_id"]),
            name=names.get(str(row["member_id"])),
            subscription=str(row["subscription_id"]),
            plan=str(row["plan"]),
            monthly_fee=int(row["fee"]),
            cancel_probability_30d=float(row["cancel_probability_30d"]),
            fee_at_risk=float(row["fee_at_risk"]),
        )
        for row in top.to_dict(orient="records")
    )


def churn_view(uow: UnitOfWork, as_of: date, timezone: str) -> ChurnView | None:
    """The churn section from the store as of ``as_of``; None when the store has no
    contract (or none that had started by then, or none cancelled yet)."""
    if not score_store.has_contracts(uow.connection):
        return None
    return churn_view_of(StoreChurn(uow, timezone), as_of)


def churn_view_of(source: ChurnSource, as_of: date) -> ChurnView | None:
    """The churn section from ``source`` as of ``as_of`` (None: nothing to fit)."""
    features = source.features(as_of)
    if features.empty or not features["cancelled"].any():
        return None
    try:
        outlook = churn_outlook(features)
    except (ValueError, FitError):
        return None
    cutoff = as_of - timedelta(days=HOLDOUT_DAYS)
    effects = outlook.cox.hazard_ratios_[["covariate", "hazard_ratio", "lower_95", "upper_95"]]
    return ChurnView(
        as_of=as_of,
        contracts=len(features),
        active=int((~features["cancelled"].astype(bool)).sum()),
        cancelled=int(features["cancelled"].astype(bool).sum()),
        retention=_retention(source, as_of),
        hazard_ratios=effects.assign(p=outlook.cox.hazard_ratios_["p"]),
        validation=_validation(source, features, cutoff),
        holdout_cutoff=cutoff,
        bands=_bands(outlook),
        gains=tuple(factor_gains(outlook)),
        to_call=_to_call(source, outlook),
        expected_cancellations_30d=float(outlook.scores["cancel_probability_30d"].sum()),
    )


def churn_json(view: ChurnView) -> dict[str, Any]:
    """The section's figures as JSON (numbers stay numbers; money in minor units)."""

    def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
        if frame is None:
            return None
        clean = frame.astype(object).where(frame.notna(), None)
        return [{str(k): v for k, v in r.items()} for r in clean.to_dict(orient="records")]

    validation = view.validation
    return {
        "as_of": view.as_of.isoformat(),
        "contracts": view.contracts,
        "active": view.active,
        "cancelled": view.cancelled,
        "retention": None
        if view.retention is None
        else {
            "alpha": view.retention.alpha,
            "beta": view.retention.beta,
            "observed": list(view.retention.observed),
            "projected": [{"month": m, "share": s} for m, s in view.retention.projected],
        },
        "hazard_ratios": records(view.hazard_ratios),
        "validation": None
        if validation is None
        else {
            "cutoff": view.holdout_cutoff.isoformat(),
            "horizon_days": validation.horizon,
            "members": validation.members,
            "unscored": validation.unscored,
            "concordance": validation.concordance,
            "calibration": records(validation.calibration),
        },
        "hazard_by_loyalty_band": records(view.bands),
        "factors": [g.__dict__ for g in view.gains],
        "to_call": [m.__dict__ for m in view.to_call],
        "expected_cancellations_30d": view.expected_cancellations_30d,
    }
