"""The daily job end to end: messages to the outbox, gifts through the ledger, tasks at the
member's home store, waits, and idempotent re-runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from tests.integration.campaigns.business import NOW, analytics, seed
from tests.integration.campaigns.campaign_helpers import assigned, definition, launch, message, run

from regulars.bootstrap import App
from regulars.services.engagement import campaign_runs
from regulars.store.tables import (
    campaign_actions,
    ledger_transactions,
    loyalty_accounts,
    members,
    outbox,
    staff_tasks,
    stores,
)


def test_send_gift_wait_and_task(app: App) -> None:
    seed(app)
    analytics(app)
    steps = [message(), {"gift": {"points": 500}}, {"wait": {"days": 3}},
             {"task": {"kind": "personal call", "title": "Call", "due_days": 2}}]  # fmt: skip
    launch(app, definition("vip", {"field": "segment", "eq": "vip"}, steps, program="beans"),
           now=NOW)  # fmt: skip
    first = run(app, NOW)
    day = first.campaigns[0]
    # A (email), B (sms) and J consent; B has an open case: no marketing message first.
    assert assigned(app, "vip") == {"A", "J"}
    assert (day.treated, day.messages, day.gifts, day.points, day.tasks) == (2, 2, 2, 1000, 0)
    again = run(app, NOW)  # the same moment again: nothing twice
    assert again.campaigns[0].run is None
    assert again.campaigns[0].messages == 0
    later = run(app, NOW + timedelta(days=3, hours=1))
    assert later.campaigns[0].tasks == 2
    with app.unit_of_work() as uow:
        c = uow.connection
        events = c.execute(select(func.count()).where(outbox.c.topic == "campaign.message"))
        assert events.scalar_one() == 2
        bonuses = c.execute(
            select(func.count()).where(ledger_transactions.c.source_key.like("campaign:%"))
        ).scalar_one()
        assert bonuses == 2
        balances = dict(
            c.execute(
                select(members.c.external_id, loyalty_accounts.c.available).join(
                    members, members.c.id == loyalty_accounts.c.member_id
                )
            ).all()
        )
        assert balances["J"] == 500
        tasks = c.execute(
            select(members.c.external_id, stores.c.code, staff_tasks.c.status)
            .join(members, members.c.id == staff_tasks.c.member_id)
            .join(stores, stores.c.id == staff_tasks.c.store_id)
        ).all()
        assert sorted(tasks) == [("A", "S1", "open"), ("J", "S1", "open")]
        actions = c.execute(select(func.count()).select_from(campaign_actions)).scalar_one()
        assert actions == 6
        listed = campaign_runs.staff_tasks(uow, store="S1")
    assert [(t["member"], t["campaign"], t["title"]) for t in listed] == [
        ("A", "vip", "Call"),
        ("J", "vip", "Call"),
    ]


def test_gifts_are_given_once_however_often_the_job_runs(app: App) -> None:
    seed(app)
    analytics(app)
    launch(app, definition("birthday", {"field": "birthday_today", "eq": True},
                           [{"gift": {"points": 300}}], program="beans",
                           entry={"every_days": 300}), now=NOW)  # fmt: skip
    for hours in (0, 0, 1, 5, 13):  # the same day in Seoul, again and again
        run(app, NOW + timedelta(hours=hours))
    run(app, NOW + timedelta(days=1))  # the next day: no birthday today
    with app.unit_of_work() as uow:
        c = uow.connection
        gifts = c.execute(
            select(ledger_transactions.c.source_key, ledger_transactions.c.points).where(
                ledger_transactions.c.source_key.like("campaign:%")
            )
        ).all()
        balances = dict(
            c.execute(
                select(members.c.external_id, loyalty_accounts.c.available).join(
                    members, members.c.id == loyalty_accounts.c.member_id
                )
            ).all()
        )
    assert sorted(p for _, p in gifts) == [300, 300]  # D and F, once each
    assert len({k for k, _ in gifts}) == 2
    assert balances["D"] == 300
    assert balances["F"] == 300


def test_a_voucher_through_the_ledger_tells_the_member(app: App) -> None:
    from regulars.store.tables import loyalty_rewards

    seed(app)
    step = {"voucher": {"name": "Free coffee", "product": "americano", "valid_days": 30}}
    launch(app, definition("coffee", {"field": "segment", "eq": "business"}, [step],
                           program="beans"), now=NOW)  # fmt: skip
    assert run(app, NOW).campaigns[0].vouchers == 2  # E and G
    run(app, NOW + timedelta(hours=1))
    with app.unit_of_work() as uow:
        c = uow.connection
        rewards = c.execute(select(loyalty_rewards.c.name, loyalty_rewards.c.expires_at)).all()
        told = c.execute(select(func.count()).where(outbox.c.topic == "reward.issued")).scalar_one()
    assert [name for name, _ in rewards] == ["Free coffee", "Free coffee"]
    assert told == 2
