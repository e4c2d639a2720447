"""The exit survey on both databases: a cancelled contract's member is invited once, through
the ordinary invitation → outbox path, in their language; the answer page asks "why are you
leaving?" and lands the answer on the contract; the reasons are analysed by plan, segment
and month with the competitor named most."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.api.app import create_api
from regulars.bootstrap import App
from regulars.services.engagement.messages import Event, Send, compose
from regulars.services.errors import Invalid
from regulars.services.feedback import surveys
from regulars.services.feedback.dispatch import invite_after_purchases, invite_wave
from regulars.services.imports.files import import_file
from regulars.services.subscriptions import analysis, exits, recording
from regulars.store import outbox
from regulars.store.tables import feedback_cases, subscription_exit_answers, survey_answers

NOW = datetime.now(UTC)
TODAY = NOW.date()
EXIT_SURVEY = {
    "code": "leaving",
    "name": "Before you go",
    "kind": "exit",
    "drivers": ["network", "price", "service"],
}


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def operator(app: App, tmp_path: Path) -> App:
    files = {
        "members": "member_id,name,email,locale,segment,consent_email\n"
        "K1,김민준,k1@example.com,ko,individual,yes\n"
        "E1,Jane Lee,e1@example.com,en,business,yes\n"
        "N1,No Consent,n1@example.com,en,individual,no\n",
        "subscriptions": "subscription_id,member_id,plan,monthly_fee,started_on,cancelled_on,"
        "cancel_reason,competitor\n"
        f"L-K1,K1,5G,55000,2024-01-01,{_day(3)},,\n"
        f"L-E1,E1,LTE,33000,2023-05-01,{_day(10)},competitor,KT\n"
        f"L-N1,N1,5G,55000,2024-01-01,{_day(2)},price,\n"
        f"L-OLD,E1,5G,55000,2022-01-01,{_day(200)},moving,\n"
        f"L-NEXT,K1,LTE,33000,2024-01-01,{(TODAY + timedelta(days=20)).isoformat()},,\n"
        "L-ON,K1,LTE,33000,2025-01-01,,,\n",
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        report = import_file(kind, tmp_path / f"{kind}.csv", app.run_committed, timezone="UTC")  # type: ignore[arg-type]
        assert not report.errors, report.errors
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, EXIT_SURVEY, NOW)
        surveys.define_survey(uow, {"code": "nps", "name": "NPS"}, NOW)
        uow.commit()
    return app


def _invite(app: App, **options: object) -> exits.DispatchReport:
    with app.unit_of_work() as uow:
        report = exits.invite_after_cancellations(
            uow,
            NOW,
            secret=app.settings.secret_key,
            base_url="http://testserver",
            timezone="UTC",
            **options,  # type: ignore[arg-type]
        )
        uow.commit()
    return report


def _invitations(app: App) -> list[Event]:
    with app.unit_of_work() as uow:
        return [
            Event.from_row(r)
            for r in outbox.topics(uow.connection)
            if r["topic"] == "survey.invitation"
        ]


def test_recent_cancellations_are_invited_once_in_their_language(operator: App) -> None:
    report = _invite(operator)
    # K1 and E1 cancelled within 30 days; N1 gave no consent; L-OLD is too old, L-NEXT not yet
    assert report.invited == 2
    assert report.skipped == {"no_consent": 1}
    again = _invite(operator)
    assert (again.invited, again.skipped["already_invited"]) == (0, 2)
    events = _invitations(operator)
    assert {e.payload["occasion"] for e in events} == {"cancellation"}
    with operator.unit_of_work() as uow:
        plans = [compose(uow, e, NOW, operator.settings) for e in events]
    texts = []
    for plan in plans:
        assert isinstance(plan, Send), plan
        (planned,) = plan.deliveries
        texts.append(planned.delivery.subject + planned.delivery.text)
        assert not planned.delivery.marketing  # about the member's own contract: no advert
    assert any("해지하시는 이유" in t for t in texts)  # Korean for K1
    assert any("why are you leaving?" in t for t in texts)  # English for E1
    # the older cancellation comes in with a longer look back, once
    assert _invite(operator, lookback_days=365).invited == 1


def test_an_exit_survey_goes_out_on_cancellations_only(operator: App) -> None:
    with operator.unit_of_work() as uow, pytest.raises(Invalid, match="is an exit survey"):
        invite_after_purchases(uow, "leaving", NOW, secret="s", base_url="")
    with operator.unit_of_work() as uow, pytest.raises(Invalid, match="is an exit survey"):
        invite_wave(uow, "leaving", "2026-Q4", NOW, secret="s", base_url="")
    with operator.unit_of_work() as uow, pytest.raises(Invalid, match="not an exit survey"):
        exits.invite_after_cancellations(
            uow, NOW, secret="s", base_url="", timezone="UTC", survey="nps"
        )


@pytest.fixture
def client(operator: App) -> Iterator[TestClient]:
    with TestClient(create_api(operator)) as test_client:
        yield test_client


def test_the_answer_page_asks_why_and_lands_the_answer_on_the_contract(
    operator: App, client: TestClient
) -> None:
    report = _invite(operator, subscriptions=["L-K1"])
    (link,) = [x.replace("http://testserver", "") for x in report.links]
    page = client.get(link)
    assert page.status_code == 200
    assert "떠나시기 전에" in page.text
    assert "해지하시는 가장 큰 이유" in page.text
    assert page.text.count('name="exit_reason"') == 6
    assert 'name="exit_competitor"' in page.text
    assert 'name="nps"' in page.text
    english = client.get(link + "?lang=en")
    assert "Why are you leaving us?" in english.text
    missing = client.post(link, data={"nps": "3", "lang": "en"})
    assert missing.status_code == 422
    assert "Please choose the main reason." in missing.text
    answered = client.post(
        link,
        data={
            "exit_reason": "competitor",
            "exit_competitor": "  LG U+ ",
            "exit_comment": "더 싼 요금제를 찾았어요",
            "nps": "3",
            "driver_rating.network": "2",
        },
    )
    assert answered.status_code == 200
    assert client.post(link, data={"exit_reason": "price", "nps": "9"}).status_code == 410
    with operator.unit_of_work() as uow:
        contract = recording.get_subscription(uow, "L-K1")
        scores = uow.connection.execute(
            select(survey_answers.c.question, survey_answers.c.value).order_by(
                survey_answers.c.question
            )
        ).all()
        cases = uow.connection.execute(select(func.count()).select_from(feedback_cases)).scalar()
    (answer,) = contract["exit_answers"]
    assert (answer["reason"], answer["competitor"], answer["comment"]) == (
        "competitor",
        "LG U+",
        "더 싼 요금제를 찾았어요",
    )
    assert (answer["survey"], answer["source"], answer["language"]) == ("leaving", "link", "ko")
    assert scores == [("driver_rating", 2.0), ("nps", 3.0)]
    assert cases == 1  # a detractor leaving is still followed up


def test_a_call_centre_records_the_reason_once(operator: App, client: TestClient) -> None:
    from tests.e2e.conftest import make_key

    pos = {"Authorization": f"Bearer {make_key(operator, 'pos')}"}
    body = {"reason": "network", "comment": "no signal at home"}
    first = client.post("/v1/subscriptions/L-E1/exit", headers=pos, json=body)
    again = client.post("/v1/subscriptions/L-E1/exit", headers=pos, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == {"response_id": "api-exit-L-E1", "added": True}
    active = client.post("/v1/subscriptions/L-ON/exit", headers=pos, json=body)
    assert active.status_code == 422
    assert active.json()["error"]["details"][0]["reason"] == "is not cancelled"
    assert client.post("/v1/subscriptions/NOPE/exit", headers=pos, json=body).status_code == 404
    with operator.unit_of_work() as uow:
        stored = uow.connection.execute(
            select(subscription_exit_answers.c.language, subscription_exit_answers.c.source)
        ).all()
    assert stored == [("en", "api")]


def test_reasons_are_shared_out_with_intervals_and_the_competitor_named_most(
    operator: App, tmp_path: Path
) -> None:
    within = {"since": date(2025, 1, 1), "until": date(2025, 12, 31)}
    with operator.unit_of_work() as uow:
        assert analysis.reasons(uow, **within)["cancellations"] == 0  # type: ignore[arg-type]
    rows = (
        "subscription_id,member_id,plan,monthly_fee,started_on,cancelled_on,cancel_reason,"
        "competitor\n"
    )
    for n, rival in enumerate(["KT", "kt ", "SKT", "KT", "LG U+"]):
        rows += f"C{n},K1,5G,55000,2024-01-01,2025-0{n % 2 + 3}-15,competitor,{rival}\n"
    rows += "P1,E1,LTE,33000,2024-01-01,2025-03-01,price,\n"
    rows += "X1,E1,LTE,33000,2024-01-01,2025-04-02,,\n"
    (tmp_path / "more.csv").write_text(rows, encoding="utf-8")
    report = import_file(
        "subscriptions", tmp_path / "more.csv", operator.run_committed, timezone="UTC"
    )
    assert not report.errors, report.errors
    with operator.unit_of_work() as uow:
        overall = analysis.reasons(uow, **within)  # type: ignore[arg-type]
        by_month = analysis.reasons(uow, by="month", **within)  # type: ignore[arg-type]
        by_plan = analysis.reasons(uow, by="plan", **within)  # type: ignore[arg-type]
        with pytest.raises(Invalid):
            analysis.reasons(uow, by="colour")
        with pytest.raises(Invalid):
            analysis.reasons(uow, since=date(2025, 2, 1), until=date(2025, 1, 1))
    (everyone,) = overall["groups"]
    assert (everyone["cancellations"], everyone["with_reason"]) == (7, 6)
    assert [(r["reason"], r["count"]) for r in everyone["reasons"]] == [
        ("competitor", 5),
        ("price", 1),
    ]
    competitor = everyone["reasons"][0]
    assert competitor["share"] == pytest.approx(5 / 6)
    assert competitor["low"] < 5 / 6 < competitor["high"] <= 1
    rival = everyone["competitor"]  # "KT", "kt " and "KT" are one company
    assert (rival["name"], rival["count"], rival["named"]) == ("KT", 3, 5)
    assert [g["group"] for g in by_month["groups"]] == ["all", "2025-03", "2025-04"]
    assert [g["group"] for g in by_plan["groups"]] == ["all", "5G", "LTE"]
    lte = by_plan["groups"][2]
    assert (lte["cancellations"], lte["with_reason"], lte["competitor"]) == (2, 1, None)


def test_the_stated_reason_is_the_members_own_word_before_the_operators(
    operator: App, client: TestClient
) -> None:
    from tests.e2e.conftest import make_key

    pos = {"Authorization": f"Bearer {make_key(operator, 'pos')}"}
    said = {"reason": "price", "competitor": "SKT"}
    assert client.post("/v1/subscriptions/L-E1/exit", headers=pos, json=said).status_code == 201
    with operator.unit_of_work() as uow:
        found = analysis.reasons(uow, since=TODAY - timedelta(days=30))
    (everyone,) = found["groups"]
    # L-E1: the operator recorded "competitor KT", the member said "price, SKT"
    assert {r["reason"]: r["count"] for r in everyone["reasons"]} == {"price": 2}
    assert everyone["from_survey"] == 1
    assert everyone["competitor"]["name"] == "SKT"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", found["since"])
