"""Each guardrail by a test that fails without it, on SQLite and PostgreSQL: consent, the
frequency cap with priority, quiet hours, open-case suppression (planning and send time),
once per member, and the points budget (also under concurrency)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from tests.integration.campaigns.business import NOW, analytics, seed
from tests.integration.campaigns.campaign_helpers import (
    assigned,
    campaign_events,
    compose,
    definition,
    launch,
    message,
    run,
)

from regulars.bootstrap import App
from regulars.config import Settings
from regulars.services.engagement.plans import Hold, Send, Skip
from regulars.store.tables import (
    campaign_assignments,
    campaigns,
    feedback_cases,
    member_consents,
    members,
    outbox,
    surveys,
)

EVERYONE = {"field": "segment", "in": ["individual", "business", "vip"]}
CONSENTING = {"A", "D", "E", "F", "G", "H", "J", "K", "L"}  # B's case is open; C, I: no consent


def _member(app: App, external_id: str) -> int:
    with app.unit_of_work() as uow:
        return int(
            uow.connection.execute(
                select(members.c.id).where(members.c.external_id == external_id)
            ).scalar_one()
        )


def test_consent_at_planning_and_at_sending(app: App) -> None:
    seed(app)
    launch(app, definition("all", EVERYONE), now=NOW)
    run(app, NOW)
    # C withdrew, I was never asked: neither enters a message campaign (nor its holdout).
    assert assigned(app, "all") == CONSENTING
    events = {e.member_id: e for e in campaign_events(app)}
    d = _member(app, "D")
    with app.unit_of_work() as uow:  # D withdraws before the worker sends
        uow.connection.execute(
            insert(member_consents).values(member_id=d, channel="email", granted=False,
                                           at=NOW + timedelta(minutes=1), source="test")
        )  # fmt: skip
        uow.commit()
    later = NOW + timedelta(minutes=5)
    assert compose(app, events[d], later) == Skip("no consent")
    sent = compose(app, events[_member(app, "A")], later)
    assert isinstance(sent, Send)
    assert sent.deliveries[0].channel == "email"
    assert sent.deliveries[0].delivery.subject.startswith("(광고)")  # marketing rules apply
    l_plan = compose(app, events[_member(app, "L")], later)
    assert isinstance(l_plan, Send)
    assert l_plan.deliveries[0].channel == "sms"
    assert "Come back" in (l_plan.deliveries[0].delivery.text or "")  # L reads English


def test_quiet_hours_hold_a_campaign_message(app: App) -> None:
    seed(app)
    launch(app, definition("all", EVERYONE), now=NOW)
    run(app, NOW)
    event = next(e for e in campaign_events(app) if e.member_id == _member(app, "A"))
    night = datetime(2026, 12, 10, 13, 30, tzinfo=UTC)  # 22:30 in Seoul
    assert compose(app, event, night) == Hold(datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
                                               "quiet hours")  # fmt: skip
    assert isinstance(compose(app, event, night, rules="none"), Send)
    service = definition("apology", EVERYONE, [message(marketing=False)])
    launch(app, service, now=NOW)
    run(app, NOW + timedelta(hours=1))
    apology = [e for e in campaign_events(app) if e.payload["marketing"] is False]
    assert apology
    assert isinstance(compose(app, apology[0], night), Send)


def test_frequency_cap_with_priority(app: App) -> None:
    seed(app)
    low = definition("low", EVERYONE, priority=1)
    high = definition("high", EVERYONE, priority=9)
    launch(app, low, high, now=NOW)
    summary = run(app, NOW, cap=1)
    assert assigned(app, "high") == CONSENTING
    assert assigned(app, "low") == set()  # everyone's one message this week went to "high"
    by_code = {c.code: c for c in summary.campaigns}
    assert by_code["low"].capped == len(CONSENTING)
    # A week later the room is back: "low" takes them on its next daily run.
    run(app, NOW + timedelta(days=7, hours=1), cap=1)
    assert assigned(app, "low") == CONSENTING
    # With a cap of 2 both would have had them the same day.
    with app.unit_of_work() as uow:
        assert uow.connection.execute(select(func.count()).select_from(outbox)).scalar_one() == (
            2 * len(CONSENTING)
        )


def test_cap_counts_both_arms_alike(app: App) -> None:
    seed(app)
    launch(app, definition("high", EVERYONE, priority=9, holdout_percent=50, seed=3),
           definition("low", EVERYONE, priority=1, holdout_percent=0), now=NOW)  # fmt: skip
    run(app, NOW, cap=1)
    # Only the treated of "high" took the one slot: its holdout members had room for "low".
    assert assigned(app, "low") == assigned(app, "high", "holdout")
    assert assigned(app, "high", "holdout")
    assert assigned(app, "high", "treated")


def test_open_case_suppresses_promotion(app: App) -> None:
    seed(app)
    launch(app, definition("all", EVERYONE), now=NOW)
    run(app, NOW)
    assert "B" not in assigned(app, "all")  # B's detractor case is open
    j = _member(app, "J")
    with app.unit_of_work() as uow:  # J's case opens after the message was planned
        survey = uow.connection.execute(select(surveys.c.id)).scalar_one()
        uow.connection.execute(
            insert(feedback_cases).values(response_id="R-J2", survey_id=survey, member_id=j,
                                          score=2, status="open", opened_at=NOW, due_at=NOW,
                                          updated_at=NOW)
        )  # fmt: skip
        uow.commit()
    event = next(e for e in campaign_events(app) if e.member_id == j)
    assert compose(app, event, NOW + timedelta(hours=1)) == Skip("open detractor case")
    with app.unit_of_work() as uow:
        uow.connection.execute(update(feedback_cases).values(status="resolved"))
        uow.commit()
    assert isinstance(compose(app, event, NOW + timedelta(hours=2)), Send)


def test_once_per_member_unless_stated(app: App) -> None:
    seed(app)
    launch(app, definition("once", EVERYONE),
           definition("yearly", EVERYONE, entry={"every_days": 2}), now=NOW)  # fmt: skip
    for day in range(3):
        run(app, NOW + timedelta(days=day), cap=100)
    assert len(assigned(app, "once")) == len(CONSENTING)
    with app.unit_of_work() as uow:
        entries = dict(
            uow.connection.execute(
                select(campaigns.c.code, func.count())
                .join(campaign_assignments, campaign_assignments.c.campaign_id == campaigns.c.id)
                .group_by(campaigns.c.code)
            ).all()
        )
    assert entries["once"] == len(CONSENTING)  # three daily runs, one entry each
    assert entries["yearly"] == 2 * len(CONSENTING)  # days 0 and 2, not day 1


def test_budget_is_never_exceeded(app: App) -> None:
    seed(app)
    analytics(app)
    gift = definition("gift", EVERYONE, [{"gift": {"points": 1000}}], program="beans",
                      budget_points=3500)  # fmt: skip
    launch(app, gift, now=NOW)
    summary = run(app, NOW)
    day = summary.campaigns[0]
    # Everyone not erased enters a gift campaign (no message: no consent needed).
    assert day.treated == 12
    assert day.gifts == 3
    assert day.points == 3000
    assert day.budget_short == 9
    with app.unit_of_work() as uow:
        issued, budget = uow.connection.execute(
            select(campaigns.c.points_issued, campaigns.c.budget_points)
        ).one()
    assert (issued, budget) == (3000, 3500)


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_budget_holds_under_concurrency(app: App) -> None:
    """Two daily jobs at the same moment on PostgreSQL: the campaign row's lock serves them
    one after the other; the budget is taken once."""
    seed(app)
    analytics(app)
    launch(app, definition("gift", EVERYONE, [{"gift": {"points": 1000}}], program="beans",
                           budget_points=5000), now=NOW)  # fmt: skip
    errors: list[BaseException] = []

    def job() -> None:
        try:
            run(app, NOW)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with app.unit_of_work() as uow:
        issued = uow.connection.execute(select(campaigns.c.points_issued)).scalar_one()
        from regulars.store.tables import ledger_transactions

        total = uow.connection.execute(
            select(func.sum(ledger_transactions.c.points)).where(
                ledger_transactions.c.source_key.like("campaign:%")
            )
        ).scalar_one()
    assert issued == total == 5000


def test_settings_read_the_cap() -> None:
    settings = Settings.from_env(
        {"REGULARS_CAMPAIGN_CAP_MESSAGES": "3", "REGULARS_CAMPAIGN_CAP_DAYS": "14"}
    )
    assert (settings.campaign_cap_messages, settings.campaign_cap_days) == (3, 14)
    with pytest.raises(ValueError, match="REGULARS_CAMPAIGN_CAP_DAYS"):
        Settings.from_env({"REGULARS_CAMPAIGN_CAP_DAYS": "0"})
