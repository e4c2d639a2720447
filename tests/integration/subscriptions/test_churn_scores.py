"""Churn scores written back per active contract (``subscription_scores``), on SQLite and
PostgreSQL: the stored probabilities and median residual lives equal an independent
computation of the same model (statsmodels' PHReg's fit on a design built here with pandas,
and Breslow's baseline written out from its definition), the rows beyond the Cox baseline
come from the Weibull model, and the audience fields read them against a set computed by
hand from the stored rows."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sqlalchemy import select
from tests.integration.campaigns.campaign_helpers import definition
from tests.subscription_data import AS_OF, generate, load_store

from regulars.analytics.churn.outlook import covariates
from regulars.bootstrap import App
from regulars.services.engagement import campaigns
from regulars.services.errors import Invalid, NotFound
from regulars.services.subscriptions import analysis, scoring
from regulars.store.tables import members, subscription_scores, subscriptions

NOW = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
ZONE = "Asia/Seoul"


def _score(app: App) -> scoring.ScoringRun:
    with app.unit_of_work() as uow:
        run = scoring.score_subscriptions(uow, AS_OF, NOW, timezone=ZONE)
        uow.commit()
    return run


def _stored(app: App) -> pd.DataFrame:
    query = select(
        subscriptions.c.external_id.label("subscription_id"),
        members.c.external_id.label("member_id"),
        *(
            subscription_scores.c[c]
            for c in subscription_scores.c.keys()  # noqa: SIM118
            if c not in ("subscription_id", "member_id")
        ),
    ).select_from(
        subscription_scores.join(
            subscriptions, subscriptions.c.id == subscription_scores.c.subscription_id
        ).join(members, members.c.id == subscription_scores.c.member_id)
    )
    with app.unit_of_work() as uow:
        return pd.DataFrame(uow.connection.execute(query).mappings().all())


def _design(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """Dummies against the most frequent level, numbers as they are (pandas, not ours)."""
    parts = []
    for name in names:
        if frame[name].dtype.kind in "fiub":
            parts.append(frame[[name]].astype(float))
        else:
            top = frame[name].value_counts().index[0]
            dummies = pd.get_dummies(frame[name], prefix=name, dtype=float)
            parts.append(dummies.drop(columns=f"{name}_{top}"))
    return pd.concat(parts, axis=1)


def test_stored_scores_are_the_fitted_cox_models_own(app: App) -> None:
    load_store(app, generate(300))
    run = _score(app)
    stored = _stored(app).set_index("subscription_id").sort_index()
    with app.unit_of_work() as uow:
        features = analysis.features(uow, AS_OF, timezone=ZONE)
    frame, kept = covariates(features)
    assert tuple(kept) == run.covariates
    active = frame[~frame["cancelled"].astype(bool)].set_index("subscription_id").sort_index()
    assert list(stored.index) == list(active.index)  # every active contract, no other
    assert (run.scored, run.contracts) == (len(active), len(frame))

    x = _design(frame, run.covariates)
    fit = sm.PHReg(
        frame["duration_days"].astype(float), x, status=frame["cancelled"].astype(int),
        ties="efron",
    ).fit()  # fmt: skip
    # Breslow's estimator from its definition, on PHReg's coefficients: at each cancellation
    # time, the cancellations over the summed risk of those still subscribed then.
    weight = np.exp(x.to_numpy() @ fit.params)
    duration = frame["duration_days"].to_numpy(float)
    cancelled = frame["cancelled"].to_numpy(bool)
    times = np.unique(duration[cancelled])
    steps = [cancelled[duration == t].sum() / weight[duration >= t].sum() for t in times]
    hazard = np.cumsum(steps)
    follow_up = float(duration.max())

    def h0(t: np.ndarray) -> np.ndarray:
        at = np.searchsorted(times, t, side="right") - 1
        return np.where(at >= 0, hazard[np.maximum(at, 0)], 0.0)

    risk = pd.Series(weight, index=frame["subscription_id"])
    risk = risk.loc[stored.index].to_numpy()
    tenure = active["duration_days"].to_numpy(float)
    assert (stored["tenure_days"].to_numpy() == tenure).all()
    cox = (stored["model"] == "cox").to_numpy()
    assert cox.sum() > 0.8 * len(stored)
    assert (~cox == (tenure + 90 > follow_up)).all()  # Weibull exactly where Cox ends
    for horizon in (30, 90):
        expected = 1 - np.exp(-(h0(tenure + horizon) - h0(tenure)) * risk)
        got = stored[f"cancel_probability_{horizon}d"].to_numpy()
        np.testing.assert_allclose(got[cox], expected[cox], atol=1e-6)
        assert ((got >= 0) & (got < 1)).all()
    target = h0(tenure) + np.log(2) / risk
    reach = np.searchsorted(hazard, target, side="left")
    inside = cox & (reach < len(times))
    median = stored["median_residual_days"].to_numpy(float)
    np.testing.assert_allclose(median[inside], times[reach[inside]] - tenure[inside], atol=1e-6)
    assert np.isfinite(median).all()  # the Weibull median where the Cox curve stays above 1/2
    assert stored["loyalty_index"].between(0, 100).sum() > 0
    banded = stored["loyalty_index"].notna()
    assert (stored["loyalty_band"].notna() == banded).all()
    assert set(stored["loyalty_band"].dropna()) <= {"0-40", "40-60", "60-80", "80-100"}

    with app.unit_of_work() as uow:
        member = str(stored["member_id"].iloc[0])
        rows = scoring.subscription_scores(uow, member)
        assert {r["subscription"] for r in rows} == set(stored.index[stored["member_id"] == member])
        assert rows[0]["computed_at"].startswith("2026-01-01T03:00:00")
        with pytest.raises(NotFound):
            scoring.subscription_scores(uow, "nobody")
    _score(app)  # scoring again replaces, never adds
    assert len(_stored(app)) == len(stored)


def _preview(app: App, audience: object) -> set[str]:
    d = definition("churn", audience, steps=[{"task": {"kind": "call", "title": "Call"}}])
    with app.unit_of_work() as uow:
        found = campaigns.preview(uow, d, now=NOW, timezone=ZONE, sample=10_000)
    return {row["member_id"] for row in found["sample"]}


def test_audiences_target_the_churn_scores(app: App) -> None:
    load_store(app, generate(300))
    _score(app)
    stored = _stored(app)
    threshold = float(stored["cancel_probability_90d"].quantile(0.8))
    highest = stored.groupby("member_id")["cancel_probability_90d"].max()
    expected = set(highest[highest > threshold].index)
    assert 5 < len(expected) < len(highest)
    assert _preview(app, {"field": "cancel_probability_90d", "gt": threshold}) == expected
    lowest = stored.groupby("member_id")["loyalty_index"].min()
    low_loyalty = set(lowest[lowest < 50].index)
    both = _preview(
        app,
        {"all": [
            {"field": "cancel_probability_90d", "gt": threshold},
            {"field": "loyalty_index", "lt": 50},
        ]},
    )  # fmt: skip
    assert both == expected & low_loyalty
    shortest = stored.groupby("member_id")["median_residual_days"].min()
    assert _preview(app, {"field": "median_residual_days", "le": 365}) == set(
        shortest[shortest <= 365].index
    )


def test_nothing_to_score_is_said(app: App) -> None:
    with app.unit_of_work() as uow, pytest.raises(Invalid, match="no contract had started"):
        scoring.score_subscriptions(uow, AS_OF, NOW, timezone=ZONE)
