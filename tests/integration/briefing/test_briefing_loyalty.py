"""The loyalty section's figures against the ledger itself (SQLite and PostgreSQL).

The demo coffee chain runs its programs through the real services (accrual, refunds,
vouchers, bonuses, the release/expiry/tier jobs at midnight in Seoul, redemptions), plus two
hand adjustments. Each figure of the view is then recomputed here from the ledger's entries
— by book, in Python, from rows read with their times — and ``regulars ledger verify``
must find the ledger clean. The period boundary falls exactly on the jobs' midnight, where
SQLite's two spellings of a time used to disagree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.cli.demo import load, write_files
from regulars.demo.business import generate
from regulars.demo.loyalty import run_programs
from regulars.domain.times import as_utc
from regulars.services.briefing.loyalty import LoyaltyView, loyalty_view, points_table
from regulars.services.briefing.periods import periods_ending
from regulars.services.loyalty import accounts
from regulars.services.loyalty.verify import verify_ledger
from regulars.store.tables import (
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    loyalty_programs,
    loyalty_rewards,
)

SEOUL = ZoneInfo("Asia/Seoul")


def _ledger(app: App) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    with app.engine.connect() as connection:
        entries = connection.execute(
            select(
                loyalty_programs.c.code,
                ledger_transactions.c.kind,
                ledger_transactions.c.occurred_at,
                ledger_entries.c.book,
                ledger_entries.c.points,
            )
            .join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
            .join(loyalty_accounts, loyalty_accounts.c.id == ledger_entries.c.account_id)
            .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
        ).mappings()
        rewards = connection.execute(
            select(
                loyalty_programs.c.code,
                loyalty_rewards.c.state,
                loyalty_rewards.c.issued_at,
                loyalty_rewards.c.redeemed_at,
            )
            .join(loyalty_accounts, loyalty_accounts.c.id == loyalty_rewards.c.account_id)
            .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
        ).mappings()
        return [dict(r) for r in entries], [dict(r) for r in rewards]


def _by_book(
    entries: list[dict[str, object]], start: datetime | None = None, end: datetime | None = None
) -> dict[tuple[str, str, str], int]:
    """Points per (program, transaction kind, book), optionally for ``[start, end)``."""
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in entries:
        at = as_utc(e["occurred_at"])  # type: ignore[arg-type]
        if start is not None and not (start <= at < end):  # type: ignore[operator]
            continue
        totals[(str(e["code"]), str(e["kind"]), str(e["book"]))] += int(e["points"])  # type: ignore[call-overload]
    return totals


def _check(
    view: LoyaltyView, entries: list[dict[str, object]], start: datetime, end: datetime
) -> None:
    ever, inside = _by_book(entries), _by_book(entries, start, end)
    for program in view.programs:
        code = program.code

        for moved, books in ((program.ever, ever), (program.in_period, inside)):
            earned = -sum(books[(code, kind, "program_expense")] for kind in ("earn", "bonus"))
            assert moved.earned == earned, code
            assert moved.taken_back == books[(code, "reverse", "program_expense")], code
            assert moved.redeemed == books[(code, "redeem", "program_redeemed")], code
            assert moved.expired == books[(code, "expire", "program_breakage")], code
            adjusted = -books[(code, "adjust", "program_adjustment")]
            assert moved.adjusted_in - moved.adjusted_out == adjusted, code
        members = ("member_available", "member_pending")
        assert program.outstanding == sum(
            v for (c, _, b), v in ever.items() if c == code and b in members
        )
        assert program.debt == -sum(
            v for (c, _, b), v in ever.items() if c == code and b == "member_debt"
        )
        assert program.balance_check == 0, code


@pytest.fixture
def chain(app: App, tmp_path: Path) -> tuple[App, dict[str, object]]:
    business = generate(250, seed=4)
    load(app, write_files(business, tmp_path), tmp_path)
    ran = run_programs(app.unit_of_work, business, seed=4)
    with app.unit_of_work() as uow:
        accounts.adjust(
            uow, "M000001", "bean-points", 700, "goodwill: late order", "test", now=ran["as_of"]
        )
        accounts.adjust(
            uow, "M000002", "bean-points", -5, "typo at the till", "test", now=ran["as_of"]
        )
        uow.commit()
    return app, ran


def test_the_program_figures_are_the_ledgers(chain: tuple[App, dict[str, object]]) -> None:
    app, ran = chain
    jobs_at = as_utc(ran["as_of"])  # type: ignore[arg-type]
    assert jobs_at.astimezone(SEOUL).hour == 0  # the jobs ran at midnight in Seoul
    entries, rewards = _ledger(app)
    # a period that ends at that midnight, and one that contains it
    for as_of in (date(2026, 10, 31), date(2026, 11, 1)):
        _, current = periods_ending(as_of, 30, "Asia/Seoul")
        with app.unit_of_work() as uow:
            view = loyalty_view(uow, current)
            assert verify_ledger(uow)["clean"]
        _check(view, entries, current.start, current.end)
        points = next(p for p in view.programs if p.code == "bean-points")
        inside_jobs = current.start <= jobs_at < current.end
        assert (points.in_period.expired > 0) == inside_jobs
        assert (points.in_period.redeemed > 0) == inside_jobs
        assert points.in_period.adjusted_in == (700 if inside_jobs else 0)
        assert points.ever.adjusted_in == 700
        assert points.ever.adjusted_out == 5

    overview = {p["program"]: p for p in ran["programs"]}  # type: ignore[attr-defined]
    bean = next(p for p in view.programs if p.code == "bean-points")
    assert bean.point_value == 1
    assert bean.liability == bean.available + bean.pending
    tiers = {t.code: t.members for t in bean.tiers}
    assert tiers == overview["bean-points"]["tiers"]
    assert [t.name for t in bean.tiers][:2] == ["Green", "Gold"]  # by rising threshold
    stamps = next(p for p in view.programs if p.code == "coffee-stamps")
    assert stamps.point_value is None
    assert stamps.liability is None
    states = defaultdict(int)
    for r in rewards:
        if r["code"] == "coffee-stamps":
            states[r["state"]] += 1
    assert stamps.vouchers.issued == sum(states.values()) > 0
    assert (
        stamps.vouchers.used
        == states["redeemed"]
        == overview["coffee-stamps"]["rewards"]["redeemed"]
    )
    assert stamps.vouchers.open == states["issued"]
    assert stamps.vouchers.expired == states["expired"]
    rows = {row[0].key: row for row in points_table(bean).rows}  # type: ignore[union-attr]
    assert rows["points.redeemed"][2].points == bean.ever.redeemed  # type: ignore[union-attr]
    assert view.liability == bean.liability
    assert view.outstanding == sum(p.outstanding for p in view.programs)


def test_a_store_without_programs_has_an_empty_loyalty_view(app: App) -> None:
    _, current = periods_ending(date(2026, 10, 31), 30, "Asia/Seoul")
    with app.unit_of_work() as uow:
        view = loyalty_view(uow, current)
    assert view.programs == ()
    assert view.liability == 0
    assert current.end - current.start == timedelta(days=30)
    assert current.end == datetime(2026, 10, 31, 15, tzinfo=UTC)
