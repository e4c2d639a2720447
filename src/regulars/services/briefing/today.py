"""A glance at today: the briefing's figures that need no analytics report.

The staff console's *Today* page shows the NPS with its interval and whether it moved, new
detractors' cases and the overdue ones, the members at risk and their value, the points
liability — the same views and sentences as the report (:mod:`.periods`, :mod:`.moved`,
:mod:`.cases`, :mod:`.at_risk`, :mod:`.loyalty`, :mod:`.summary`), read straight from the
store for the period ending today: the answers of the two periods, their sales, and the
first sale of the members who bought in them — no member summary, no model, a few indexed
queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from regulars.services.briefing.at_risk import DEFAULT_LIMIT, AtRiskView, at_risk_view
from regulars.services.briefing.cases import CasesView, cases_view
from regulars.services.briefing.loyalty import LoyaltyView, loyalty_view
from regulars.services.briefing.moved import check_sentence, nps_sentences, returning_sentence
from regulars.services.briefing.periods import Movements, movements, periods_ending
from regulars.services.briefing.summary import case_sentences, program_sentences, save_sentences
from regulars.services.briefing.values import Sentence
from regulars.store.feedback.answers import answers_frame
from regulars.store.reads.purchase_windows import first_sales, sales_in_windows
from regulars.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Today:
    movements: Movements
    cases: CasesView
    at_risk: AtRiskView | None
    loyalty: LoyaltyView
    moved: tuple[Sentence, ...]
    save: tuple[Sentence, ...]
    follow_up: tuple[Sentence, ...]
    program: tuple[Sentence, ...]


def today(
    uow: UnitOfWork,
    now: datetime,
    *,
    timezone: str,
    days: int = 30,
    at_risk_limit: int = DEFAULT_LIMIT,
) -> Today:
    """The period of ``days`` days ending today (in ``timezone``) against the one before."""
    previous, current = periods_ending(now.astimezone(ZoneInfo(timezone)).date(), days, timezone)
    connection = uow.connection
    answers = answers_frame(connection, since=previous.start, until=current.end)
    sales = sales_in_windows(connection, uow.dialect, previous.start, current.start, current.end)
    buyers = sales["member_id"].dropna().unique()
    moved = movements(answers, sales, first_sales(connection, buyers), previous, current)
    cases = cases_view(uow, now, current)
    at_risk = at_risk_view(uow, at_risk_limit)
    loyalty = loyalty_view(uow, current)
    return Today(
        movements=moved,
        cases=cases,
        at_risk=at_risk,
        loyalty=loyalty,
        moved=(*nps_sentences(moved, {}), check_sentence(moved), returning_sentence(moved)),
        save=tuple(save_sentences(at_risk)),
        follow_up=tuple(case_sentences(cases)),
        program=tuple(program_sentences(loyalty)),
    )
