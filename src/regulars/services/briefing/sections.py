"""The analytics report's sections as views: a human title, chosen columns, typed cells.

:func:`section_views` turns each section of :func:`regulars.analytics.report.compute_report`
(data frames and small dicts) into a :class:`SectionView`: a catalogue key for its title and
note, a :class:`~regulars.services.briefing.values.Table` (store, department and employee
codes shown as names) or facts. Which section belongs to which part of the page is
:data:`FEEDBACK` and :data:`CUSTOMERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from regulars.services.briefing.tables import (
    Cell,
    Spec,
    count,
    day,
    money,
    month,
    named,
    number,
    p_value,
    percent,
    quotes,
    rating,
    score,
    signed_percent,
    signed_score,
    table,
    term,
    text,
    yes_no,
)
from regulars.services.briefing.values import (
    MISSING,
    Count,
    Number,
    Percent,
    Range,
    Rating,
    Table,
    Value,
)

Names = Mapping[str, Mapping[str, str]]

FEEDBACK = (
    "nps_by_month",
    "nps_by_week",
    "nps_by_store",
    "nps_by_department",
    "nps_by_employee",
    "nps_by_channel",
    "nps_by_segment",
    "nps_by_region",
    "csat",
    "csat_by_store",
    "csat_by_department",
    "csat_by_employee",
    "csat_by_channel",
    "driver_ratings",
    "drivers",
    "loyalty_index",
    "themes",
    "staff_leaderboard",
    "departments",
)
CUSTOMERS = (
    "average_check",
    "returning_by_month",
    "returning",
    "cohorts",
    "rfm_segments",
    "behaviour",
    "stage_funnel",
    "loyalty_types",
    "wallet_bands",
    "acquisition",
)


@dataclass(frozen=True)
class SectionView:
    """One section: ``title``/``note`` are catalogue keys (``section.<name>.title``)."""

    name: str
    table: Table | None = None
    facts: tuple[tuple[str, Value], ...] = ()

    @property
    def title(self) -> str:
        return f"section.{self.name}.title"

    @property
    def note(self) -> str:
        return f"section.{self.name}.note"


def group_cell(by: str, names: Names) -> tuple[str, Cell, bool]:
    """The heading key and cell of a breakdown's group column (names for codes)."""
    if by in ("store", "department", "employee"):
        return f"column.{by}", named(names.get(by, {})), True
    if by in ("segment", "channel", "driver"):
        return f"column.{by}", term(by), True
    if by == "month":
        return "column.month", month, True
    if by == "week":
        return "column.week", day, True
    return f"column.{by}", text, True


def _nps_specs(by: str, names: Names) -> list[Spec]:
    key, cell, is_text = group_cell(by, names)
    column = "period" if by in ("month", "week") else by
    specs = [
        Spec(column, key, cell, text=is_text),
        Spec("n", "column.answers", count),
        Spec("nps", "column.nps", score),
        Spec(("low", "high"), "column.nps_interval", score, field="interval"),
    ]
    if by in ("month", "week"):
        specs.append(Spec("change_significant", "column.change_significant", yes_no))
    else:
        specs += [
            Spec("vs_rest_p", "column.vs_rest_p", p_value),
            Spec("differs_from_rest", "column.differs_from_rest", yes_no),
        ]
    return specs


def _csat_specs(by: str, names: Names) -> list[Spec]:
    key, cell, is_text = group_cell(by, names)
    return [
        Spec(by, key, cell, text=is_text),
        Spec("n", "column.answers", count),
        Spec("csat", "column.satisfied", percent),
        Spec(
            ("csat_low", "csat_high"), "column.satisfied_interval", percent, field="csat_interval"
        ),
        Spec("mean", "column.mean_rating", rating),
        Spec(("mean_low", "mean_high"), "column.rating_interval", rating, field="mean_interval"),
    ]


def _specs(name: str, frame: pd.DataFrame, names: Names) -> list[Spec]:
    if name.startswith("nps_by_"):
        return _nps_specs(name.removeprefix("nps_by_"), names)
    if name.startswith("csat_by_"):
        return _csat_specs(name.removeprefix("csat_by_"), names)
    if name == "driver_ratings":
        return _csat_specs("driver", names)
    return SPECS[name](frame, names)


