"""Audience filters against sets computed by hand from the business's facts (business.py),
the holdout drawn by the database equal to the domain's draw, and results with their
uplift equal to the interval computed from the counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from tests.integration.campaigns.business import NOW, analytics, members_of_business, seed
from tests.integration.campaigns.campaign_helpers import definition, launch, preview_ids, run

from regulars.analytics.uplift import newcombe_difference
from regulars.bootstrap import App
from regulars.domain.engagement.campaigns import in_holdout
from regulars.services.engagement.campaign_results import results
from regulars.store.tables import campaign_assignments, members, purchases

EVERYONE = set("ABCDEFGHIJKL")
CASES: list[tuple[Any, set[str]]] = [
    ({"field": "segment", "eq": "vip"}, {"A", "B", "J"}),
    ({"field": "probability_alive", "lt": 0.25}, {"A", "C", "E"}),
    ({"field": "value_at_risk", "gt": 20_000}, {"A", "E", "K"}),
    ({"field": "days_since_last_purchase", "ge": 60}, {"A", "C", "E", "I", "K"}),
    ({"field": "days_since_last_purchase", "between": [59, 61]}, {"C", "G", "I"}),
    ({"field": "nps_class", "eq": "detractor"}, {"B", "J"}),
    ({"field": "nps_class", "is_null": True}, {"C", "E", "F", "H", "I", "K", "L"}),
    ({"field": "birthday_today", "eq": True}, {"D", "F"}),
    ({"field": "consent_sms", "eq": True}, {"B", "G", "J", "L"}),
    ({"field": "consent_email", "eq": False}, {"B", "C", "G", "I", "L"}),
    ({"field": "open_case", "eq": True}, {"B"}),
    ({"field": "home_store", "eq": "S2"}, {"E", "G", "L"}),
    ({"field": "home_region", "eq": "Busan"}, {"E", "G", "L"}),
    ({"field": "expiring_points", "gt": 0}, {"E"}),
    ({"field": "stage", "eq": "first_purchase"}, {"C", "D", "G", "I", "L"}),
    ({"field": "purchase_days", "ge": 4}, {"B", "E"}),
    ({"not": {"field": "segment", "eq": "individual"}}, {"A", "B", "E", "G", "J"}),
    (
        {
            "any": [
                {"field": "segment", "eq": "business"},
                {"all": [{"field": "locale", "eq": "en"}, {"field": "purchase_days", "ge": 2}]},
            ]
        },
        {"E", "G", "H"},
    ),
]


@pytest.mark.parametrize(("audience", "expected"), CASES)
def test_filters_select_the_hand_computed_sets(app: App, audience: Any, expected: set[str]) -> None:
    seed(app)
    analytics(app)
    assert preview_ids(app, audience, NOW) == expected


def test_loyalty_fields_read_the_campaigns_program(app: App) -> None:
    seed(app)
    assert preview_ids(app, {"field": "tier", "eq": "gold"}, NOW, program="beans") == {"A", "B"}
    assert preview_ids(app, {"field": "points_balance", "ge": 500}, NOW, program="beans") == {"E"}


def test_everyone_but_the_erased(app: App) -> None:
    ids = seed(app)
    from regulars.store.members import erase

    with app.unit_of_work() as uow:
        erase(uow.connection, ids["K"], NOW)
        uow.commit()
    assert preview_ids(app, {}, NOW) == EVERYONE - {"K"}


def test_the_database_draws_the_domains_holdout(app: App) -> None:
    ids = seed(app)
    gift = definition("h", {}, [{"task": {"kind": "call", "title": "Call"}}],
                      holdout_percent=50, seed=12345)  # fmt: skip
    launch(app, gift, now=NOW)
    run(app, NOW)
    with app.unit_of_work() as uow:
        arms = dict(
            uow.connection.execute(
                select(campaign_assignments.c.member_id, campaign_assignments.c.arm)
            ).all()
        )
    assert arms == {i: "holdout" if in_holdout(12345, i, 50) else "treated" for i in ids.values()}
    assert {"holdout", "treated"} == set(arms.values())


def test_results_count_conversions_in_the_window(app: App) -> None:
    ids = seed(app, members_of_business())
    task = [{"task": {"kind": "call", "title": "Call"}}]
    launch(
        app, definition("r", {}, task, holdout_percent=50, seed=12345, attribution_days=10), now=NOW
    )
    run(app, NOW)
    with app.unit_of_work() as uow:
        arms = dict(
            uow.connection.execute(
                select(members.c.external_id, campaign_assignments.c.arm).join(
                    members, members.c.id == campaign_assignments.c.member_id
                )
            ).all()
        )
        buyers = ["A", "B", "C", "D", "E"]  # inside the window; F buys after it closes
        rows = [
            {"external_id": f"N-{m}", "member_id": ids[m], "channel": "store", "kind": "sale",
             "occurred_at": NOW + timedelta(days=2), "total_amount": 7_000}
            for m in buyers
        ] + [{"external_id": "N-F", "member_id": ids["F"], "channel": "store", "kind": "sale",
              "occurred_at": NOW + timedelta(days=11), "total_amount": 7_000}]  # fmt: skip
        uow.connection.execute(insert(purchases), rows)
        uow.commit()
    with app.unit_of_work() as uow:
        found = results(uow, "r", NOW + timedelta(days=20))
    t, h = found["arms"]["treated"], found["arms"]["holdout"]
    treated = [m for m, a in arms.items() if a == "treated"]
    holdout = [m for m, a in arms.items() if a == "holdout"]
    assert (t["assigned"], h["assigned"]) == (len(treated), len(holdout))
    assert t["converted"] == len(set(buyers) & set(treated))
    assert h["converted"] == len(set(buyers) & set(holdout))
    assert t["revenue"] == 7_000 * t["converted"]
    assert t["reached"] == len(treated)
    expected = newcombe_difference(t["converted"], len(treated), h["converted"], len(holdout))
    conversion = found["uplift"]["conversion"]
    assert (conversion["lower"], conversion["upper"]) == (expected.lower, expected.upper)
    assert any("cannot yet be told from zero" in line for line in found["verdict"])
