"""The briefing as JSON: ``report.json`` and ``GET /v1/analytics/report``.

Every section the report always had stays where it was (:func:`regulars.analytics.report.
report_json`); the briefing adds ``language``, ``period``, ``summary`` (each sentence's
catalogue key, its values as numbers and its text in the report's language),
``movements`` (each change with its interval and p-value), ``loyalty`` (per program),
``at_risk`` and ``cases``. Numbers stay numbers (money in minor units), times are ISO 8601.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from regulars.analytics.changes import Change
from regulars.analytics.report import report_json
from regulars.domain.times import wire
from regulars.services.briefing.at_risk import AtRiskView, MemberToCall
from regulars.services.briefing.build import Briefing
from regulars.services.briefing.cases import CasesView
from regulars.services.briefing.churn import churn_json
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.loyalty import LoyaltyView
from regulars.services.briefing.periods import Period
from regulars.services.briefing.values import Sentence, plain


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _period(period: Period) -> dict[str, Any]:
    return {
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "days": period.days,
        "start": wire(period.start),
        "end": wire(period.end),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "before": _number(change.before),
        "after": _number(change.after),
        "difference": _number(change.difference),
        "low": _number(change.low),
        "high": _number(change.high),
        "p_value": _number(change.p_value),
        "significant": change.significant,
        "n_before": change.n_before,
        "n_after": change.n_after,
    }


def sentence_json(sentence: Sentence, formatter: Formatter) -> dict[str, Any]:
    return {
        "key": sentence.key,
        "text": formatter.say(sentence),
        "values": {k: plain(v) for k, v in sentence.values.items()},
    }


def _times(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _times(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_times(v) for v in data]
    if isinstance(data, datetime):
        return wire(data)
    if isinstance(data, date):
        return data.isoformat()
    return data


def loyalty_json(view: LoyaltyView) -> dict[str, Any]:
    programs = []
    for p in view.programs:
        programs.append(
            {
                **_times(asdict(p)),
                "outstanding": p.outstanding,
                "liability": p.liability,
                "balance_check": p.balance_check,
            }
        )
    return {
        "period": _period(view.period),
        "outstanding": view.outstanding,
        "liability": view.liability,
        "programs": programs,
    }


def _member(m: MemberToCall) -> dict[str, Any]:
    return _times(asdict(m))  # type: ignore[no-any-return]


def at_risk_json(view: AtRiskView) -> dict[str, Any]:
    return {
        "computed_at": wire(view.computed_at),
        "horizon_days": view.horizon_days,
        "scored": view.scored,
        "clv": view.clv,
        "value_at_risk": view.value_at_risk,
        "lost": view.lost,
        "lost_past_value": view.lost_past_value,
        "at_risk": [_member(m) for m in view.at_risk],
        "recently_lost": [_member(m) for m in view.recently_lost],
    }


def cases_json(view: CasesView) -> dict[str, Any]:
    return {
        "now": wire(view.now),
        "open": view.open,
        "overdue": view.overdue,
        "oldest_due": wire(view.oldest_due),
        "opened": view.opened,
        "closed": view.closed,
        "by_store": [_times(asdict(s)) for s in view.stores],
    }


def briefing_json(briefing: Briefing, formatter: Formatter) -> dict[str, Any]:
    """The whole briefing as JSON-ready data (see the module's docstring)."""
    data = report_json(briefing.report)
    moved = briefing.movements
    summary = briefing.summary
    data["language"] = formatter.language
    data["period"] = {"current": _period(briefing.current), "previous": _period(briefing.previous)}
    data["summary"] = {
        "period": sentence_json(summary.period, formatter),
        **{
            heading.rsplit(".", 1)[-1]: [sentence_json(s, formatter) for s in sentences]
            for heading, sentences in summary.parts()
        },
    }
    data["movements"] = {
        "nps": {
            "before": moved.nps.before._asdict(),
            "after": moved.nps.after._asdict(),
            "change": _change(moved.nps.change),
        },
        "average_check": _change(moved.average_check),
        "returning": _change(moved.returning),
    }
    data["loyalty"] = None if briefing.loyalty is None else loyalty_json(briefing.loyalty)
    data["at_risk"] = None if briefing.at_risk is None else at_risk_json(briefing.at_risk)
    data["churn"] = None if briefing.churn is None else churn_json(briefing.churn)
    data["cases"] = None if briefing.cases is None else cases_json(briefing.cases)
    return report_json({"x": data})["x"]  # type: ignore[no-any-return]
