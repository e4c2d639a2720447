"""The executive summary: what an owner reads first, in sentences.

Four questions, each answered by a few :class:`~regulars.services.briefing.values.Sentence`
(a catalogue key and typed values; the words are in ``catalogues/``):

- **what moved** this period against the one before — the NPS, the average check, returning
  customers — and whether each change is *significant*: a sentence says "rose" or "fell"
  only when the period's test rejects "no change" at 5 %; otherwise it says the change is
  within the margin (:mod:`regulars.services.briefing.moved`);
- **what to fix first**: the driver matrix's fix-first order in words (the first driver that
  is important and rated low), and what detractors say most;
- **who to save** and what they are worth: the value at risk, the members to call first, the
  recently lost;
- the **follow-up cases** open and overdue, and the **loyalty program's** liability;
- with subscriptions, the churn section's **factor to fix first** and **whom to call**: first
  of all for a store that only has contracts (no sales, no program: those lines are left out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from regulars.services.briefing.at_risk import AtRiskView
from regulars.services.briefing.cases import CasesView
from regulars.services.briefing.churn import ChurnView
from regulars.services.briefing.churn_page import call_sentence, fix_first_sentence
from regulars.services.briefing.loyalty import LoyaltyView
from regulars.services.briefing.moved import check_sentence, nps_sentences, returning_sentence
from regulars.services.briefing.periods import Movements
from regulars.services.briefing.values import (
    Count,
    Day,
    Listing,
    Moment,
    Money,
    Name,
    Percent,
    Points,
    Quotes,
    Rating,
    Score,
    Sentence,
    Term,
)

TOP_NAMES = 3


@dataclass(frozen=True)
class Summary:
    period: Sentence
    moved: tuple[Sentence, ...]
    fix_first: tuple[Sentence, ...]
    save: tuple[Sentence, ...]
    cases: tuple[Sentence, ...]
    program: tuple[Sentence, ...]
    churn: tuple[Sentence, ...] = ()
    """The churn section's fix first and whom to call (empty without subscriptions)."""
    subscriptions_only: bool = False
    """A store of contracts that sells nothing: the churn sentences lead."""

    def parts(self) -> tuple[tuple[str, tuple[Sentence, ...]], ...]:
        """The groups under their catalogue headings, in reading order."""
        churn = ("summary.heading.churn", self.churn)
        rest = (
            ("summary.heading.moved", self.moved),
            ("summary.heading.fix_first", self.fix_first),
            ("summary.heading.save", self.save),
            ("summary.heading.cases", self.cases),
            ("summary.heading.program", self.program),
        )
        if self.subscriptions_only:
            return (churn, *rest)
        return (*rest[:2], churn, *rest[2:])


def fix_sentences(report: Mapping[str, Any]) -> list[Sentence]:
    """The fix-first order in words, then what detractors say most."""
    found: list[Sentence] = []
    drivers = report.get("drivers")
    if not isinstance(drivers, pd.DataFrame) or drivers.empty:
        found.append(Sentence("summary.fix.no_drivers"))
    else:
        ordered = drivers.sort_values("fix_rank")
        culprits = ordered[ordered["quadrant"] == "concentrate here"]
        if culprits.empty:
            best = ordered.sort_values("share", ascending=False).iloc[0]
            found.append(
                Sentence(
                    "summary.fix.none_low",
                    {
                        "driver": Term(f"driver.{best['driver']}"),
                        "satisfaction": Rating(float(best["satisfaction"])),
                    },
                )
            )
        else:
            first = culprits.iloc[0]
            found.append(
                Sentence(
                    "summary.fix.first",
                    {
                        "driver": Term(f"driver.{first['driver']}"),
                        "satisfaction": Rating(float(first["satisfaction"])),
                        "share": Percent(float(first["share"])),
                    },
                )
            )
            if len(culprits) > 1:
                then = culprits.iloc[1]
                found.append(
                    Sentence(
                        "summary.fix.then",
                        {
                            "driver": Term(f"driver.{then['driver']}"),
                            "satisfaction": Rating(float(then["satisfaction"])),
                        },
                    )
                )
            keep = ordered[ordered["quadrant"] == "keep up the good work"]
            if not keep.empty:
                strength = keep.sort_values("share", ascending=False).iloc[0]
                found.append(
                    Sentence(
                        "summary.fix.keep",
                        {
                            "driver": Term(f"driver.{strength['driver']}"),
                            "satisfaction": Rating(float(strength["satisfaction"])),
                        },
                    )
                )
    themes = report.get("themes")
    if isinstance(themes, pd.DataFrame) and not themes.empty and "z" in themes:
        top = themes.sort_values("z", ascending=False).iloc[0]
        examples = top.get("examples")
        quote = (
            tuple(str(e) for e in list(examples)[:1])
            if examples is not None and len(examples)
            else ()
        )
        found.append(
            Sentence(
                "summary.fix.theme" if quote else "summary.fix.theme_no_quote",
                {
                    "term": Name(str(top["term"])),
                    "detractors": Count(int(top["detractors"])),
                    "impact": Score(float(top["impact"])),
                    "quote": Quotes(quote),
                },
            )
        )
    return found


