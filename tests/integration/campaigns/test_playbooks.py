"""The shipped playbooks on the test business (SQLite and PostgreSQL): every one is defined
and previews the members computed by hand; detractor recovery end to end, through the real
answer, case, campaign, survey and results paths; the referral code in the promoter's
message; the tier-at-risk field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from tests.integration.campaigns.business import (
    NOW,
    ZONE,
    analytics,
    members_of_business,
    seed,
)
from tests.integration.campaigns.campaign_helpers import assigned, campaign_events, compose, run

from regulars.bootstrap import App
from regulars.domain.engagement.campaigns import State, default_seed, in_holdout
from regulars.domain.feedback.surveys import SurveyDefinition
from regulars.services.engagement import campaign_results, campaigns, playbooks
from regulars.services.engagement.plans import Send
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.services.feedback import answers, cases
from regulars.store.feedback.answers import AnswerRow
from regulars.store.tables import (
    loyalty_accounts,
    members,
    outbox,
    survey_invitations,
    surveys,
)

# Who each playbook takes on the business at NOW (10:00, 10 December in Seoul), by hand:
EXPECTED = {
    "birthday": {"D", "F"},  # born on 10 December, both with e-mail consent
    "win-back": {"A", "E"},  # P(alive) < 0.3 and 30,000+ at risk (K's 0.3 is not below)
    "points-expiring": {"E"},  # 700 points expire in 10 days
    "tier-at-risk": {"H"},  # set below: H's grace ends in 10 days, J's in 20
    "post-purchase-survey": {"D"},  # bought yesterday (local time)
    "vip-service": {"A", "B", "E", "G", "J"},  # vip and business; a task needs no consent
}


def _survey(app: App, code: str) -> None:
    with app.unit_of_work() as uow:
        uow.connection.execute(
            insert(surveys).values(
                code=code, name="Are we better?", active=True,
                definition=SurveyDefinition.from_dict({"code": code, "name": "x"}).to_json(),
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        uow.commit()


def _ids(app: App) -> dict[str, int]:
    with app.unit_of_work() as uow:
        return dict(uow.connection.execute(select(members.c.external_id, members.c.id)).all())


def _preview(app: App, code: str, now: datetime = NOW) -> set[str]:
    with app.unit_of_work() as uow:
        found = campaigns.preview(uow, code, now=now, timezone=ZONE, sample=100)
    assert found["size"] == len(found["sample"])
    return {row["member_id"] for row in found["sample"]}


def test_every_playbook_is_defined_as_a_draft_and_previews(app: App) -> None:
    ids = seed(app)
    analytics(app)
    with app.unit_of_work() as uow:  # H's tier is in its grace period for 10 more days
        for member, days in (("H", 10), ("J", 20)):
            uow.connection.execute(
                update(loyalty_accounts)
                .where(loyalty_accounts.c.member_id == ids[member])
                .values(tier_grace_until=NOW + timedelta(days=days))
            )
        uow.commit()
    listed = playbooks.list_playbooks()
    assert {p["code"] for p in listed} >= set(EXPECTED) | {
        "welcome", "detractor-recovery", "promoter-referral", "tier-up",
    }  # fmt: skip
    for p in listed:
        assert p["summary"]["ko"]
        assert p["summary"]["en"]
        with app.unit_of_work() as uow:
            made = playbooks.create(uow, p["code"], program="beans", survey="nps")
            uow.commit()
        assert (made["code"], made["state"], made["version"]) == (p["code"], "draft", 1)
        previewed = _preview(app, p["code"])
        if p["code"] in EXPECTED:
            assert previewed == EXPECTED[p["code"]], p["code"]
    with app.unit_of_work() as uow:
        assert {c["state"] for c in campaigns.list_campaigns(uow)} == {"draft"}


def test_a_playbook_needs_what_it_names_and_a_free_code(app: App) -> None:
    seed(app)
    _survey(app, "recheck")  # now two surveys: the playbook cannot choose
    with app.unit_of_work() as uow:
        with pytest.raises(NotFound, match="no playbook with code 'nope'"):
            playbooks.create(uow, "nope")
        with pytest.raises(Invalid, match="needs a survey: name one"):
            playbooks.create(uow, "detractor-recovery")
        with pytest.raises(Invalid, match="no loyalty program has this code"):
            playbooks.create(uow, "birthday", program="other")
        # the only program is taken when none is named; recovery points are optional
        made = playbooks.create(uow, "birthday")
        assert campaigns.show(uow, "birthday")["definition"]["program"] == "beans"
        with pytest.raises(Conflict, match="exists already"):
            playbooks.create(uow, "birthday")
        plain = playbooks.create(
            uow, "detractor-recovery", new_code="sorry", survey="recheck", gifts=False
        )
        steps = campaigns.show(uow, "sorry")["definition"]["steps"]
        assert [next(iter(s)) for s in steps] == ["message", "wait", "survey"]
        assert steps[-1]["survey"]["code"] == "recheck"
    assert made["state"] == plain["state"] == "draft"


def _answer(app: App, member: int, response: str, score: int, at: datetime) -> None:
    with app.unit_of_work() as uow:
        survey_id = uow.connection.execute(
            select(surveys.c.id).where(surveys.c.code == "nps")
        ).scalar_one()
        row = AnswerRow(response, survey_id, member, "nps", "-", float(score), None, "ko",
                        None, None, None, None, None, at, "api")  # fmt: skip
        answers.add_answers(uow, [row], at)
        uow.commit()


def _treated_code(base: str, *member_ids: int) -> str:
    """A campaign code whose holdout draw leaves these members treated (10 %)."""
    for n in range(100):
        code = f"{base}-{n}"
        if not any(in_holdout(default_seed(code), m, 10) for m in member_ids):
            return code
    raise AssertionError("no code found")


def test_detractor_recovery_end_to_end(app: App) -> None:
    """A detractor answer opens a case; resolving it brings the apology (a service message,
    sent even at night) and the recovery points; 30 days later the re-survey; a passive
    answer then counts as recovered, another detractor's does not."""
    ids = seed(app)
    _survey(app, "recheck")
    d, f = ids["D"], ids["F"]
    code = _treated_code("recovery", d, f)
    with app.unit_of_work() as uow:
        playbooks.create(uow, "detractor-recovery", new_code=code, survey="recheck")
        campaigns.move(uow, code, State.RUNNING, NOW)
        uow.commit()
    _answer(app, d, "R-D-2", 2, NOW)
    _answer(app, f, "R-F-2", 4, NOW)
    with app.unit_of_work() as uow:
        opened = {c["member_id"]: c for c in cases.list_cases(uow, status=["open"])}
        assert {"D", "F"} <= set(opened)
        for member in ("D", "F"):
            cases.update_case(uow, opened[member]["id"], NOW + timedelta(hours=1),
                              status="resolved")  # fmt: skip
        uow.commit()
    first = run(app, NOW + timedelta(hours=2))
    assert assigned(app, code) == {"D", "F"}  # B's case is still open: no apology yet
    day = next(c for c in first.campaigns if c.code == code)
    assert (day.messages, day.gifts, day.points) == (2, 2, 1000)
    apology = next(e for e in campaign_events(app) if e.member_id == d)
    assert apology.payload["marketing"] is False
    night = datetime(2026, 12, 10, 13, 30, tzinfo=UTC)  # 22:30 in Seoul: still sent
    sent = compose(app, apology, night)
    assert isinstance(sent, Send)
    assert "죄송합니다" in (sent.deliveries[0].delivery.subject or "")
    assert not (sent.deliveries[0].delivery.subject or "").startswith("(광고)")
    assert run(app, NOW + timedelta(days=29)).campaigns[0].surveys == 0  # still waiting
    later = run(app, NOW + timedelta(days=30, hours=3))
    assert next(c for c in later.campaigns if c.code == code).surveys == 2
    with app.unit_of_work() as uow:
        invited = set(
            uow.connection.execute(
                select(survey_invitations.c.member_id).join(
                    surveys, surveys.c.id == survey_invitations.c.survey_id
                ).where(surveys.c.code == "recheck")
            ).scalars()
        )  # fmt: skip
    assert invited == {d, f}
    at = NOW + timedelta(days=31)
    _answer(app, d, "R-D-3", 7, at)  # passive: recovered
    _answer(app, f, "R-F-3", 5, at)  # a detractor still
    with app.unit_of_work() as uow:
        found = campaign_results.results(uow, code, at + timedelta(hours=1))
    assert found["recovery"] == {
        "resurveyed": 2, "answered": 2, "recovered": 1, "recovered_share": 0.5,
    }  # fmt: skip
    assert found["arms"]["treated"]["recovered"] == 1
    with app.unit_of_work() as uow:  # an answer before the re-survey does not count
        early = campaign_results.results(uow, code, NOW + timedelta(days=30))
    assert early["recovery"]["answered"] == 0