def _drivers(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("fix_rank", "column.fix_rank", count),
        Spec("driver", "column.driver", term("driver"), text=True),
        Spec("quadrant", "column.quadrant", term("quadrant"), text=True),
        Spec("share", "column.importance", percent),
        Spec("lmg_share", "column.importance_lmg", percent),
        Spec("satisfaction", "column.satisfaction", rating),
        Spec("stated_importance", "column.stated_importance", rating),
        Spec("n", "column.answers", count),
    ]


def _themes(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("language", "column.language", term("language"), text=True),
        Spec("term", "column.term", text, text=True),
        Spec("detractors", "column.detractors_mentioning", count),
        Spec("promoters", "column.promoters_mentioning", count),
        Spec("z", "column.z", number(1)),
        Spec("impact", "column.impact", signed_score),
        Spec("examples", "column.examples", quotes, text=True),
    ]


def _leaderboard(_: pd.DataFrame, names: Names) -> list[Spec]:
    return [
        Spec("rank", "column.rank", count),
        Spec("employee", "column.employee", named(names.get("employee", {})), text=True),
        Spec("n", "column.answers", count),
        Spec("nps", "column.nps", score),
        Spec(("low", "high"), "column.nps_interval", score, field="interval"),
        Spec("csat", "column.satisfied", percent),
        Spec("eligible", "column.eligible", yes_no),
    ]


def _departments(_: pd.DataFrame, names: Names) -> list[Spec]:
    return [
        Spec("department", "column.department", named(names.get("department", {})), text=True),
        Spec("n", "column.answers", count),
        Spec("nps", "column.nps", score),
        Spec(("low", "high"), "column.nps_interval", score, field="interval"),
        Spec("csat", "column.satisfied", percent),
        Spec(
            ("csat_low", "csat_high"), "column.satisfied_interval", percent, field="csat_interval"
        ),
    ]


def _rfm(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("rfm_segment", "column.rfm_segment", term("rfm"), text=True),
        Spec("members", "column.members", count),
        Spec("share", "column.share_of_members", percent),
        Spec("avg_monetary", "column.avg_spend", money),
        Spec("avg_frequency", "column.avg_purchases", number(1)),
        Spec("avg_recency_days", "column.avg_days_since", number(0)),
    ]


def _average_check(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("period", "column.month", month, text=True),
        Spec("purchases", "column.sales", count),
        Spec("spend", "column.net_spend", money),
        Spec("average_check", "column.average_check", money),
        Spec("growth", "column.growth_month", signed_percent),
        Spec("growth_yoy", "column.growth_year", signed_percent),
    ]


def _returning(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("period", "column.month", month, text=True),
        Spec("customers", "column.buyers", count),
        Spec("returning", "column.returning", count),
        Spec("returning_share", "column.returning_share", percent),
    ]


def _cohorts(frame: pd.DataFrame, __: Names) -> list[Spec]:
    ages = [c for c in frame.columns if c not in ("cohort", "size")]
    return [
        Spec("cohort", "column.cohort", month, text=True),
        Spec("size", "column.cohort_size", count),
        *(
            Spec(age, "column.months_later", percent, n=int(age), field=f"month_{age}")
            for age in ages
        ),
    ]


def _funnel(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("stage", "column.stage", term("stage"), text=True),
        Spec("members", "column.members_at_stage", count),
        Spec("reached", "column.reached", count),
        Spec("without_answers", "column.without_answers", count),
        Spec("conversion", "column.conversion", percent),
    ]


def _types(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("loyalty_type", "column.loyalty_type", term("loyalty_type"), text=True),
        Spec("members", "column.members", count),
        Spec("share_of_answering", "column.share_of_answering", percent),
    ]


def _wallet(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("wallet_band", "column.wallet_band", term("wallet"), text=True),
        Spec("members", "column.members", count),
        Spec("share", "column.share_of_answering", percent),
    ]