def _listing(members: tuple[Any, ...], amount: str) -> Listing:
    return Listing(
        tuple(
            (Name(m.name or m.member), Money(getattr(m, amount) or 0)) for m in members[:TOP_NAMES]
        )
    )


def save_sentences(view: AtRiskView | None) -> list[Sentence]:
    if view is None:
        return [Sentence("summary.save.no_scores")]
    found = [
        Sentence(
            "summary.save.value_at_risk",
            {
                "value": Money(view.value_at_risk),
                "clv": Money(view.clv),
                "scored": Count(view.scored),
                "horizon": Count(view.horizon_days),
                "computed": Moment(view.computed_at),
            },
        )
    ]
    callable_first = tuple(m for m in view.at_risk if m.value_at_risk > 0)
    if callable_first:
        found.append(
            Sentence(
                "summary.save.call_first",
                {
                    "members": _listing(callable_first, "value_at_risk"),
                    "listed": Count(len(view.at_risk)),
                },
            )
        )
    if view.lost:
        found.append(
            Sentence(
                "summary.save.lost",
                {
                    "lost": Count(view.lost),
                    "past": Money(view.lost_past_value),
                    "members": _listing(view.recently_lost, "past_value"),
                },
            )
        )
    else:
        found.append(Sentence("summary.save.none_lost"))
    return found


def case_sentences(view: CasesView | None) -> list[Sentence]:
    if view is None or not view.stores:
        return [Sentence("summary.cases.none")]
    days = Count(view.period.days)
    found: list[Sentence] = []
    if view.open == 0:
        found.append(Sentence("summary.cases.all_closed"))
    elif view.overdue == 0:
        found.append(Sentence("summary.cases.open_on_time", {"open": Count(view.open)}))
    else:
        oldest = view.oldest_due
        found.append(
            Sentence(
                "summary.cases.overdue",
                {
                    "open": Count(view.open),
                    "overdue": Count(view.overdue),
                    "oldest": Moment(oldest) if oldest else Day(view.period.last_day),
                },
            )
        )
        worst = max(view.stores, key=lambda s: s.overdue)
        if worst.store and len([s for s in view.stores if s.overdue]) > 1:
            found.append(
                Sentence(
                    "summary.cases.worst_store",
                    {"store": Name(worst.store), "overdue": Count(worst.overdue)},
                )
            )
    found.append(
        Sentence(
            "summary.cases.period",
            {"opened": Count(view.opened), "closed": Count(view.closed), "days": days},
        )
    )
    return found


def program_sentences(view: LoyaltyView | None) -> list[Sentence]:
    if view is None or not view.programs:
        return [Sentence("summary.program.none")]
    days = Count(view.period.days)
    found = []
    pointed = [p for p in view.programs if p.point_value is not None]
    if pointed:
        found.append(
            Sentence(
                "summary.program.liability",
                {
                    "points": Points(sum(p.outstanding for p in pointed)),
                    "money": Money(view.liability),
                    "accounts": Count(sum(p.accounts for p in pointed)),
                },
            )
        )
        found.append(
            Sentence(
                "summary.program.period",
                {
                    "earned": Points(view.earned_in_period),
                    "redeemed": Points(view.redeemed_in_period),
                    "expired": Points(view.expired_in_period),
                    "days": days,
                },
            )
        )
    vouchers = [p.vouchers for p in view.programs if p.vouchers.issued]
    if vouchers:
        found.append(
            Sentence(
                "summary.program.vouchers",
                {
                    "issued": Count(sum(v.issued_in_period for v in vouchers)),
                    "used": Count(sum(v.used_in_period for v in vouchers)),
                    "open": Count(sum(v.open for v in vouchers)),
                    "days": days,
                },
            )
        )
    if not found:
        found.append(Sentence("summary.program.no_points", {"programs": Count(len(view.programs))}))
    return found


def executive_summary(
    report: Mapping[str, Any],
    movements: Movements,
    at_risk: AtRiskView | None,
    cases: CasesView | None,
    loyalty: LoyaltyView | None,
    churn: ChurnView | None = None,
    *,
    sells: bool = True,
) -> Summary:
    """The summary's sentences. A store with contracts that ``sells`` nothing leads with
    the churn sentences and leaves out what only a shop has: the period's sales and
    returning buyers, the members' purchase scores, the loyalty program (when none is
    installed)."""
    current, previous = movements.current, movements.previous
    period = Sentence(
        "summary.period",
        {
            "days": Count(current.days),
            "first": Day(current.first_day),
            "last": Day(current.last_day),
            "previous_first": Day(previous.first_day),
            "previous_last": Day(previous.last_day),
        },
    )
    overall = report.get("nps") if isinstance(report.get("nps"), Mapping) else {}
    only = churn is not None and not sells
    moved = [*nps_sentences(movements, overall or {})]
    if not only:
        moved += [check_sentence(movements), returning_sentence(movements)]
    installed = loyalty is not None and bool(loyalty.programs)
    return Summary(
        period,
        tuple(moved),
        tuple(fix_sentences(report)),
        () if only and at_risk is None else tuple(save_sentences(at_risk)),
        tuple(case_sentences(cases)),
        () if only and not installed else tuple(program_sentences(loyalty)),
        churn=() if churn is None else (fix_first_sentence(churn.fix_first), call_sentence(churn)),
        subscriptions_only=only,
    )