def test_the_promoter_hears_their_referral_code(app: App) -> None:
    people = [
        dataclasses.replace(m, external_id="CARD-7001") if m.external_id == "A" else m
        for m in members_of_business()
    ]
    ids = seed(app, people)
    member = ids["CARD-7001"]
    code = _treated_code("referral", member)
    with app.unit_of_work() as uow:
        playbooks.create(uow, "promoter-referral", new_code=code)
        campaigns.move(uow, code, State.RUNNING, NOW)
        uow.commit()
    _answer(app, member, "R-A-2", 10, NOW - timedelta(hours=1))
    run(app, NOW)
    assert assigned(app, code) == {"CARD-7001"}
    event = next(e for e in campaign_events(app) if e.member_id == member)
    sent = compose(app, event, NOW + timedelta(minutes=1))
    assert isinstance(sent, Send)
    assert "CARD-7001" in (sent.deliveries[0].delivery.text or "")


def test_days_until_tier_downgrade_counts_local_days(app: App) -> None:
    ids = seed(app)
    with app.unit_of_work() as uow:  # 23:30 on 24 December in Seoul: 14 local days away
        uow.connection.execute(
            update(loyalty_accounts)
            .where(loyalty_accounts.c.member_id == ids["H"])
            .values(tier_grace_until=datetime(2026, 12, 24, 14, 30, tzinfo=UTC))
        )
        playbooks.create(uow, "tier-at-risk", program="beans")
        uow.commit()
    assert _preview(app, "tier-at-risk") == {"H"}
    assert _preview(app, "tier-at-risk", NOW - timedelta(days=1)) == set()  # 15 days away


