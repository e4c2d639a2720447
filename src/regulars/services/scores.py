"""Predictive scores: fit the models on the store's purchases and write each member's scores.

``compute_scores`` summarises purchases in the database (SQL; see
:mod:`regulars.analytics.clv.summary` for the definitions and how refunds count), fits a
purchase model (BG/NBD by default, or Pareto/NBD) and the Gamma-Gamma spend model, and stores
per member, with the time of the computation:

* ``probability_alive`` — P(still a customer now);
* ``expected_purchases`` — purchase days expected over the horizon;
* ``clv`` — discounted value of the horizon (monthly steps, an annual discount rate), in minor
  units;
* ``value_at_risk`` — ``clv × (1 - probability_alive)``: the member's *future* value (over the
  horizon) weighted by the chance they are already lost. It ranks the members still worth
  winning back; by definition it is near 0 for a member almost surely lost (their CLV is near
  0 too: 51 past purchase days and P(alive) 9e-11 give 0), so the **lost** view completes it:
  members whose P(alive) is below a threshold (default 0.05) and whose last purchase lies
  within the horizon of the computation, ranked by *past* value (net spend to date) —
  recently lost, high past value (:func:`lost`; ``regulars scores at-risk --view lost``,
  ``GET /v1/scores/at-risk?view=lost``);
* ``expected_loss_at`` — when P(alive) reaches one half (now, if it already has; empty when it
  stays above for longer than a century).

Day boundaries are midnight in the business's time zone (``REGULARS_TIMEZONE``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from regulars.analytics.clv import BetaGeoModel, FitError, GammaGammaModel, ParetoNBDModel
from regulars.analytics.clv.summary import calibration_and_holdout, summarise
from regulars.analytics.clv.validation import (
    HoldoutFigures,
    holdout_figure,
    holdout_figures,
    holdout_table,
    predict_holdout,
)
from regulars.domain.times import as_utc, wire
from regulars.services.errors import Invalid, NotFound
from regulars.store import scores as score_store
from regulars.store.reads.clv_summary import StoreEngine
from regulars.store.unit_of_work import UnitOfWork

ModelName = Literal["bgnbd", "pareto"]
MIN_MEMBERS = 20
DAYS_PER_MONTH = 30
LONGEST_LOSS_DAYS = 36_500


@dataclass(frozen=True)
class ScoreRun:
    """What a computation did: the models' parameters and the totals it stored."""

    computed_at: datetime
    model: str
    members: int
    params: dict[str, float]
    standard_errors: dict[str, float]
    log_likelihood: float
    spend_params: dict[str, float]
    total_clv: int
    total_value_at_risk: int


def utc_offset_hours(timezone: str, at: datetime) -> float:
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def _purchase_model(name: str) -> BetaGeoModel | ParetoNBDModel:
    if name == "bgnbd":
        return BetaGeoModel()
    if name == "pareto":
        return ParetoNBDModel()
    raise Invalid(f"unknown model {name!r}: choose bgnbd or pareto")


def compute_scores(
    uow: UnitOfWork,
    now: datetime,
    *,
    model: str = "bgnbd",
    horizon_days: int = 365,
    annual_discount_rate: float = 0.10,
    timezone: str = "UTC",
) -> ScoreRun:
    """Fit on every purchase up to ``now`` and replace the stored scores (the caller commits)."""
    if horizon_days < 1:
        raise Invalid("horizon_days must be at least 1")
    if now.tzinfo is None:
        raise Invalid("now must carry a time zone")
    purchase_model = _purchase_model(model)
    data = summarise(StoreEngine(uow.connection), now, utc_offset_hours(timezone, now))
    repeat = data[data["frequency"] > 0]
    if len(data) < MIN_MEMBERS or len(repeat) < 2:
        raise Invalid(
            f"too little history to fit: {len(data)} members with purchases, {len(repeat)} with "
            f"repeat purchases (need at least {MIN_MEMBERS} and 2)"
        )
    x, t_x, age = data["frequency"], data["recency"], data["T"]
    try:
        purchase_model.fit(x, t_x, age)
        spend = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    except FitError as error:
        raise Invalid(str(error)) from None
    months = math.ceil(horizon_days / DAYS_PER_MONTH)
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    alive = purchase_model.expected_probability_alive(x, t_x, age)
    expected = purchase_model.expected_purchases(float(horizon_days), x, t_x, age)
    clv = spend.customer_lifetime_value(
        purchase_model,
        x,
        t_x,
        age,
        data["monetary_value"],
        time=months,
        discount_rate=monthly_rate,
        period=DAYS_PER_MONTH,
    )
    clv_minor = np.rint(clv).astype(np.int64)
    at_risk = np.rint(clv * (1 - alive)).astype(np.int64)
    median = purchase_model.median_time_to_loss(x, t_x, age)
    rows = [
        (
            int(member),
            as_utc(now),
            model,
            int(f),
            int(r),
            int(a),
            float(p),
            float(e),
            horizon_days,
            int(c),
            int(v),
            as_utc(now + timedelta(days=float(m))) if m <= LONGEST_LOSS_DAYS else None,
        )
        for member, f, r, a, p, e, c, v, m in zip(
            data["member_id"], x, t_x, age, alive, expected, clv_minor, at_risk, median, strict=True
        )
    ]
    score_store.replace_all(uow.connection, rows)
    return ScoreRun(
        computed_at=as_utc(now),
        model=model,
        members=len(rows),
        params=_floats(purchase_model.params_),
        standard_errors=_floats(purchase_model.standard_errors_),
        log_likelihood=purchase_model.log_likelihood_,
        spend_params=_floats(spend.params_),
        total_clv=int(clv_minor.sum()),
        total_value_at_risk=int(at_risk.sum()),
    )


