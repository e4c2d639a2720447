"""What the staff console does to campaigns and their tasks, on both databases: a task marked
done (once, audited once, the assignee kept or set), a campaign moved by a staff user
(audited with its states) or by the CLI (no actor: not audited), and the cases view
cut to one store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from tests.integration.campaigns.business import NOW, ZONE, analytics, seed
from tests.integration.campaigns.campaign_helpers import definition, launch, run

from regulars.bootstrap import App
from regulars.domain.engagement.campaigns import State
from regulars.services import audit
from regulars.services.briefing.cases import cases_view, of_store
from regulars.services.briefing.periods import periods_ending
from regulars.services.engagement import campaign_runs, campaigns
from regulars.services.errors import Conflict, NotFound
from regulars.store.tables import feedback_cases, staff_tasks, stores, surveys

STAFF = audit.Actor("staff", 7, "mina@coffee.example")
CALL = [{"task": {"kind": "personal call", "title": "Call", "due_days": 2}}]


def _tasks(app: App) -> list[dict[str, object]]:
    launch(app, definition("calls", {"field": "segment", "eq": "vip"}, CALL), now=NOW)
    run(app, NOW)
    with app.unit_of_work() as uow:
        return campaign_runs.staff_tasks(uow, store="S1")


def test_a_task_is_marked_done_once_and_audited_once(app: App) -> None:
    seed(app)
    analytics(app)
    first, *others = _tasks(app)
    later = NOW + timedelta(hours=1)
    with app.unit_of_work() as uow:
        done = campaign_runs.finish_task(uow, int(first["id"]), later, STAFF)
        again = campaign_runs.finish_task(uow, int(first["id"]), later + timedelta(hours=1), STAFF)
        uow.commit()
    assert done["changed"]
    assert not again["changed"]
    assert (done["status"], done["assignee"], done["member"]) == ("done", STAFF.name, "A")
    with app.unit_of_work() as uow:
        row = uow.connection.execute(
            select(staff_tasks.c.status, staff_tasks.c.done_at).where(
                staff_tasks.c.id == first["id"]
            )
        ).one()
        entries = audit.entries(uow, action="task.done")
        still_open = campaign_runs.staff_tasks(uow, store="S1")
    assert row.status == "done"
    assert row.done_at is not None  # the first time it was done, not the second
    assert done["done_at"] == again["done_at"]
    assert [(e["target"], e["actor"], e["store"]) for e in entries] == [
        (str(first["id"]), STAFF.name, "S1")
    ]
    assert entries[0]["before"] == {"status": "open", "assignee": None}
    assert entries[0]["after"]["status"] == "done"
    assert [t["id"] for t in still_open] == [t["id"] for t in others]
    with app.unit_of_work() as uow, pytest.raises(NotFound):
        campaign_runs.finish_task(uow, 999_999, later, STAFF)


def test_a_campaign_moved_by_staff_is_audited_and_by_the_cli_is_not(app: App) -> None:
    seed(app)
    with app.unit_of_work() as uow:
        campaigns.install(uow, definition("calls", steps=CALL), NOW)
        campaigns.move(uow, "calls", State.RUNNING, NOW)  # as the CLI does
        campaigns.move(uow, "calls", State.PAUSED, NOW, STAFF)
        unchanged = campaigns.move(uow, "calls", State.PAUSED, NOW, STAFF)
        campaigns.move(uow, "calls", State.RUNNING, NOW, STAFF)
        with pytest.raises(Conflict):
            campaigns.move(uow, "calls", State.DRAFT, NOW, STAFF)
        uow.commit()
    assert unchanged["changed"] is False
    with app.unit_of_work() as uow:
        moves = [
            (e["action"], e["target"], e["before"], e["after"], e["actor"])
            for e in reversed(audit.entries(uow))
            if e["action"].startswith("campaign.")
        ]
        state = campaigns.show(uow, "calls")["state"]
    assert state == "running"
    assert moves == [
        ("campaign.pause", "calls", {"state": "running"}, {"state": "paused"}, STAFF.name),
        ("campaign.launch", "calls", {"state": "paused"}, {"state": "running"}, STAFF.name),
    ]


def test_the_cases_view_of_one_store(app: App) -> None:
    seed(app)  # its one open case has no store; one more, overdue, at S2
    with app.unit_of_work() as uow:
        c = uow.connection
        store = c.execute(select(stores.c.id).where(stores.c.code == "S2")).scalar_one()
        survey = c.execute(select(surveys.c.id)).scalars().first()
        c.execute(
            insert(feedback_cases).values(
                response_id="R-S2", survey_id=survey, score=2, status="open", store_id=store,
                opened_at=NOW - timedelta(days=3), due_at=NOW - timedelta(days=1),
                updated_at=NOW - timedelta(days=3),
            )
        )  # fmt: skip
        uow.commit()
    _, current = periods_ending(NOW.date(), 30, ZONE)
    with app.unit_of_work() as uow:
        view = cases_view(uow, NOW, current)
    assert {s.code for s in view.stores} == {None, "S2"}
    one = of_store(view, "S2")
    assert [(s.code, s.store, s.open, s.overdue, s.opened) for s in one.stores] == [
        ("S2", "Haeundae", 1, 1, 1)
    ]
    assert (one.open, one.overdue) == (1, 1)
    assert view.open == 2
    assert of_store(view, None) is view
    assert of_store(view, "S1").stores == ()