def test_a_campaigns_resurvey_invites_in_bulk_under_the_survey_rules(app: App) -> None:
    """The re-survey step's invitations (written together) follow the one-at-a-time rules:
    consent, the cooldown since any invitation, each member once, never twice a key."""
    from regulars.services.feedback.dispatch import invite_members

    ids = seed(app)
    _survey(app, "recheck")
    wanted = [ids["D"], ids["C"], ids["I"], ids["D"], ids["H"]]
    with app.unit_of_work() as uow:
        first = invite_members(uow, "recheck", wanted, NOW, secret="s", base_url="http://x",
                               key="k")  # fmt: skip
        uow.commit()
    assert first.invited == 2  # D and H; C withdrew, I never consented
    assert first.skipped == {"no_consent": 2}
    assert len(first.links) == 2
    with app.unit_of_work() as uow:
        again = invite_members(uow, "recheck", wanted, NOW, secret="s", base_url="http://x",
                               key="k")  # fmt: skip
        later = invite_members(uow, "recheck", [ids["D"]], NOW + timedelta(days=1),
                               secret="s", base_url="http://x", key="other",
                               cooldown=timedelta(days=30))  # fmt: skip
        rows = uow.connection.execute(
            select(survey_invitations.c.member_id, survey_invitations.c.channel)
        ).all()
        events = uow.connection.execute(
            select(outbox.c.member_id).where(outbox.c.topic == "survey.invitation")
        ).scalars().all()  # fmt: skip
    assert again.invited == 0
    assert again.skipped["already_invited"] == 2
    assert later.skipped == {"cooldown": 1}
    assert sorted(rows) == sorted([(ids["D"], "email"), (ids["H"], "email")])
    assert sorted(events) == sorted([ids["D"], ids["H"]])