def _floats(series: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in series.items()}


def at_risk(
    uow: UnitOfWork, limit: int = 100, min_probability_lost: float = 0.0
) -> list[dict[str, Any]]:
    """Members ranked by value at risk, most first."""
    if not 0 <= min_probability_lost <= 1:
        raise Invalid("min_probability_lost must be between 0 and 1")
    rows = score_store.at_risk(uow.connection, max(1, limit), min_probability_lost)
    return [_scores(r) for r in rows]


LOST_BELOW = 0.05
"""P(alive) under which the ``lost`` view counts a member as lost."""


def lost(
    uow: UnitOfWork,
    limit: int = 100,
    below: float = LOST_BELOW,
    within_days: int | None = None,
) -> list[dict[str, Any]]:
    """Members recently lost with high past value: P(alive) below ``below``, last purchase
    within ``within_days`` of the computation (default: its horizon), ranked by net spend to
    date, most first. Each row also has ``past_value`` and ``days_since_last_purchase``."""
    if not 0 < below <= 1:
        raise Invalid("below must be above 0 and at most 1")
    if within_days is not None and within_days < 0:
        raise Invalid("within_days must not be negative")
    rows = score_store.lost(uow.connection, max(1, limit), below, within_days)
    return [_scores(r) for r in rows]


def at_risk_view(
    uow: UnitOfWork, view: str, limit: int = 100, min_probability_lost: float = 0.0
) -> list[dict[str, Any]]:
    """The at-risk views: ``value`` (by value at risk, :func:`at_risk`) or ``lost``
    (recently lost, by past value, :func:`lost`)."""
    if view == "value":
        return at_risk(uow, limit, min_probability_lost)
    if view == "lost":
        return lost(uow, limit)
    raise Invalid(f"view must be 'value' or 'lost', not {view!r}")


def member_scores(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    row = score_store.of_member(uow.connection, external_id)
    if row is None:
        raise NotFound(f"no scores for member {external_id!r} (run 'regulars scores compute')")
    return _scores(row)


def _scores(row: Mapping[str, Any]) -> dict[str, Any]:
    """A member's scores as the API shows them: times in ISO 8601 with offset."""
    return {
        **row,
        "computed_at": wire(row["computed_at"]),
        "expected_loss_at": wire(row["expected_loss_at"]),
    }


@dataclass(frozen=True)
class HoldoutValidation:
    table: pd.DataFrame
    figures: HoldoutFigures
    figure: Any


def validate_holdout(
    uow: UnitOfWork,
    calibration_end: datetime,
    observation_end: datetime,
    *,
    model: str = "bgnbd",
    timezone: str = "UTC",
) -> HoldoutValidation:
    """Fit on purchases up to ``calibration_end``; compare predictions with what followed."""
    if calibration_end >= observation_end:
        raise Invalid("calibration_end must come before observation_end")
    split = calibration_and_holdout(
        StoreEngine(uow.connection),
        calibration_end,
        observation_end,
        utc_offset_hours(timezone, observation_end),
    )
    if len(split) < MIN_MEMBERS or (split["frequency"] > 0).sum() < 2:
        raise Invalid(f"too little history before {calibration_end:%Y-%m-%d} to fit")
    try:
        predicted = predict_holdout(_purchase_model(model), split)
    except FitError as error:
        raise Invalid(str(error)) from None
    table = holdout_table(predicted)
    return HoldoutValidation(table, holdout_figures(predicted), holdout_figure(table))
