"""The demo coffee chain's programs: cashback points with tiers and bonuses, a stamp card
("buy 6 coffees, the 7th is free") and a discount card for business customers' big spend.

``install_demo_programs(uow)`` installs them (idempotent: the same definitions are not new
versions); then batches of ``loyalty_accrual.accrue_batch(uow)`` accrue the imported
purchases and ``loyalty_jobs.run_all(uow, now)`` releases, expires and evaluates tiers
(:func:`regulars.demo.loyalty.run_programs` does all of it).
"""

from __future__ import annotations

from typing import Any

from regulars.services.loyalty.programs import install_program
from regulars.store.unit_of_work import UnitOfWork

BEAN_POINTS: dict[str, Any] = {
    "code": "bean-points",
    "name": "Bean Points (5 % back)",
    "kind": "points",
    "points": {
        "earn": {"points": 5, "per_amount": 100},
        "rounding": "down",
        "minimum_purchase": 1000,
        "multipliers": [
            {"dimension": "category", "code": "beans", "factor": "2"},
            {"dimension": "channel", "code": "app", "factor": "1.5"},
        ],
        "redeem": {"point_value": 1, "min_points": 500, "max_share_percent": 50},
        "expiry": {"policy": "end_of_month", "months": 12},
        "return_window_days": 7,
    },
    "tiers": {
        "measure": "spend",
        "window_months": 12,
        "grace_days": 60,
        "levels": [
            {"code": "green", "name": "Green", "threshold": 0},
            {
                "code": "gold",
                "name": "Gold",
                "threshold": 300_000,
                "earn_multiplier": "1.5",
                "privileges": ["priority_service", "special_prices"],
            },
            {
                "code": "reserve",
                "name": "Reserve",
                "threshold": 1_000_000,
                "earn_multiplier": "2",
                "discount_percent": "5",
                "privileges": [
                    "priority_service",
                    "special_prices",
                    "personal_manager",
                    "closed_club",
                    "limited_editions",
                ],
            },
        ],
    },
    "bonuses": {"signup": 1000, "birthday": 3000, "referral": {"referrer": 2000, "referee": 1000}},
    "cap": {"points": 50_000, "period": "month"},
}

COFFEE_STAMPS: dict[str, Any] = {
    "code": "coffee-stamps",
    "name": "Coffee card: buy 6, the 7th is free",
    "kind": "stamps",
    "stamps": {
        "every": 6,
        "count": "items",
        "category": "coffee",
        "reward": {"name": "Free coffee", "product": "americano", "valid_days": 60},
    },
}

OFFICE_CARD: dict[str, Any] = {
    "code": "office-card",
    "name": "Office discount card",
    "kind": "discount",
    "discount": {
        "window_months": 12,
        "thresholds": [
            {"from": 0, "percent": 0},
            {"from": 300_000, "percent": 3},
            {"from": 1_000_000, "percent": 5},
        ],
    },
}

DEMO_PROGRAMS = (BEAN_POINTS, COFFEE_STAMPS, OFFICE_CARD)


def install_demo_programs(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Install the demo programs in the caller's transaction (the caller commits)."""
    return [install_program(uow, definition) for definition in DEMO_PROGRAMS]
