"""The demo operator run end to end, like a user would: its files imported through the
import paths, the exit survey sent through the invitation path and answered on the answer
page's use case, and the churn models fitted on what the product computes from the store
(the churn features, the cohort survival table, the reasons analysis) — each recovered
figure beside its ground truth (:mod:`regulars.demo.telecom`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from regulars.analytics.churn import CoxPHModel, ShiftedBetaGeometricModel, cohort_table
from regulars.analytics.churn.survival import Z95
from regulars.bootstrap import App
from regulars.demo import telecom
from regulars.domain.subscriptions.exits import COMPETITOR_FIELD, REASON_FIELD
from regulars.services.feedback import surveys
from regulars.services.feedback.dispatch import DispatchReport, invitation_token
from regulars.services.feedback.links import answer_link
from regulars.services.imports.answers import import_answers_file
from regulars.services.imports.files import import_file
from regulars.services.imports.report import ImportReport
from regulars.services.subscriptions import analysis, exits, scoring

FILE_KINDS = ("members", "plans", "subscriptions", "plan-changes", "bills")
COX_COVARIATES = ("driver_network", "driver_price", "fee_10k", "segment")
WELCOME = {
    "code": telecom.WELCOME_SURVEY,
    "name": "Welcome to Hanbit Mobile",
    "drivers": list(telecom.DRIVERS),
}
LEAVING = {"code": telecom.EXIT_SURVEY, "name": "Before you go", "kind": "exit", "nps": True}
Progress = Callable[[str], Callable[[int, int], None] | None]


def as_of_moment(timezone: str) -> datetime:
    """Midnight after the observation day in the operator's time zone, as UTC: the demo's
    "now" for its imports, invitations and answers."""
    local = datetime.combine(telecom.AS_OF + timedelta(days=1), time(0), ZoneInfo(timezone))
    return local.astimezone(UTC)


def write_files(operator: telecom.TelecomOperator, out: Path) -> dict[str, Path]:
    """The operator as import files (CSV), its truth and ``ground_truth.json``."""
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "members": operator.members,
        "plans": operator.plans,
        "subscriptions": operator.subscriptions,
        "plan-changes": operator.plan_changes,
        "bills": operator.bills,
        "answers": operator.answers,
    }
    files = {}
    for kind, frame in frames.items():
        path = out / f"{kind.replace('-', '_')}.csv"
        frame.to_csv(path, index=False)
        files[kind] = path
    operator.truth.to_parquet(out / "truth.parquet", index=False)
    (out / "ground_truth.json").write_text(
        json.dumps(operator.ground_truth(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return files


def load(
    app: App, files: dict[str, Path], out: Path, progress: Progress | None = None
) -> dict[str, ImportReport]:
    """Import the files as ``regulars import <kind>`` and ``regulars feedback import`` do
    (the welcome survey defined first); rejected rows go to ``<kind>.rejects.csv``."""
    timezone = app.settings.timezone
    now = as_of_moment(timezone)
    reports: dict[str, ImportReport] = {}
    for kind in FILE_KINDS:
        reports[kind] = import_file(
            kind,  # type: ignore[arg-type]
            files[kind],
            app.run_committed,
            timezone=timezone,
            rejects=out / f"{kind}.rejects.csv",
            progress=progress(kind) if progress else None,
        )
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, dict(WELCOME), now)
        uow.commit()
    reports["answers"] = import_answers_file(
        files["answers"],
        app.run_committed,
        timezone=timezone,
        rejects=out / "answers.rejects.csv",
        progress=progress("answers") if progress else None,
        now=now,
    )
    return reports


@dataclass
class ExitRun:
    """The exit survey's invitations and the answers given on its pages."""

    invitations: DispatchReport
    answered: int = 0
    refused: dict[str, int] = field(default_factory=dict)


def run_exit_survey(app: App, operator: telecom.TelecomOperator) -> ExitRun:
    """Invite every cancelled contract's member to "why are you leaving?" (the path of
    ``regulars subscriptions invite-exits``), then answer the pages of those who reply
    with their true reason, through the answer page's own use case."""
    settings = app.settings
    now = as_of_moment(settings.timezone)
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, dict(LEAVING), now)
        invited = exits.invite_after_cancellations(
            uow,
            now,
            secret=settings.secret_key,
            base_url="http://127.0.0.1:8000",
            timezone=settings.timezone,
            survey=telecom.EXIT_SURVEY,
            lookback_days=(telecom.AS_OF - telecom.LAUNCH).days + 1,
        )
        uow.commit()
    run = ExitRun(invited)
    replies = operator.truth[operator.truth["answers_exit"]]
    with app.unit_of_work() as uow:
        for reply in replies.to_dict("records"):
            key = f"{telecom.EXIT_SURVEY}:exit:{reply['subscription_id']}"
            form = {REASON_FIELD: str(reply["reason"]), "nps": str(reply["exit_nps"])}
            if reply["competitor"]:
                form[COMPETITOR_FIELD] = str(reply["competitor"])
            token = invitation_token(settings.secret_key, key)
            answered = answer_link(uow, token, settings.secret_key, form, now)
            if answered.recorded:
                run.answered += 1
            else:
                status = str(answered.link.status) + ":" + ",".join(answered.problems.values())
                run.refused[status] = run.refused.get(status, 0) + 1
        uow.commit()
    return run