def _acquisition(_: pd.DataFrame, __: Names) -> list[Spec]:
    return [
        Spec("acquisition_channel", "column.acquisition_channel", text, text=True),
        Spec("members", "column.members", count),
        Spec("total_cost", "column.total_cost", money),
        Spec("cost_per_member", "column.cost_per_member", money),
        Spec("spend_to_date", "column.spend_per_member", money),
        Spec("clv", "column.clv_per_member", money),
        Spec("spend_to_cost", "column.spend_to_cost", number(1)),
        Spec("clv_to_cost", "column.clv_to_cost", number(1)),
    ]


SPECS = {
    "drivers": _drivers,
    "themes": _themes,
    "staff_leaderboard": _leaderboard,
    "departments": _departments,
    "rfm_segments": _rfm,
    "average_check": _average_check,
    "returning_by_month": _returning,
    "cohorts": _cohorts,
    "stage_funnel": _funnel,
    "loyalty_types": _types,
    "wallet_bands": _wallet,
    "acquisition": _acquisition,
}


def _float(section: Mapping[str, Any], key: str) -> float:
    value = section.get(key)
    return float("nan") if value is None else float(value)


def _facts(name: str, section: Mapping[str, Any]) -> tuple[tuple[str, Value], ...]:
    """The figures of a dict section, each under its catalogue key."""
    if name == "csat":
        return (
            ("fact.answers", Count(int(section["n"]))),
            ("fact.satisfied", Percent(_float(section, "csat"))),
            (
                "fact.satisfied_interval",
                Range(Percent(_float(section, "csat_low")), Percent(_float(section, "csat_high"))),
            ),
            ("fact.mean_rating", Rating(_float(section, "mean"))),
        )
    if name == "loyalty_index":
        return (
            ("fact.answers", Count(int(section["n"]))),
            ("fact.loyalty_index", Number(_float(section, "mean"), 1)),
            (
                "fact.loyalty_index_interval",
                Range(Number(_float(section, "low"), 1), Number(_float(section, "high"), 1)),
            ),
        )
    if name == "returning":
        return (
            ("fact.buyers", Count(int(section["buyers"]))),
            ("fact.returning", Count(int(section["returning"]))),
            ("fact.returning_share", Percent(_float(section, "returning_share"))),
        )
    if name == "behaviour":
        months = int(section.get("window_months") or 0)
        return (
            ("fact.window_months", Count(months)),
            ("fact.mean_constancy", Percent(100 * _float(section, "mean_constancy"))),
            ("fact.repeat_purchases", Count(int(section.get("repeat_purchases") or 0))),
            (
                "fact.median_spend_growth",
                Percent(100 * _float(section, "median_spend_growth"), signed=True),
            ),
            ("fact.mean_categories", Number(_float(section, "mean_categories"), 1)),
            ("fact.cross_buyers_share", Percent(_float(section, "cross_buyers_share"))),
            ("fact.mean_recency_days", Number(_float(section, "mean_recency_days"), 0)),
            ("fact.mean_frequency", Number(_float(section, "mean_frequency"), 1)),
            ("fact.mean_tenure_days", Number(_float(section, "mean_tenure_days"), 0)),
            ("fact.mean_monetary", money(section.get("mean_monetary"))),
        )
    return ()


def section_view(name: str, section: Any, names: Names) -> SectionView | None:
    """The view of one report section; None when it holds nothing to show."""
    if isinstance(section, pd.DataFrame):
        if section.empty:
            return None
        return SectionView(name, table=table(section, _specs(name, section, names)))
    if isinstance(section, Mapping) and section:
        facts = tuple((k, v) for k, v in _facts(name, section) if v is not MISSING)
        return SectionView(name, facts=facts) if facts else None
    return None


def section_views(
    report: Mapping[str, Any], names: Names, wanted: tuple[str, ...]
) -> tuple[SectionView, ...]:
    """The views of the ``wanted`` sections the report has, in that order."""
    views = (section_view(name, report[name], names) for name in wanted if name in report)
    return tuple(v for v in views if v is not None)
