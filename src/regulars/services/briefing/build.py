"""The briefing, computed once: every view the report page and the staff console show.

:func:`briefing` reads the store and returns a :class:`Briefing` — the analytics report's
sections (:func:`regulars.analytics.report.compute_report`), what moved this period
(:mod:`~regulars.services.briefing.periods`), the loyalty programs' figures
(:mod:`~regulars.services.briefing.loyalty`), the members to call
(:mod:`~regulars.services.briefing.at_risk`), the follow-up cases
(:mod:`~regulars.services.briefing.cases`), the executive summary in sentences
(:mod:`~regulars.services.briefing.summary`) and the sections as tables with names for
codes (:mod:`~regulars.services.briefing.sections`). :func:`compose` does the same from
inputs already read, which is how ``bench/bench_report.py`` runs it over DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from regulars.analytics.report import ReportOptions, compute_report
from regulars.domain.bounds import DATE_MAX, DATE_MIN, DATE_RANGE
from regulars.services.analytics import load_inputs
from regulars.services.briefing.at_risk import DEFAULT_LIMIT, AtRiskView, at_risk_view
from regulars.services.briefing.cases import CasesView, cases_view
from regulars.services.briefing.churn import ChurnView, churn_view
from regulars.services.briefing.loyalty import LoyaltyView, loyalty_view
from regulars.services.briefing.periods import Movements, Period, movements, periods_ending
from regulars.services.briefing.sections import (
    CUSTOMERS,
    FEEDBACK,
    Names,
    SectionView,
    section_views,
)
from regulars.services.briefing.summary import Summary, executive_summary
from regulars.services.errors import Invalid
from regulars.store.reads import names as name_reads
from regulars.store.reads.purchase_windows import sales_in_windows
from regulars.store.unit_of_work import UnitOfWork

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class BriefingOptions:
    """The analytics options, the length of a period (days) and how many members each
    at-risk list names."""

    report: ReportOptions = field(default_factory=ReportOptions)
    period_days: int = DEFAULT_PERIOD_DAYS
    at_risk_limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class Briefing:
    as_of: date
    generated_at: datetime
    timezone: str
    previous: Period
    current: Period
    report: dict[str, Any]
    """The analytics sections as :func:`compute_report` returns them (frames and dicts)."""
    names: Names
    movements: Movements
    summary: Summary
    loyalty: LoyaltyView | None
    at_risk: AtRiskView | None
    cases: CasesView | None
    feedback: tuple[SectionView, ...]
    customers: tuple[SectionView, ...]
    churn: ChurnView | None = None
    """The subscribers' churn section (None: the store holds no subscriptions)."""

    @property
    def empty(self) -> bool:
        """Nothing to brief on: no purchases, no survey answers and no subscriptions yet."""
        meta = self.report.get("meta") or {}
        return not meta.get("buyers") and not meta.get("responses") and self.churn is None

    def section(self, name: str) -> SectionView | None:
        return next((s for s in (*self.feedback, *self.customers) if s.name == name), None)


def compose(
    report: dict[str, Any],
    answers: pd.DataFrame,
    sales: pd.DataFrame,
    summary: pd.DataFrame,
    previous: Period,
    current: Period,
    *,
    as_of: date,
    now: datetime,
    timezone: str,
    names: Names | None = None,
    loyalty: LoyaltyView | None = None,
    at_risk: AtRiskView | None = None,
    cases: CasesView | None = None,
    churn: ChurnView | None = None,
) -> Briefing:
    """The briefing from what was read: the report's sections, the answers, the period
    sales (:func:`~regulars.store.reads.purchase_windows.sales_in_windows`), the member
    summary, and the views read from the store (None where the source has none)."""
    named: Mapping[str, Mapping[str, str]] = names or {}
    first_sales = (
        summary.set_index("member_id")["first_purchase"]
        if not summary.empty
        else pd.Series(dtype="datetime64[ns, UTC]")
    )
    moved = movements(answers, sales, first_sales, previous, current)
    return Briefing(
        as_of=as_of,
        generated_at=now,
        timezone=timezone,
        previous=previous,
        current=current,
        report=report,
        names=named,
        movements=moved,
        summary=executive_summary(
            report, moved, at_risk, cases, loyalty, churn, sells=bool(first_sales.notna().any())
        ),
        loyalty=loyalty,
        at_risk=at_risk,
        cases=cases,
        feedback=section_views(report, named, FEEDBACK),
        customers=section_views(report, named, CUSTOMERS),
        churn=churn,
    )


def briefing(
    uow: UnitOfWork,
    now: datetime,
    *,
    timezone: str,
    as_of: date | None = None,
    options: BriefingOptions | None = None,
) -> Briefing:
    """Every view, from the store (``as_of``: default the day of the latest purchase)."""
    options = options or BriefingOptions()
    if as_of is not None and not DATE_MIN <= as_of <= DATE_MAX:
        raise Invalid(f"as_of must be within {DATE_RANGE}, not {as_of.isoformat()}")
    if not 1 <= options.period_days <= MAX_PERIOD_DAYS:
        raise Invalid(f"a period lasts 1 to {MAX_PERIOD_DAYS} days, not {options.period_days}")
    inputs = load_inputs(uow, as_of)
    report = compute_report(
        inputs.members,
        inputs.summary,
        inputs.months,
        inputs.answers,
        inputs.as_of,
        options.report,
        clv=inputs.clv,
    )
    previous, current = periods_ending(inputs.as_of, options.period_days, timezone)
    sales = sales_in_windows(
        uow.connection, uow.dialect, previous.start, current.start, current.end
    )
    return compose(
        report,
        inputs.answers,
        sales,
        inputs.summary,
        previous,
        current,
        as_of=inputs.as_of,
        now=now,
        timezone=timezone,
        names=name_reads.names(uow.connection),
        loyalty=loyalty_view(uow, current),
        at_risk=at_risk_view(uow, options.at_risk_limit),
        cases=cases_view(uow, now, current),
        churn=churn_view(uow, inputs.as_of, timezone),
    )
