"""The members to call: who is drifting away, what they are worth, where they shop.

Two lists from the stored scores (``regulars scores compute``; see
:mod:`regulars.services.scores` for the definitions): **at risk**, ranked by value at risk
(lifetime value over the horizon × the chance the member is already lost), and **lost**
(P(alive) below 0.05, last purchase within the horizon), ranked by what they spent to date.
Each row names the member, their id, their home store and their last purchase — never a
phone number or an address: a report file travels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regulars.domain.times import as_utc
from regulars.services.briefing.values import (
    MISSING,
    Column,
    Count,
    Moment,
    Money,
    Name,
    Percent,
    Table,
)
from regulars.services.scores import LOST_BELOW
from regulars.store import scores as score_store
from regulars.store.reads import at_risk as risk_reads
from regulars.store.unit_of_work import UnitOfWork

DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class MemberToCall:
    member: str
    """The business's member id."""
    name: str | None
    home_store: str | None
    value_at_risk: int
    clv: int
    past_value: int | None
    """Net spend to date (the lost list)."""
    probability_alive: float
    last_purchase: datetime | None
    expected_loss_at: datetime | None


@dataclass(frozen=True)
class AtRiskView:
    computed_at: datetime
    horizon_days: int
    scored: int
    clv: int
    value_at_risk: int
    lost: int
    lost_past_value: int
    at_risk: tuple[MemberToCall, ...]
    recently_lost: tuple[MemberToCall, ...]

    @property
    def listed_value_at_risk(self) -> int:
        return sum(m.value_at_risk for m in self.at_risk)


def _member(row: dict[str, Any], where: dict[str, dict[str, Any]]) -> MemberToCall:
    found = where.get(row["member"], {})
    last = found.get("last_purchase")
    return MemberToCall(
        member=row["member"],
        name=row.get("name"),
        home_store=found.get("home_store") or found.get("home_store_code"),
        value_at_risk=int(row["value_at_risk"]),
        clv=int(row["clv"]),
        past_value=None if row.get("past_value") is None else int(row["past_value"]),
        probability_alive=float(row["probability_alive"]),
        last_purchase=None if last is None else as_utc(last),
        expected_loss_at=None
        if row.get("expected_loss_at") is None
        else as_utc(row["expected_loss_at"]),
    )


def at_risk_view(uow: UnitOfWork, limit: int = DEFAULT_LIMIT) -> AtRiskView | None:
    """The at-risk and lost lists (``limit`` members each) with the totals over every
    scored member; None when no member has been scored yet."""
    connection = uow.connection
    totals = risk_reads.risk_totals(connection, LOST_BELOW)
    if not totals["scored"]:
        return None
    ranked = score_store.at_risk(connection, max(1, limit))
    lost = score_store.lost(connection, max(1, limit), LOST_BELOW, None)
    where = risk_reads.where_and_when(connection, [r["member"] for r in [*ranked, *lost]])
    return AtRiskView(
        computed_at=as_utc(totals["computed_at"]),
        horizon_days=int(totals["horizon_days"]),
        scored=totals["scored"],
        clv=totals["clv"],
        value_at_risk=totals["value_at_risk"],
        lost=totals["lost"],
        lost_past_value=totals["lost_past_value"],
        at_risk=tuple(_member(r, where) for r in ranked),
        recently_lost=tuple(_member(r, where) for r in lost),
    )


def members_table(members: tuple[MemberToCall, ...], *, lost: bool = False) -> Table:
    """The members to call: name, id, home store, what they are worth, P(alive), last
    purchase (for the lost: what they spent to date instead of the value at risk)."""
    worth = (
        Column("column.past_value", field="past_value")
        if lost
        else Column("column.value_at_risk", field="value_at_risk")
    )
    columns = (
        Column("column.rank", field="rank"),
        Column("column.member_name", text=True, field="name"),
        Column("column.member_id", text=True, field="member"),
        Column("column.home_store", text=True, field="home_store"),
        worth,
        Column("column.clv", field="clv"),
        Column("column.p_alive", field="probability_alive"),
        Column("column.last_purchase", field="last_purchase"),
    )
    rows = tuple(
        (
            Count(i),
            Name(m.name) if m.name else MISSING,
            Name(m.member),
            Name(m.home_store) if m.home_store else MISSING,
            Money(m.past_value or 0) if lost else Money(m.value_at_risk),
            Money(m.clv),
            Percent(100 * m.probability_alive),
            Moment(m.last_purchase) if m.last_purchase else MISSING,
        )
        for i, m in enumerate(members, start=1)
    )
    return Table(columns, rows)
