"""The answer page over HTTP: forged, reused and expired links get a clear page (never a
server error), answers land once, in the member's language."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, update

from regulars.api.app import create_api
from regulars.bootstrap import App
from regulars.domain.feedback.links import make_token
from regulars.services.feedback import cases, responses, surveys
from regulars.services.feedback import links as link_service
from regulars.services.feedback.dispatch import invite_after_purchases
from regulars.store.feedback import answers as feedback
from regulars.store.tables import feedback_cases, outbox, survey_answers, survey_invitations

NOW = datetime.now(UTC)
NPS_SURVEY = {
    "code": "after-purchase",
    "name": "After your purchase",
    "csat": ["touchpoint", "employee"],
    "drivers": ["price", "quality", "delivery", "service", "staff"],
    "ask_importance": True,
    "wallet_category": "coffee",
    "intent_rebuy": True,
    "test_opt_in": True,
}


@pytest.fixture
def links(business: App) -> dict[str, str]:
    """The links sent after purchases, by language (M1 reads Korean, M2 English)."""
    with business.unit_of_work() as uow:
        report = invite_after_purchases(
            uow,
            "after-purchase",
            datetime(2026, 10, 20, 12, tzinfo=UTC),
            secret=business.settings.secret_key,
            base_url="",
        )
        uow.commit()
    with business.unit_of_work() as uow:
        rows = list(
            uow.connection.execute(
                select(survey_invitations.c.language).order_by(survey_invitations.c.id)
            ).mappings()
        )
        # the fixture's purchases are in October; make the links valid today
        uow.connection.execute(
            update(survey_invitations).values(expires_at=NOW + timedelta(days=14))
        )
        uow.commit()
    by_language = {row["language"]: link for row, link in zip(rows, report.links, strict=True)}
    assert set(by_language) == {"ko", "en"}
    return by_language


@pytest.fixture
def client(business: App) -> Iterator[TestClient]:
    with TestClient(create_api(business), raise_server_exceptions=True) as test_client:
        yield test_client


def test_the_page_speaks_the_members_language(client: TestClient, links: dict[str, str]) -> None:
    korean = client.get(links["ko"])
    english = client.get(links["en"])
    assert korean.status_code == english.status_code == 200
    assert '<html lang="ko">' in korean.text
    assert "추천하실 가능성" in korean.text
    assert "How likely are you to recommend us" in english.text
    switched = client.get(links["ko"] + "?lang=en")
    assert "How likely are you to recommend us" in switched.text
    assert korean.headers["cache-control"] == "no-store"


def test_every_input_has_a_label(client: TestClient, links: dict[str, str]) -> None:
    page = client.get(links["en"]).text
    assert page.count('<input type="radio"') == page.count('<label><input type="radio"')
    assert '<label class="block" for="nps_why">' in page
    assert '<label class="block" for="share_of_wallet">' in page


def test_a_forged_token_gets_a_clear_page(client: TestClient, business: App) -> None:
    forged = make_token("not the installation's secret")
    tampered = forged.split(".")[0] + ".tampered"
    for token in (forged, "nonsense", "a.b", "x" * 500, tampered, "가.나", "%00.%ff"):
        response = client.get(f"/s/{token}")
        assert response.status_code == 404
        assert "This link does not work" in response.text or "사용할 수 없는 링크" in response.text
        posted = client.post(f"/s/{token}", data={"nps": "9"})
        assert posted.status_code == 404
    genuine_but_unknown = make_token(business.settings.secret_key)
    assert client.get(f"/s/{genuine_but_unknown}").status_code == 404


def test_a_link_answers_once(client: TestClient, links: dict[str, str], business: App) -> None:
    answer = {
        "nps": "4",
        "nps_why": "The staff ignored me",
        "nps_to_10": "Friendlier service",
        "csat.touchpoint": "2",
        "csat.employee": "1",
        "driver_rating.service": "1",
        "driver_importance.service": "5",
        "share_of_wallet": "40",
        "intent_rebuy": "2",
        "test_opt_in": "0",
        "lang": "en",
    }
    first = client.post(links["en"], data=answer)
    assert first.status_code == 200
    assert "Thank you!" in first.text
    assert "Someone from our team will get back to you" in first.text
    again = client.post(links["en"], data=answer)
    assert again.status_code == 410
    assert "You have already answered" in again.text
    assert client.get(links["en"]).status_code == 410
    with business.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
        [case] = cases.list_cases(uow)
    assert len(frame) == 10
    assert set(frame["source"]) == {"link"}
    assert set(frame["language"]) == {"en"}
    assert case["score"] == 4
    assert case["reason"] == "The staff ignored me"
    employee_csat = frame[(frame["question"] == "csat") & frame["employee"].notna()]
    assert employee_csat["value"].tolist() == [1.0]


def test_an_expired_link_gets_a_clear_page(
    client: TestClient, links: dict[str, str], business: App
) -> None:
    with business.unit_of_work() as uow:
        uow.connection.execute(
            update(survey_invitations).values(expires_at=NOW - timedelta(minutes=1))
        )
        uow.commit()
    response = client.get(links["ko"])
    assert response.status_code == 410
    assert "설문이 마감되었습니다" in response.text
    posted = client.post(links["ko"], data={"nps": "10"})
    assert posted.status_code == 410
    with business.unit_of_work() as uow:
        assert feedback.answers_frame(uow.connection).empty


def test_a_missing_score_shows_the_form_again_with_the_error(
    client: TestClient, links: dict[str, str]
) -> None:
    response = client.post(links["en"], data={"nps_why": "hmm", "nps": "12"})
    assert response.status_code == 422
    assert "Please check your answers" in response.text
    assert 'aria-invalid="true"' in response.text
    assert ">hmm</textarea>" in response.text
    # the link is still usable
    assert client.post(links["en"], data={"nps": "9"}).status_code == 200


def test_a_link_to_an_ended_survey_gets_a_clear_page(
    client: TestClient, links: dict[str, str], business: App
) -> None:
    with business.unit_of_work() as uow:
        surveys.define_survey(uow, {**NPS_SURVEY, "active": False}, NOW)
        uow.commit()
    response = client.get(links["en"])
    assert response.status_code == 410
    assert "This survey has ended" in response.text
    assert client.post(links["en"], data={"nps": "9"}).status_code == 410


def test_a_promoters_what_would_make_it_a_10_is_not_kept(
    client: TestClient, links: dict[str, str], business: App
) -> None:
    answer = {"nps": "10", "nps_why": "Great", "nps_to_10": "Nothing", "share_of_wallet": "80"}
    response = client.post(links["ko"], data=answer)
    assert response.status_code == 200
    assert "친구에게 추천해 주세요" in response.text
    with business.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
    assert sorted(frame["question"]) == ["nps", "nps_why", "share_of_wallet"]


def _stored(connection: Connection) -> tuple[list[dict[str, object]], ...]:
    """Every answer, case and message, without the ids the database hands out."""

    def rows(table, order):  # type: ignore[no-untyped-def]
        query = select(*[c for c in table.c if c.name != "id"]).order_by(*order)
        return [dict(r) for r in connection.execute(query).mappings()]

    a = survey_answers.c
    messages = rows(outbox, [outbox.c.topic])
    for message in messages:  # a case's id differs: PostgreSQL does not roll sequences back
        message["payload"] = {
            k: v for k, v in json.loads(str(message["payload"])).items() if k != "case_id"
        }
    return (
        rows(survey_answers, [a.question, a.subject]),
        rows(feedback_cases, [feedback_cases.c.id]),
        messages,
    )


@pytest.mark.parametrize("score", ["3", "8", "10"])
def test_a_link_answer_stores_the_rows_of_the_checked_path(
    links: dict[str, str], business: App, score: str
) -> None:
    """The page writes by the invitation's ids; before, it wrote rows of codes through the
    checks of a file. Both must store the same answers, case and messages."""
    form = {
        "nps": score,
        "nps_why": "  Slow at the counter  ",
        "nps_to_10": "Faster service",
        "csat.touchpoint": "2",
        "csat.employee": "4",
        "driver_rating.service": "1",
        "driver_importance.price": "5",
        "share_of_wallet": "40",
        "intent_rebuy": "3",
        "test_opt_in": "1",
    }
    token = links["en"].rsplit("/", 1)[1]
    secret = business.settings.secret_key
    with business.unit_of_work() as uow:
        link = link_service.open_link(uow, token, secret, NOW)
        assert link.definition is not None
        assert link.invitation_id is not None
        submitted = link_service.form_answers(link.definition, form)
        response_id = f"link-{link.invitation_id}"
        frame = responses.answer_rows(
            link.context["survey"], response_id, NOW, link.context, submitted.answers
        )
        report = responses.record_rows(uow, frame, "link", "Asia/Seoul", NOW)
        assert not report.errors
        before = _stored(uow.connection)
        uow.rollback()
    with business.unit_of_work() as uow:
        answered = link_service.answer_link(uow, token, secret, form, NOW)
        uow.commit()
    assert answered.recorded
    with business.unit_of_work() as uow:
        after = _stored(uow.connection)
    assert after == before
    answers, opened, messages = after
    assert len(answers) == (9 if score == "10" else 10)
    assert len(opened) == (score == "3")
    follow_ups = [m["topic"] for m in messages if str(m["topic"]).startswith("feedback.")]
    assert (
        follow_ups
        == {"3": ["feedback.case_opened"], "8": [], "10": ["feedback.referral_invite"]}[score]
    )


def test_only_questions_whose_subject_exists_are_asked_for_a_truthful_time(
    client: TestClient, links: dict[str, str], business: App
) -> None:
    """A visit without an employee is not asked to rate "the employee" under the store's
    name, a posted answer to that question is not kept, and the page's stated length
    follows from its questions (19 questions are not "about a minute")."""
    with_employee = client.get(links["en"]).text
    assert 'name="csat.employee"' in with_employee
    with business.unit_of_work() as uow:
        uow.connection.execute(update(survey_invitations).values(employee_id=None))
        uow.commit()
    page = client.get(links["en"]).text
    assert 'name="csat.employee"' not in page
    assert 'name="csat.department"' not in page
    asked = len(set(re.findall(r'<(?:input|textarea)[^>]*name="([^"]+)"', page)) - {"lang"})
    # nps, why, to 10, 1 CSAT, 5 drivers x (rating + importance), wallet, rebuy, opt-in = 17
    assert asked == 17
    assert "It takes about 3 minutes." in page  # 15 choices x 6 s + 2 comments x 30 s
    assert "about a minute" not in page
    answer = {"nps": "9", "csat.touchpoint": "5", "csat.employee": "1", "lang": "en"}
    assert client.post(links["en"], data=answer).status_code == 200
    with business.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
    assert sorted(frame["question"]) == ["csat", "nps"]  # the employee's rating was not asked
