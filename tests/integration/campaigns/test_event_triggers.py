"""Event triggers read what the system records, and the detractor-recovery shape of steps:
apologise when the case is resolved, wait 30 days, ask again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select, update
from tests.integration.campaigns.business import NOW, seed
from tests.integration.campaigns.campaign_helpers import assigned, definition, launch, message, run

from regulars.bootstrap import App
from regulars.domain.feedback.surveys import SurveyDefinition
from regulars.store.tables import feedback_cases, members, purchases, survey_invitations, surveys


def _event(name: str, **extra: object) -> dict[str, object]:
    return {"event": name, **extra}


def test_first_purchase_and_answers_in_the_window(app: App) -> None:
    ids = seed(app)
    task = [{"task": {"kind": "call", "title": "Call"}}]
    launch(
        app,
        definition("welcome", {}, task, trigger=_event("first_purchase")),
        definition("detractors", {}, task, trigger=_event("detractor_answer", within_days=30)),
        definition("promoters", {}, task, trigger=_event("promoter_answer", within_days=7)),
        now=NOW,
    )
    with app.unit_of_work() as uow:  # F buys for the first time; D buys again
        uow.connection.execute(
            insert(purchases),
            [
                {"external_id": f"Q-{m}", "member_id": ids[m], "channel": "store",
                 "kind": "sale", "occurred_at": NOW - timedelta(hours=1), "total_amount": 1000}
                for m in ("F", "D")
            ],
        )  # fmt: skip
        uow.commit()
    run(app, NOW)
    # First purchases within the last 7 days: D's a day ago, L's two, J's four (their
    # first ones); F's an hour ago. B's and H's first purchases are older.
    assert assigned(app, "welcome") == {"D", "F", "J", "L"}
    assert assigned(app, "detractors") == {"B", "J"}  # answered 20 days ago, 0-6
    assert assigned(app, "promoters") == set()  # A and G answered 9-10, but 20 days ago
    run(app, NOW + timedelta(hours=2))  # the next run sees only what came since
    assert assigned(app, "welcome") == {"D", "F", "J", "L"}


def test_detractor_recovery_apology_wait_and_resurvey(app: App) -> None:
    ids = seed(app)
    with app.unit_of_work() as uow:
        uow.connection.execute(
            insert(surveys).values(
                code="recheck", name="Are we better?", active=True,
                definition=SurveyDefinition.from_dict({"code": "recheck", "name": "x"}).to_json(),
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        uow.connection.execute(
            update(feedback_cases).values(status="resolved", closed_at=NOW - timedelta(hours=3))
        )
        uow.commit()
    steps = [message(marketing=False), {"wait": {"days": 30}}, {"survey": {"code": "recheck"}}]
    launch(app, definition("recovery", {}, steps, trigger=_event("case_resolved")), now=NOW)
    first = run(app, NOW)
    assert assigned(app, "recovery") == {"B"}
    assert first.campaigns[0].messages == 1
    later = run(app, NOW + timedelta(days=30, hours=1))
    assert later.campaigns[0].surveys == 1
    with app.unit_of_work() as uow:
        invited = uow.connection.execute(
            select(members.c.external_id)
            .join(survey_invitations, survey_invitations.c.member_id == members.c.id)
        ).scalars().all()  # fmt: skip
        assert invited == ["B"]
        assert (
            uow.connection.execute(
                select(func.count()).select_from(survey_invitations)
            ).scalar_one()
            == 1
        )
    assert ids["B"]
