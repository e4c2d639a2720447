"""Program definitions, what a basket earns, expiry policies, tiers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from regulars.domain.loyalty.earning import (
    Basket,
    BasketLine,
    add_stamps,
    discount_amount,
    discount_percent,
    points_for,
    redeemable_points,
    redemption_refusal,
    stamps_for,
)
from regulars.domain.loyalty.ledger import ExpiryKind, ExpiryPolicy, plan_spend, refund_share
from regulars.domain.loyalty.programs import ProgramError, parse_program
from regulars.domain.loyalty.tiers import decide

T = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)

CASHBACK = {
    "code": "beans",
    "kind": "points",
    "points": {
        "earn": {"points": 5, "per_amount": 100},
        "rounding": "down",
        "minimum_purchase": 1000,
        "multipliers": [
            {"dimension": "category", "code": "beans", "factor": "2"},
            {"dimension": "channel", "code": "app", "factor": "1.5"},
            {"dimension": "tier", "code": "gold", "factor": "1"},
        ],
        "redeem": {"point_value": 1, "min_points": 100, "max_share_percent": 50},
        "expiry": {"policy": "end_of_year"},
    },
    "tiers": {
        "measure": "spend",
        "window_months": 12,
        "grace_days": 30,
        "levels": [
            {"code": "green", "threshold": 0},
            {
                "code": "gold",
                "threshold": 300000,
                "earn_multiplier": "2",
                "discount_percent": "5",
                "privileges": ["priority_service", "closed_club"],
            },
        ],
    },
    "campaigns": [
        {
            "code": "spring",
            "starts_at": "2026-03-01T00:00:00+09:00",
            "ends_at": "2026-04-01T00:00:00+09:00",
            "factor": "3",
            "categories": ["bakery"],
        },
    ],
}


def basket(*lines: tuple[str, str | None, int, int], channel: str = "store") -> Basket:
    return Basket(tuple(BasketLine(*line) for line in lines), at=T, channel=channel)


def test_cashback_applies_rate_multipliers_tier_and_campaign() -> None:
    program = parse_program(CASHBACK)
    latte = ("latte", "coffee", 1, 4500)
    assert points_for(program, basket(latte)).points == 225
    assert points_for(program, basket(("kenya", "beans", 1, 18000))).points == 1800
    assert points_for(program, basket(latte, channel="app")).points == 337  # 337.5 rounded down
    gold = program.tiers.get("gold") if program.tiers else None
    assert points_for(program, basket(latte), gold).points == 450
    assert points_for(program, basket(("croissant", "bakery", 1, 3000))).points == 450
    assert points_for(program, basket(("cookie", "bakery", 1, 900))).points == 0  # minimum


def test_definitions_are_checked_field_by_field() -> None:
    with pytest.raises(ProgramError, match=r"points\.multipliers\[0\]\.dimension"):
        parse_program(
            {
                **CASHBACK,
                "points": {
                    **CASHBACK["points"],
                    "multipliers": [{"dimension": "weather", "code": "x", "factor": "2"}],
                },
            }
        )
    with pytest.raises(ProgramError, match="strings"):
        parse_program(
            {
                **CASHBACK,
                "points": {
                    **CASHBACK["points"],
                    "multipliers": [{"dimension": "store", "code": "S01", "factor": 1.5}],
                },
            }
        )
    with pytest.raises(ProgramError, match="kind"):
        parse_program({"code": "x", "kind": "lottery"})


def test_discount_card_grows_with_cumulative_spend() -> None:
    program = parse_program(
        {
            "code": "card",
            "kind": "discount",
            "discount": {
                "thresholds": [
                    {"from": 0, "percent": 3},
                    {"from": 300000, "percent": 5},
                    {"from": 1000000, "percent": 7},
                ]
            },
        }
    )
    assert program.discount is not None
    assert discount_percent(program.discount, 0) == Decimal(3)
    assert discount_percent(program.discount, 300000) == Decimal(5)
    assert discount_percent(program.discount, 2_000_000) == Decimal(7)
    assert discount_amount(9999, Decimal(5)) == 499


def test_stamp_card_buy_six_the_seventh_is_free() -> None:
    program = parse_program(
        {
            "code": "stamps",
            "kind": "stamps",
            "stamps": {
                "every": 6,
                "count": "items",
                "category": "coffee",
                "reward": {"name": "Free coffee", "valid_days": 30},
            },
        }
    )
    rules = program.stamps
    assert rules is not None
    assert (
        stamps_for(rules, basket(("latte", "coffee", 2, 9000), ("bagel", "bakery", 1, 3000))) == 2
    )
    assert stamps_for(rules, basket(("bagel", "bakery", 1, 3000))) == 0
    assert add_stamps(rules, 5, 2).stamps == 1
    assert add_stamps(rules, 5, 2).rewards == 1
    assert add_stamps(rules, 0, 13).rewards == 2


def test_points_may_pay_only_the_allowed_share() -> None:
    rules = parse_program(CASHBACK).points
    assert rules is not None
    assert redeemable_points(rules, 10_000, 8_000) == 4_000
    assert redeemable_points(rules, 50, 8_000) == 0  # below the minimum redemption
    assert redemption_refusal(rules, 5_000, 8_000) is not None
    assert redemption_refusal(rules, 4_000, 8_000) is None


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (ExpiryPolicy(ExpiryKind.DAYS, days=30), T + timedelta(days=30)),
        (ExpiryPolicy(ExpiryKind.END_OF_MONTH), datetime(2026, 4, 1, tzinfo=UTC)),
        (ExpiryPolicy(ExpiryKind.END_OF_MONTH, months=10), datetime(2027, 2, 1, tzinfo=UTC)),
        (ExpiryPolicy(ExpiryKind.END_OF_YEAR), datetime(2027, 1, 1, tzinfo=UTC)),
        (ExpiryPolicy(ExpiryKind.NEVER), None),
    ],
)
def test_expiry_policies(policy: ExpiryPolicy, expected: datetime | None) -> None:
    assert policy.expires_at(T) == expected


def test_refund_share_rounds_in_the_members_favour() -> None:
    assert refund_share(225, 4500, 4500) == 225
    assert refund_share(225, 1000, 4500) == 50
    with pytest.raises(ValueError, match="positive"):
        plan_spend([], 0, T)


def test_tier_downgrade_waits_for_the_grace_period() -> None:
    rules = parse_program(CASHBACK).tiers
    assert rules is not None
    up = decide(rules, "green", None, 300000, T)
    assert (up.tier, up.changed) == ("gold", True)
    first = decide(rules, "gold", None, 1000, T)
    assert (first.tier, first.changed) == ("gold", False)
    assert first.grace_until is not None
    assert first.grace_until.date() == date(2026, 4, 14)
    during = decide(rules, "gold", first.grace_until, 1000, T + timedelta(days=10))
    assert (during.tier, during.changed) == ("gold", False)
    after = decide(rules, "gold", first.grace_until, 1000, T + timedelta(days=30))
    assert (after.tier, after.changed) == ("green", True)
    back = decide(rules, "gold", first.grace_until, 400000, T + timedelta(days=10))
    assert (back.tier, back.grace_until, back.changed) == ("gold", None, False)
