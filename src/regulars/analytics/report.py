"""The loyalty report: every figure of the analytics, as data.

:func:`compute_report` turns the inputs (members, member summary, member months, answers)
into named sections — each a data frame or a small dict; :func:`report_json` makes them
JSON-ready. The page and the owner's briefing built on these sections are
:mod:`regulars.services.briefing` (``report.html``, ``report.json``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from regulars.analytics import behaviour, drivers, nps, satisfaction, staff, stages, themes
from regulars.analytics.acquisition import acquisition_by_channel
from regulars.analytics.responses import csat_answers, driver_names, responses_wide

Section = pd.DataFrame | dict[str, Any]
BREAKDOWNS = ("segment", "region", "store", "channel", "department", "employee")


@dataclass(frozen=True)
class ReportOptions:
    """What the user can set: the niche NPS benchmark, the leaderboard's minimum, rules."""

    benchmark: float | None = None
    min_answers: int = 30
    cohort_months: int = 12
    behaviour_window: int = 12
    themes: int = 10
    theme_min_answers: int = 5
    rules: stages.StageRules = field(default_factory=stages.StageRules)


def compute_report(
    members: pd.DataFrame,
    summary: pd.DataFrame,
    months: pd.DataFrame,
    answers: pd.DataFrame,
    as_of: date,
    options: ReportOptions = ReportOptions(),
    clv: pd.DataFrame | None = None,
) -> dict[str, Section]:
    """Every section of the report, by name (see the module's docstring)."""
    out: dict[str, Section] = {}
    responses = responses_wide(answers, members)
    ratings = csat_answers(answers) if not answers.empty else answers
    overall = nps.nps_of(responses["ltr"]) if "ltr" in responses else nps.adjusted_wald(0, 0, 0)
    out["meta"] = {
        "as_of": as_of.isoformat(),
        "members": len(members),
        "buyers": int((summary["purchases"] > 0).sum()),
        "responses": len(responses),
        "options": {k: v for k, v in asdict(options).items() if k != "rules"},
        "rules": asdict(options.rules),
    }
    out["nps"] = {
        **overall._asdict(),
        "band": nps.band(overall.nps) if not math.isnan(overall.nps) else None,
        "benchmark": options.benchmark,
        "against_benchmark": nps.against_benchmark(overall, options.benchmark),
    }
    if responses["ltr"].notna().any():
        out["nps_by_month"] = nps.nps_trend(responses, "M")
        out["nps_by_week"] = nps.nps_trend(responses, "W")
        for column in BREAKDOWNS:
            if column in responses and responses[column].notna().any():
                out[f"nps_by_{column}"] = nps.nps_table(responses, by=column)
    if not ratings.empty:
        out["csat"] = satisfaction.csat(ratings["csat"])
        for column in ("department", "store", "channel", "employee"):
            if ratings[column].notna().any():
                out[f"csat_by_{column}"] = satisfaction.csat_table(ratings, by=column)
    names = driver_names(responses)
    notes: dict[str, str] = {}
    if names:
        out["driver_ratings"] = satisfaction.driver_ratings(responses)
        kept, left_out = drivers.usable_drivers(responses)
        if kept:
            importance = drivers.driver_importance(responses, drivers=kept)
            out["drivers"] = drivers.importance_satisfaction(importance)
            index = drivers.loyalty_index(responses, importance)
            out["loyalty_index"] = drivers.loyalty_index_summary(index)
        if left_out:
            notes["drivers"] = (
                f"left out {', '.join(left_out)}: too few answers rated "
                f"{'them' if len(left_out) > 1 else 'it'} together with the other drivers"
                if kept
                else "too few answers rated the same drivers and gave a 0-10 score "
                "(more than one per driver, plus two, are needed)"
            )
    else:
        notes["drivers"] = "no driver ratings yet"
    if "drivers" in notes and "loyalty_index" not in out:
        notes["loyalty_index"] = "needs the driver weights: " + notes["drivers"]
    if "why" in responses and responses["why"].notna().any():
        out["themes"] = themes.themes_by_language(
            responses, top=options.themes, min_answers=options.theme_min_answers
        )
    if "employee" in responses and responses["employee"].notna().any():
        out["staff_leaderboard"] = staff.leaderboard(
            responses, "employee", options.min_answers, ratings if not ratings.empty else None
        )
    if "department" in responses and (
        responses["department"].notna().any()
        or (not ratings.empty and ratings["department"].notna().any())
    ):
        out["departments"] = staff.touchpoint_scores(
            responses, "department", ratings if not ratings.empty else None
        )

    scores = behaviour.rfm(summary, as_of)
    out["rfm_segments"] = behaviour.rfm_segments(scores) if not scores.empty else pd.DataFrame()
    loyalty = behaviour.behavioural_loyalty(months, summary, as_of, options.behaviour_window)
    buyers = loyalty[summary["purchases"].to_numpy() > 0]
    out["behaviour"] = {
        "window_months": options.behaviour_window,
        "mean_constancy": _float(buyers["constancy"].mean()),
        "median_spend_cv": _float(buyers["spend_cv"].median()),
        "repeat_purchases": int(buyers["repeat_purchases"].sum()),
        "median_spend_growth": _float(buyers["spend_growth"].median()),
        "mean_categories": _float(buyers["categories"].mean()),
        "cross_buyers_share": _float(100 * (buyers["categories"] >= 2).mean()),
        "mean_recency_days": _float(scores["recency_days"].mean()) if not scores.empty else None,
        "mean_frequency": _float(scores["frequency"].mean()) if not scores.empty else None,
        "mean_tenure_days": _float(scores["tenure_days"].mean()) if not scores.empty else None,
        "mean_monetary": _float(scores["monetary"].mean()) if not scores.empty else None,
    }
    if not months.empty:
        out["average_check"] = behaviour.average_check(months)
        out["returning_by_month"] = behaviour.returning_customers(months)
        out["cohorts"] = behaviour.cohort_retention(months, options.cohort_months)
    out["returning"] = behaviour.returning_overall(summary)

    attachment = stages.attachment_scores(responses, options.rules)
    member_stages = stages.loyalty_stages(summary, attachment, as_of, options.rules)
    out["stage_funnel"] = stages.stage_funnel(member_stages)
    out["loyalty_types"] = stages.loyalty_types(member_stages)
    out["wallet_bands"] = stages.wallet_band_table(member_stages)
    out["acquisition"] = acquisition_by_channel(members, summary, clv)
    out["notes"] = notes
    return out


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value


def report_json(report: dict[str, Section]) -> dict[str, Any]:
    """The report as plain JSON-ready data: frames become lists of records."""
    data: dict[str, Any] = {}
    for name, section in report.items():
        if isinstance(section, pd.DataFrame):
            data[name] = [_plain(dict(row)) for row in section.to_dict(orient="records")]
        else:
            data[name] = _plain(section)
    return data