def score(app: App) -> scoring.ScoringRun:
    """``regulars subscriptions score --as-of`` the observation day, run at the demo's "now"
    (midnight after it): every active contract's churn scores written to the store."""
    timezone = app.settings.timezone
    with app.unit_of_work() as uow:
        run = scoring.score_subscriptions(
            uow, telecom.AS_OF, as_of_moment(timezone), timezone=timezone
        )
        uow.commit()
    return run


def _interval(estimate: float, se: float) -> tuple[float, float]:
    """A positive parameter's 95 % interval, symmetric on the log scale."""
    spread = Z95 * se / estimate
    return estimate * float(np.exp(-spread)), estimate * float(np.exp(spread))


def recover(app: App, operator: telecom.TelecomOperator) -> dict[str, Any]:
    """Fit the models on what the product computes from the store and set each recovered
    figure beside the truth."""
    timezone = app.settings.timezone
    with app.unit_of_work() as uow:
        features = analysis.features(uow, telecom.AS_OF, timezone=timezone)
        table = analysis.survival(uow, telecom.AS_OF)
        reasons = analysis.reasons(uow, by="month")
    frame = cox_frame(features, operator)
    model = CoxPHModel().fit(
        frame,
        "duration_days",
        "cancelled",
        list(COX_COVARIATES),
        references={"segment": "individual"},
    )
    return {
        "hazard_ratios": hazard_ratios(model),
        "to_call": to_call(model, frame),
        "sbg": fit_launch_cohort(table),
        "wave": find_wave(reasons),
        "subscribers": len(features),
        "cancelled": int(features["cancelled"].sum()),
    }


def cox_frame(features: pd.DataFrame, operator: telecom.TelecomOperator) -> pd.DataFrame:
    """The contracts after the launch month with their welcome-survey ratings, and the fee
    each signed (from the contracts file: the features give the fee in force at the end)."""
    signed = operator.subscriptions.set_index("subscription_id")["monthly_fee"]
    later = pd.to_datetime(features["started_on"]) >= pd.Timestamp(
        telecom.LAUNCH.year, telecom.LAUNCH.month + 1, 1
    )
    frame = features[later].dropna(subset=["driver_network", "driver_price"]).copy()
    frame["fee_10k"] = frame["subscription_id"].map(signed).astype(float) / 10_000
    return frame


def hazard_ratios(model: CoxPHModel) -> dict[str, dict[str, float]]:
    """Each true hazard ratio beside the Cox estimate and its 95 % interval."""
    out = {}
    for row in model.hazard_ratios_.to_dict("records"):
        name = str(row["covariate"])
        out[name] = {
            "true": telecom.HAZARD_RATIOS[name],
            "estimate": float(row["hazard_ratio"]),
            "lower_95": float(row["lower_95"]),
            "upper_95": float(row["upper_95"]),
            "p": float(row["p"]),
        }
    return out


def fit_launch_cohort(table: pd.DataFrame) -> dict[str, Any]:
    """sBG on the launch cohort's survivors at its first renewals (the survival table's
    complete rows before the wave)."""
    cohort = table[
        (table["cohort"] == telecom.LAUNCH)
        & (table["t"] <= telecom.SBG_PERIODS)
        & table["complete"]
    ].sort_values("t")
    alive = cohort["active"].to_numpy()
    rows = cohort_table(alive)
    model = ShiftedBetaGeometricModel().fit(rows["periods"], rows["cancelled"], rows["subscribers"])
    found: dict[str, Any] = {"contracts": int(alive[0]), "periods": len(alive) - 1}
    for name in ("alpha", "beta"):
        estimate = float(model.params_[name])
        se = float(model.standard_errors_[name])
        low, high = _interval(estimate, se)
        found[name] = {
            "true": telecom.SBG[name],
            "estimate": estimate,
            "se": se,
            "lower_95": low,
            "upper_95": high,
        }
    return found


def find_wave(reasons: dict[str, Any]) -> dict[str, Any]:
    """The month in which most members left for a competitor, and the competitor named
    most that month, from the churn-reasons analysis by month."""
    months = [g for g in reasons["groups"] if g["group"] != "all"]

    def competitor_count(group: dict[str, Any]) -> int:
        return sum(r["count"] for r in group["reasons"] if r["reason"] == "competitor")

    peak = max(months, key=competitor_count)
    counts = sorted((competitor_count(g) for g in months), reverse=True)
    rival = peak["competitor"] or {}
    return {
        "true_month": telecom.WAVE_MONTH,
        "true_competitor": telecom.WAVE_COMPETITOR,
        "month": peak["group"],
        "competitor": rival.get("name"),
        "competitor_share": rival.get("share"),
        "competitor_cancellations": competitor_count(peak),
        "next_month_count": counts[1] if len(counts) > 1 else 0,
        "cancellations": peak["cancellations"],
    }


def to_call(model: CoxPHModel, frame: pd.DataFrame, limit: int = 10) -> list[dict[str, Any]]:
    """The active subscribers likeliest to cancel in the next 30 days, to call this week."""
    active = frame[~frame["cancelled"]]
    scores = model.score(active, "duration_days", horizons=(30,))
    ranked = active.assign(p_cancel_30d=scores["p_cancel_30d"]).dropna(subset=["p_cancel_30d"])
    columns = ["member_id", "subscription_id", "plan", "fee", "driver_network", "segment"]
    top = ranked.nlargest(limit, "p_cancel_30d")[[*columns, "p_cancel_30d"]]
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in top.to_dict("records")
    ]
