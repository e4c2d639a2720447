"""Per-member analytics written back: each column against what the business's facts say,
and the same stage counts as the loyalty report's funnel (one definition)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from tests.integration.campaigns.business import (
    NOW,
    ZONE,
    Member,
    analytics,
    members_of_business,
    seed,
)

from regulars.bootstrap import App
from regulars.services import analytics as report_service
from regulars.services.member_analytics import compute_member_analytics, member_analytics_of
from regulars.store.tables import member_analytics, stores


def test_written_back_columns_match_the_facts(app: App) -> None:
    seed(app)
    with app.unit_of_work() as uow:
        run = compute_member_analytics(uow, NOW, timezone=ZONE, expiring_within_days=30)
        uow.commit()
    # F has no purchase, answer or points: no history, no row; the other eleven have one.
    assert run.members == 11
    with app.unit_of_work() as uow:
        b = member_analytics_of(uow, "B")
        e = member_analytics_of(uow, "E")
        d = member_analytics_of(uow, "D")
        assert member_analytics_of(uow, "F") is None
        store_ids = dict(uow.connection.execute(select(stores.c.code, stores.c.id)).all())
        stamps = set(uow.connection.execute(select(member_analytics.c.computed_at)).scalars())
    assert b is not None
    assert e is not None
    assert d is not None
    assert b["nps_class"] == "detractor"
    assert b["last_nps"] == 3
    assert d["nps_class"] == "passive"
    assert b["days_since_last_purchase"] == 5
    assert b["purchase_days"] == 4
    assert b["net_spend"] == 100_000
    assert b["stage"] == "repeat"  # a detractor is not attached
    assert d["stage"] == "first_purchase"
    assert e["home_store"] == "S2"
    assert e["home_store_id"] == store_ids["S2"]
    assert e["expiring_points"] == 700
    assert e["expiring_within_days"] == 30
    assert e["loyalty_type"] == "unknown"  # never answered: not guessed
    assert b["recency_score"] in range(1, 6)
    assert b["rfm_segment"]
    assert b["computed_at"] == NOW.isoformat()
    assert len(stamps) == 1
    assert b["last_answer_at"] == (NOW - timedelta(days=20)).isoformat()


def test_the_stages_are_the_reports(app: App) -> None:
    seed(app)
    analytics(app)
    with app.unit_of_work() as uow:
        report = report_service.report(uow, NOW.date())
        stored = list(uow.connection.execute(select(member_analytics.c.stage)).scalars())
    funnel = report["stage_funnel"].set_index("stage")["members"]
    names = {"first purchase": "first_purchase", "repeat visits": "repeat",
             "attachment": "attached", "loyalty": "loyal"}  # fmt: skip
    for stage, code in names.items():
        assert funnel[stage] == stored.count(code), stage


def test_a_member_who_answered_but_never_bought_has_no_days_since_a_purchase(app: App) -> None:
    """Beside members who bought, one with only an answer: the days since a purchase are
    missing for them (not a failure of the whole job)."""
    people = members_of_business()
    people.append(Member("N", email="n@x.kr", nps=9))
    seed(app, people)
    with app.unit_of_work() as uow:
        run = compute_member_analytics(uow, NOW, timezone=ZONE)
        uow.commit()
        n = member_analytics_of(uow, "N")
        b = member_analytics_of(uow, "B")
    assert run.members == 12
    assert n is not None
    assert b is not None
    assert n["days_since_last_purchase"] is None
    assert n["purchase_days"] == 0
    assert n["nps_class"] == "promoter"
    assert b["days_since_last_purchase"] == 5
