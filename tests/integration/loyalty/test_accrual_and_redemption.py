"""The loyalty engine on a real store (SQLite and PostgreSQL): accrual, redemption,
refunds, stamps, jobs, bonuses — and the ledger adding up after each."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.demo.programs import install_demo_programs
from regulars.domain.loyalty.earning import BasketLine
from regulars.services.errors import Conflict, Invalid
from regulars.services.imports.files import import_file
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.loyalty import jobs as loyalty_jobs
from regulars.services.loyalty.programs import install_program
from regulars.services.members import upsert_members
from regulars.services.purchases import recording as purchases
from regulars.store.tables import (
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    outbox,
    points_lots,
)

TZ = "Asia/Seoul"
DAY1 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
POINTS = "bean-points"


def setup(app: App, members: tuple[str, ...] = ("M1", "M2")) -> None:
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        upsert_members(
            uow,
            [{"member_id": m, "name": m, "birth_date": "1990-01-20"} for m in members],
            TZ,
        )
        uow.commit()


def buy(
    app: App,
    purchase_id: str,
    member: str,
    at: datetime,
    lines: list[tuple[str, str, int, int]],
    kind: str = "sale",
    original: str | None = None,
) -> None:
    record: dict[str, Any] = {
        "purchase_id": purchase_id,
        "member_id": member,
        "occurred_at": at.isoformat(),
        "store": "S01",
        "channel": "store",
        "kind": kind,
        "original_purchase_id": original,
        "lines": [
            {"product": p, "category": c, "quantity": q, "amount": a} for p, c, q, a in lines
        ],
    }
    with app.unit_of_work() as uow:
        report, _ = purchases.record_purchases(uow, [record], TZ)
        assert not report.errors, report.errors
        uow.commit()


def jobs(app: App, now: datetime) -> dict[str, Any]:
    with app.unit_of_work() as uow:
        result = loyalty_jobs.run_all(uow, now)
        uow.commit()
    return result


def account(app: App, member: str, program: str = POINTS) -> dict[str, Any]:
    with app.unit_of_work() as uow:
        views = loyalty.balances(uow, member)["programs"]
    return next(v for v in views if v["program"] == program)


def assert_ledger_adds_up(app: App) -> None:
    """Balances are the sums of the entries; entries balance; no lot below zero."""
    with app.engine.connect() as c:
        assert c.execute(select(func.coalesce(func.sum(ledger_entries.c.points), 0))).scalar() == 0
        unbalanced = c.execute(
            select(ledger_entries.c.transaction_id)
            .group_by(ledger_entries.c.transaction_id)
            .having(func.sum(ledger_entries.c.points) != 0)
        ).all()
        assert unbalanced == []
        for row in c.execute(select(loyalty_accounts)).mappings():
            books = dict(
                c.execute(
                    select(ledger_entries.c.book, func.sum(ledger_entries.c.points))
                    .where(ledger_entries.c.account_id == row["id"])
                    .group_by(ledger_entries.c.book)
                ).all()
            )
            assert row["available"] == books.get("member_available", 0)
            assert row["pending"] == books.get("member_pending", 0)
            assert row["debt"] == -books.get("member_debt", 0)
            lots = c.execute(
                select(func.coalesce(func.sum(points_lots.c.remaining), 0)).where(
                    points_lots.c.account_id == row["id"],
                    points_lots.c.closed.is_(False),
                    points_lots.c.released.is_(True),
                )
            ).scalar()
            assert row["available"] == lots >= 0
        assert c.execute(select(func.min(points_lots.c.remaining))).scalar() in (None, 0) or (
            c.execute(select(func.min(points_lots.c.remaining))).scalar() > 0
        )


def test_purchase_earns_pending_points_released_after_the_return_window(app: App) -> None:
    setup(app)
    buy(
        app, "P1", "M1", DAY1, [("americano", "coffee", 2, 9000), ("beans_250g", "beans", 1, 18000)]
    )
    view = account(app, "M1")
    assert (view["balance"], view["pending"]) == (0, 450 + 1800)
    with app.unit_of_work() as uow:  # accruing again changes nothing
        assert loyalty_accrual.accrue_batch(uow) == 0
        assert loyalty_accrual.accrue_purchases(uow, ["P1"]) == 0
        uow.commit()
    assert jobs(app, DAY1 + timedelta(days=6))["released"] == 0
    assert jobs(app, DAY1 + timedelta(days=7))["released"] == 2250
    assert jobs(app, DAY1 + timedelta(days=7))["released"] == 0
    assert (account(app, "M1")["balance"], account(app, "M1")["pending"]) == (2250, 0)
    with app.engine.connect() as c:
        topics = [t for (t,) in c.execute(select(outbox.c.topic))]
    assert "points.earned" in topics
    assert_ledger_adds_up(app)


def test_a_discount_line_lowers_the_sale_and_what_it_earns(app: App) -> None:
    """A negative line on a sale is a discount (a coupon): it is stored negative, the sale's
    total is what the member paid, and points are earned on that, pro rata over the lines.
    It used to be stored positive, turning a discount into revenue that earned points."""
    setup(app)
    buy(
        app,
        "P1",
        "M1",
        DAY1,
        [
            ("americano", "coffee", 2, 9000),  # 5 points per 100: 450
            ("beans_250g", "beans", 1, 18000),  # beans earn double: 1800
            ("coupon", "discount", 1, -1000),
        ],
    )
    with app.unit_of_work() as uow:
        sale = purchases.get_purchase(uow, "P1")
    assert [line["amount"] for line in sale["lines"]] == [9000, 18000, -1000]
    assert sale["total_amount"] == 26000
    # 2,250 points on 27,000 of list prices, of which the member paid 26,000: floor(2,166.7)
    assert account(app, "M1")["pending"] == 2250 * 26000 // 27000 == 2166
    assert_ledger_adds_up(app)


def test_one_run_of_the_jobs_releases_and_expires_every_account_in_batches(app: App) -> None:
    members = tuple(f"M{i}" for i in range(1, 8))
    setup(app, members)
    for i, member in enumerate(members):
        buy(app, f"P{i}", member, DAY1, [("beans_250g", "beans", 1, 18000)])  # 1800 each
    with app.unit_of_work() as uow:  # seven accounts, read two at a time
        assert loyalty_jobs.release_due(uow, DAY1 + timedelta(days=7), limit=2) == 7 * 1800
        uow.commit()
    assert {account(app, m)["pending"] for m in members} == {0}
    assert {account(app, m)["balance"] for m in members} == {1800}
    with app.unit_of_work() as uow:  # end of month, twelve months on: all of it expires
        expired = loyalty_jobs.expire_due(uow, DAY1 + timedelta(days=400), limit=3)
        uow.commit()
    assert expired["points"] == 7 * 1800
    assert {account(app, m)["balance"] for m in members} == {0}
    assert_ledger_adds_up(app)


def test_redeem_spends_soonest_expiring_first_and_is_idempotent(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("beans_250g", "beans", 1, 18000)])  # 1800, expires 2027-02
    buy(app, "P2", "M1", DAY1 + timedelta(days=40), [("beans_250g", "beans", 1, 18000)])
    now = DAY1 + timedelta(days=60)
    jobs(app, now)
    with app.unit_of_work() as uow:
        first = loyalty.redeem_points(uow, "M1", POINTS, 2000, "k1", order_amount=10000, now=now)
        uow.commit()
    assert first["lots"][0]["points"] == 1800  # the older lot, expiring sooner, first
    assert first["lots"][1]["points"] == 200
    assert first["balance"] == 1600
    with app.unit_of_work() as uow:
        again = loyalty.redeem_points(uow, "M1", POINTS, 2000, "k1", order_amount=10000, now=now)
        uow.commit()
    assert again == first
    with app.unit_of_work() as uow, pytest.raises(Conflict, match="different"):
        loyalty.redeem_points(uow, "M1", POINTS, 1000, "k1", order_amount=10000, now=now)
    with app.unit_of_work() as uow, pytest.raises(Conflict, match="1600"):
        loyalty.redeem_points(uow, "M1", POINTS, 1700, "k2", order_amount=10000, now=now)
    with app.unit_of_work() as uow, pytest.raises(Invalid, match="50"):
        loyalty.redeem_points(uow, "M1", POINTS, 1000, "k3", order_amount=1000, now=now)
    assert account(app, "M1")["balance"] == 1600
    assert_ledger_adds_up(app)


def test_refund_takes_back_points_even_when_already_spent(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("beans_250g", "beans", 2, 36000)])  # 3600 points
    now = DAY1 + timedelta(days=8)
    jobs(app, now)
    with app.unit_of_work() as uow:
        loyalty.redeem_points(uow, "M1", POINTS, 3000, "spend", order_amount=7000, now=now)
        uow.commit()
    # A half refund takes back 1800: 600 left in the lot, 1200 become debt.
    buy(app, "R1", "M1", now, [("beans_250g", "beans", 1, 18000)], "refund", "P1")
    view = account(app, "M1")
    assert (view["balance"], view["debt"]) == (0, 1200)
    # The rest of the refund takes back the other 1800 as debt; the balance never goes negative.
    buy(app, "R2", "M1", now, [("beans_250g", "beans", 1, 18000)], "refund", "P1")
    assert (account(app, "M1")["balance"], account(app, "M1")["debt"]) == (0, 3000)
    # Later earnings settle the debt first.
    buy(app, "P2", "M1", now, [("beans_250g", "beans", 2, 36000)])
    view = account(app, "M1")
    assert (view["debt"], view["pending"]) == (0, 600)
    assert_ledger_adds_up(app)


def test_stamp_card_issues_a_free_coffee_that_can_be_used_once(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("latte", "coffee", 5, 25000), ("muffin", "bakery", 1, 3500)])
    with app.unit_of_work() as uow:
        shown = loyalty.quote(uow, "M1", [BasketLine("latte", "coffee", 2, 10000)], now=DAY1)
    stamps = next(p for p in shown["programs"] if p["program"] == "coffee-stamps")
    assert (stamps["stamps"], stamps["stamps_after"], stamps["rewards_to_issue"]) == (5, 1, 1)
    buy(app, "P2", "M1", DAY1, [("latte", "coffee", 2, 10000)])
    with app.unit_of_work() as uow:
        vouchers = loyalty.rewards(uow, "M1", "coffee-stamps")
    assert [v["state"] for v in vouchers] == ["issued"]
    assert vouchers[0]["issued_at"] == "2026-01-10T09:00:00+00:00"  # ISO 8601 with offset
    assert vouchers[0]["expires_at"] == "2026-03-11T09:00:00+00:00"  # valid 60 days
    code = vouchers[0]["code"]
    with app.unit_of_work() as uow:
        used = loyalty.redeem_reward(uow, code, "till-1", now=DAY1)
        uow.commit()
    with app.unit_of_work() as uow:
        assert loyalty.redeem_reward(uow, code, "till-1", now=DAY1) == used
        with pytest.raises(Conflict, match="redeemed"):
            loyalty.redeem_reward(uow, code, "till-2", now=DAY1)
    assert account(app, "M1", "coffee-stamps")["stamps"] == 1


def test_refund_revokes_the_voucher_it_issued(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("latte", "coffee", 5, 25000)])
    buy(app, "P2", "M1", DAY1, [("latte", "coffee", 2, 10000)])
    buy(app, "R2", "M1", DAY1, [("latte", "coffee", 2, 10000)], "refund", "P2")
    with app.unit_of_work() as uow:
        vouchers = loyalty.rewards(uow, "M1", "coffee-stamps")
    assert [v["state"] for v in vouchers] == ["revoked"]
    assert account(app, "M1", "coffee-stamps")["stamps"] == 5


def test_quote_shows_the_till_everything_and_writes_nothing(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("beans_250g", "beans", 20, 360000)])
    jobs(app, DAY1 + timedelta(days=8))
    with app.engine.connect() as c:
        before = c.execute(select(func.count()).select_from(ledger_transactions)).scalar()
    with app.unit_of_work() as uow:
        shown = loyalty.quote(
            uow, "M1", [BasketLine("latte", "coffee", 1, 5000)], now=DAY1 + timedelta(days=9)
        )
    points = next(p for p in shown["programs"] if p["program"] == POINTS)
    card = next(p for p in shown["programs"] if p["program"] == "office-card")
    assert (points["tier"], points["points_to_earn"]) == ("gold", 375)  # 5 % x gold's 1.5
    assert "priority_service" in points["privileges"]
    assert points["redeemable_points"] == 2500  # half the order
    assert (card["discount_percent"], card["discount"]) == ("3", 150)
    with app.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(ledger_transactions)).scalar() == before


def test_points_expire_by_policy_and_expiry_is_idempotent(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("americano", "coffee", 2, 9000)])  # 450, expires 2027-02-01
    jobs(app, DAY1 + timedelta(days=10))
    assert jobs(app, datetime(2027, 1, 25, tzinfo=UTC))["expiring_warnings"] == 1
    with app.engine.connect() as c:
        warning = c.execute(
            select(outbox.c.payload).where(outbox.c.topic == "points.expiring_soon")
        ).scalar_one()
    assert json.loads(warning)["expires_at"] == "2027-02-01T00:00:00+00:00"
    assert jobs(app, datetime(2027, 1, 26, tzinfo=UTC))["expiring_warnings"] == 0
    assert jobs(app, datetime(2027, 2, 1, tzinfo=UTC))["expired"]["points"] == 450
    assert jobs(app, datetime(2027, 2, 1, tzinfo=UTC))["expired"]["points"] == 0
    assert account(app, "M1")["balance"] == 0
    assert_ledger_adds_up(app)


def test_adjustments_need_a_reason_and_are_audited(app: App) -> None:
    setup(app)
    with app.unit_of_work() as uow, pytest.raises(Invalid, match="reason"):
        loyalty.adjust(uow, "M1", POINTS, 500, " ", "staff@S01")
    with app.unit_of_work() as uow:
        loyalty.adjust(uow, "M1", POINTS, 500, "coffee spilled", "staff@S01")
        uow.commit()
    with app.unit_of_work() as uow, pytest.raises(Conflict):
        loyalty.adjust(uow, "M1", POINTS, -600, "typo", "staff@S01")
    with app.unit_of_work() as uow:
        history = loyalty.history(uow, "M1", POINTS)
        lots = loyalty.lots(uow, "M1", POINTS)
    assert history[0]["kind"] == "adjust"
    for moment in (history[0]["occurred_at"], lots[0]["awarded_at"], lots[0]["expires_at"]):
        assert datetime.fromisoformat(moment).utcoffset() == timedelta(0)  # ISO, with offset
    assert (history[0]["reason"], history[0]["actor"]) == ("coffee spilled", "staff@S01")
    assert_ledger_adds_up(app)


def test_signup_birthday_and_referral_bonuses_are_granted_once(app: App) -> None:
    setup(app, ("M1", "M2", "M3"))
    with app.unit_of_work() as uow:
        loyalty_accrual.register_referral(uow, "M1", "M2")
        uow.commit()
    with app.unit_of_work() as uow, pytest.raises(Conflict):
        loyalty_accrual.register_referral(uow, "M2", "M1")
    birthday = datetime(2026, 1, 20, 8, tzinfo=UTC)
    for _ in range(2):
        with app.unit_of_work() as uow:
            loyalty_accrual.grant_bonuses(uow, birthday, timezone="UTC")
            uow.commit()
    assert account(app, "M3")["balance"] == 1000 + 3000
    assert account(app, "M1")["balance"] == 4000  # no referral bonus before a purchase
    buy(app, "P1", "M2", DAY1, [("americano", "coffee", 1, 4500)])
    buy(app, "P2", "M2", DAY1, [("americano", "coffee", 1, 4500)])
    for _ in range(2):
        with app.unit_of_work() as uow:
            loyalty_accrual.grant_bonuses(uow, birthday + timedelta(days=1), timezone="UTC")
            uow.commit()
    assert account(app, "M1")["balance"] == 4000 + 2000
    assert account(app, "M2")["balance"] == 4000 + 1000
    assert_ledger_adds_up(app)


def test_the_birthday_is_a_day_in_the_business_time_zone(app: App) -> None:
    """At 03:23 KST on 2 December (18:23 UTC on the 1st) the 2-December birthdays are paid,
    not the 1-December ones."""
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        upsert_members(
            uow,
            [
                {"member_id": "DEC1", "birth_date": "1990-12-01"},
                {"member_id": "DEC2", "birth_date": "1990-12-02"},
            ],
            TZ,
        )
        uow.commit()
    seoul_night = datetime(2026, 12, 1, 18, 23, tzinfo=UTC)  # 2026-12-02 03:23 in Seoul
    with app.unit_of_work() as uow:
        loyalty_accrual.grant_bonuses(uow, seoul_night, timezone=TZ)
        uow.commit()
    signup = account(app, "DEC1")["balance"]
    assert account(app, "DEC2")["balance"] == signup + 3000
    with app.unit_of_work() as uow:  # the same instant in UTC is still the 1st there
        assert loyalty_accrual.grant_bonuses(uow, seoul_night, timezone="UTC")["birthday"] == 1
        uow.commit()
    assert account(app, "DEC1")["balance"] == signup + 3000
    assert_ledger_adds_up(app)


def test_tiers_upgrade_at_once_and_downgrade_after_grace(app: App) -> None:
    setup(app)
    buy(app, "P1", "M1", DAY1, [("beans_250g", "beans", 20, 360000)])
    # The sale (recorded through the API's path) lifted the member at once; the job, which
    # evaluates every account, finds nothing more to upgrade.
    assert account(app, "M1")["tier"] == "gold"
    assert jobs(app, DAY1 + timedelta(days=1))["tiers"]["upgraded"] == 0
    assert account(app, "M1")["tier"] == "gold"
    later = DAY1 + timedelta(days=400)  # the purchase has left the 12-month window
    assert jobs(app, later)["tiers"]["grace_started"] >= 1
    assert account(app, "M1")["tier"] == "gold"
    jobs(app, later + timedelta(days=61))
    assert account(app, "M1")["tier"] == "green"
    with app.engine.connect() as c:
        assert (
            c.execute(
                select(func.count()).select_from(outbox).where(outbox.c.topic == "tier.changed")
            ).scalar()
            >= 2
        )


def test_program_versions_and_budget(app: App) -> None:
    setup(app)
    campaign = {
        "code": "launch",
        "kind": "points",
        "points": {"earn": {"points": 1, "per_amount": 10}},
        "budget": 1000,
    }
    with app.unit_of_work() as uow:
        assert install_program(uow, campaign)["version"] == 1
        assert install_program(uow, campaign)["changed"] is False
        assert install_program(uow, {**campaign, "budget": 1500})["version"] == 2
        uow.commit()
    buy(app, "P1", "M1", DAY1, [("sandwich", "bakery", 2, 15000)])  # wants 1500 of 1500
    buy(app, "P2", "M2", DAY1, [("sandwich", "bakery", 1, 7500)])  # budget spent
    assert account(app, "M1", "launch")["balance"] == 1500  # no return window: open at once
    assert account(app, "M2", "launch")["balance"] == 0


def test_cap_per_member_per_month_holds_across_one_batch(app: App, tmp_path: Path) -> None:
    capped = {
        "code": "capped",
        "kind": "points",
        "points": {"earn": {"points": 10, "per_amount": 100}},
        "cap": {"points": 2500, "period": "month"},
    }
    with app.unit_of_work() as uow:
        install_program(uow, capped)
        upsert_members(uow, [{"member_id": "M1"}], TZ)
        uow.commit()
    # Imported in bulk (no accrual yet), then accrued by the job in one batch.
    rows = ["purchase_id,member_id,occurred_at,product,category,amount"]
    rows += [f"P{i},M1,2026-01-{10 + i}T10:00:00+09:00,beans_250g,beans,18000" for i in range(3)]
    rows += ["P9,M1,2026-02-02T10:00:00+09:00,beans_250g,beans,18000"]
    path = tmp_path / "purchases.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_file("purchases", path, app.run_committed, timezone=TZ)
    with app.unit_of_work() as uow:
        assert loyalty_accrual.accrue_batch(uow) == 4
        uow.commit()
    with app.engine.connect() as c:
        earned = [
            p
            for (p,) in c.execute(
                select(ledger_transactions.c.points)
                .where(ledger_transactions.c.kind == "earn")
                .order_by(ledger_transactions.c.occurred_at)
            )
        ]
    assert earned == [1800, 700, 1800]  # January capped at 2,500; February starts afresh
    assert_ledger_adds_up(app)
