"""The loyalty programs' view: points earned, redeemed, expired and still owed; tiers;
vouchers — per program, from the ledger (:mod:`regulars.store.reads.loyalty_ledger`).

Points are counted from the ledger's transactions: *earned* are earnings and bonuses,
*taken back* what refunds and returns reversed, *redeemed* what members spent, *expired*
what lapsed, *adjusted* the hand corrections (in and out). *Outstanding* are the points the
program owes now (available + pending within the return window), its **liability** in money
at the program's point value (``redeem.point_value``, 1 by default). By double entry,
everything moved adds up to the balances: earned - taken back - redeemed - expired +
adjusted = available + pending - debt (``balance_check``: 0 on a sound ledger; ``regulars
ledger verify`` checks each account).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from regulars.domain.loyalty.programs import Program, ProgramError, parse_program
from regulars.services.briefing.periods import Period
from regulars.services.briefing.values import (
    MISSING,
    Column,
    Count,
    Money,
    Name,
    Points,
    Table,
    Term,
    Value,
)
from regulars.store.loyalty import programs as program_store
from regulars.store.reads import loyalty_ledger
from regulars.store.unit_of_work import UnitOfWork

EARNED = ("earn", "bonus")


@dataclass(frozen=True)
class PointsMoved:
    earned: int
    taken_back: int
    redeemed: int
    expired: int
    adjusted_in: int
    adjusted_out: int

    @property
    def net(self) -> int:
        return (
            self.earned
            - self.taken_back
            - self.redeemed
            - self.expired
            + self.adjusted_in
            - self.adjusted_out
        )


@dataclass(frozen=True)
class Vouchers:
    issued: int
    open: int
    used: int
    expired: int
    revoked: int
    issued_in_period: int
    used_in_period: int
    expired_in_period: int


@dataclass(frozen=True)
class TierCount:
    code: str | None
    name: str | None
    members: int


@dataclass(frozen=True)
class ProgramFigures:
    """One program: what it is, its points (ever and in the period), balances, tiers,
    vouchers. Every number is an integer: points, members, or minor units for money."""

    code: str
    name: str
    kind: str
    active: bool
    point_value: int | None
    """Minor units a point is worth (points programs only)."""
    accounts: int
    ever: PointsMoved
    in_period: PointsMoved
    available: int
    pending: int
    debt: int
    tiers: tuple[TierCount, ...]
    vouchers: Vouchers

    @property
    def outstanding(self) -> int:
        return self.available + self.pending

    @property
    def liability(self) -> int | None:
        """What the outstanding points are worth, in minor units (None without a value)."""
        return None if self.point_value is None else self.outstanding * self.point_value

    @property
    def balance_check(self) -> int:
        """Everything moved minus what the balances hold: 0 on a sound ledger."""
        return self.ever.net - (self.available + self.pending - self.debt)


@dataclass(frozen=True)
class LoyaltyView:
    period: Period
    programs: tuple[ProgramFigures, ...]

    @property
    def outstanding(self) -> int:
        return sum(p.outstanding for p in self.programs)

    @property
    def liability(self) -> int:
        return sum(p.liability or 0 for p in self.programs)

    @property
    def expired_in_period(self) -> int:
        return sum(p.in_period.expired for p in self.programs)

    @property
    def redeemed_in_period(self) -> int:
        return sum(p.in_period.redeemed for p in self.programs)

    @property
    def earned_in_period(self) -> int:
        return sum(p.in_period.earned for p in self.programs)


def _moved(rows: list[dict[str, Any]], suffix: str) -> PointsMoved:
    def total(kinds: tuple[str, ...], column: str) -> int:
        return sum(r[column + suffix] for r in rows if r["kind"] in kinds)

    return PointsMoved(
        earned=total(EARNED, "added"),
        taken_back=-total(("reverse",), "taken"),
        redeemed=-total(("redeem",), "taken"),
        expired=-total(("expire",), "taken"),
        adjusted_in=total(("adjust",), "added"),
        adjusted_out=-total(("adjust",), "taken"),
    )


def _program(definition: str) -> Program | None:
    try:
        return parse_program(json.loads(definition))
    except (ProgramError, ValueError):
        return None


def loyalty_view(uow: UnitOfWork, period: Period) -> LoyaltyView:
    """Every program the store holds (active or not), with its figures."""
    connection = uow.connection
    moved = loyalty_ledger.points_moved(connection, period.start, period.end)
    balances = {r["program_id"]: r for r in loyalty_ledger.balances(connection)}
    tiers = loyalty_ledger.tier_counts(connection)
    vouchers = {
        r["program_id"]: r
        for r in loyalty_ledger.voucher_counts(connection, period.start, period.end)
    }
    programs = []
    for row in program_store.programs(connection, active_only=False):
        program = _program(row["definition"])
        pid = row["id"]
        own = [r for r in moved if r["program_id"] == pid]
        tier_names = (
            {t.code: t.name for t in program.tiers.tiers} if program and program.tiers else {}
        )
        tier_order = list(tier_names)
        counts = sorted(
            (
                TierCount(t["tier"], tier_names.get(t["tier"]), t["members"])
                for t in tiers
                if t["program_id"] == pid
            ),
            key=lambda t: (
                t.code is None,
                tier_order.index(t.code) if t.code in tier_order else len(tier_order),
                t.code or "",
            ),
        )
        balance = balances.get(pid, {})
        v = vouchers.get(pid, {})
        programs.append(
            ProgramFigures(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                active=bool(row["active"]),
                point_value=program.points.point_value if program and program.points else None,
                accounts=int(balance.get("accounts", 0)),
                ever=_moved(own, ""),
                in_period=_moved(own, "_in_period"),
                available=int(balance.get("available", 0)),
                pending=int(balance.get("pending", 0)),
                debt=int(balance.get("debt", 0)),
                tiers=tuple(counts) if any(t.code for t in counts) else (),
                vouchers=Vouchers(
                    **{
                        name: int(v.get(name, 0))
                        for name in (
                            "issued",
                            "open",
                            "used",
                            "expired",
                            "revoked",
                            "issued_in_period",
                            "used_in_period",
                            "expired_in_period",
                        )
                    }
                ),
            )
        )
    return LoyaltyView(period, tuple(programs))


def points_table(program: ProgramFigures) -> Table:
    """Points moved by kind: in the period and ever."""
    rows = []
    for key in ("earned", "taken_back", "redeemed", "expired", "adjusted_in", "adjusted_out"):
        period, ever = getattr(program.in_period, key), getattr(program.ever, key)
        if key.startswith("adjusted") and not (period or ever):
            continue
        rows.append((Term(f"points.{key}"), Points(period), Points(ever)))
    return Table(
        (
            Column("column.points_kind", text=True, field="kind"),
            Column("column.in_period", field="in_period"),
            Column("column.ever", field="ever"),
        ),
        tuple(rows),
    )


def balance_facts(program: ProgramFigures) -> tuple[tuple[str, Value], ...]:
    """What the program owes now, in points and (at its point value) in money."""
    facts: list[tuple[str, Value]] = [("fact.accounts", Count(program.accounts))]
    if program.point_value is None and not program.outstanding and not program.ever.earned:
        return tuple(facts)  # a discount or stamp card: no points
    facts += [
        ("fact.available", Points(program.available)),
        ("fact.pending", Points(program.pending)),
        ("fact.outstanding", Points(program.outstanding)),
    ]
    if program.debt:
        facts.append(("fact.debt", Points(program.debt)))
    if program.point_value is not None:
        facts += [
            ("fact.point_value", Money(program.point_value)),
            ("fact.liability", Money(program.liability or 0)),
        ]
    return tuple(facts)


def tiers_table(program: ProgramFigures) -> Table:
    return Table(
        (Column("column.tier", text=True, field="tier"), Column("column.members", field="members")),
        tuple(
            (Name(t.name or t.code) if t.code else Term("word.no_tier"), Count(t.members))
            for t in program.tiers
        ),
    )


def vouchers_table(program: ProgramFigures) -> Table:
    v = program.vouchers
    rows = (
        (Term("vouchers.issued"), Count(v.issued_in_period), Count(v.issued)),
        (Term("vouchers.used"), Count(v.used_in_period), Count(v.used)),
        (Term("vouchers.expired"), Count(v.expired_in_period), Count(v.expired)),
        (Term("vouchers.open"), MISSING, Count(v.open)),
        (Term("vouchers.revoked"), MISSING, Count(v.revoked)),
    )
    return Table(
        (
            Column("column.vouchers", text=True, field="kind"),
            Column("column.in_period", field="in_period"),
            Column("column.ever", field="ever"),
        ),
        rows,
    )
