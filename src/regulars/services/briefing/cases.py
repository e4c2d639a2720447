"""The detractors' follow-up cases: how many are open, how many overdue, per store.

A detractor's answer opens a case (:mod:`regulars.services.feedback.cases`); a case is
*open* until resolved or closed, and *overdue* once open past its due time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from regulars.domain.times import as_utc
from regulars.services.briefing.periods import Period
from regulars.services.briefing.values import MISSING, Column, Count, Moment, Name, Table, Term
from regulars.store.reads import case_counts
from regulars.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class StoreCases:
    store: str | None
    """The store's name (its code when it has none; None: cases without a store)."""
    open: int
    overdue: int
    oldest_due: datetime | None
    opened: int
    closed: int
    code: str | None = None
    """The store's code (None: cases without a store)."""


@dataclass(frozen=True)
class CasesView:
    now: datetime
    period: Period
    stores: tuple[StoreCases, ...]

    @property
    def open(self) -> int:
        return sum(s.open for s in self.stores)

    @property
    def overdue(self) -> int:
        return sum(s.overdue for s in self.stores)

    @property
    def opened(self) -> int:
        return sum(s.opened for s in self.stores)

    @property
    def closed(self) -> int:
        return sum(s.closed for s in self.stores)

    @property
    def oldest_due(self) -> datetime | None:
        dues = [s.oldest_due for s in self.stores if s.oldest_due is not None]
        return min(dues) if dues else None


def cases_view(uow: UnitOfWork, now: datetime, period: Period) -> CasesView:
    """Cases open and overdue at ``now``, opened and closed in ``period``, per store (the
    stores with the most overdue first)."""
    rows = case_counts.case_counts(uow.connection, now, period.start, period.end)
    stores = [
        StoreCases(
            store=r["store"] or r["store_code"],
            open=r["open"],
            overdue=r["overdue"],
            oldest_due=None if r["oldest_due"] is None else as_utc(r["oldest_due"]),
            opened=r["opened"],
            closed=r["closed"],
            code=r["store_code"],
        )
        for r in rows
    ]
    stores.sort(key=lambda s: (-s.overdue, -s.open, s.store or "\uffff"))
    return CasesView(as_utc(now), period, tuple(stores))


def of_store(view: CasesView, code: str | None) -> CasesView:
    """The view of one store's cases (its code; None: every store's), for a viewer whose
    scope is that store."""
    if code is None:
        return view
    return replace(view, stores=tuple(s for s in view.stores if s.code == code))


def stores_table(view: CasesView) -> Table:
    """Per store: open, overdue (and since when), opened and closed in the period."""
    return Table(
        (
            Column("column.store", text=True, field="store"),
            Column("column.cases_open", field="open"),
            Column("column.cases_overdue", field="overdue"),
            Column("column.oldest_due", field="oldest_due"),
            Column("column.cases_opened", field="opened"),
            Column("column.cases_closed", field="closed"),
        ),
        tuple(
            (
                Name(s.store) if s.store else Term("word.no_store"),
                Count(s.open),
                Count(s.overdue),
                Moment(s.oldest_due) if s.oldest_due else MISSING,
                Count(s.opened),
                Count(s.closed),
            )
            for s in view.stores
        ),
    )
