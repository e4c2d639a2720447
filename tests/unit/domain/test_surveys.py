"""The survey rules: NPS classes, answer scales, definitions, cooldown, sampling, follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.feedback.cases import CaseStatus, FollowUp, follow_up, may_move
from regulars.domain.feedback.links import is_genuine, make_token, token_hash
from regulars.domain.feedback.nps import NpsClass, classify
from regulars.domain.feedback.surveys import (
    DEFAULT_COOLDOWN,
    QuestionKind,
    SurveyDefinition,
    may_invite,
    sampled,
    value_problem,
)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, NpsClass.DETRACTOR),
        (6, NpsClass.DETRACTOR),
        (7, NpsClass.PASSIVE),
        (8, NpsClass.PASSIVE),
        (9, NpsClass.PROMOTER),
        (10, NpsClass.PROMOTER),
    ],
)
def test_nps_classes_start_at_zero_and_passives_are_7_and_8(score: int, expected: NpsClass) -> None:
    assert classify(score) is expected


@pytest.mark.parametrize("score", [-1, 11, 10.5])
def test_scores_outside_0_to_10_are_refused(score: float) -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        classify(score)


def test_answer_values_must_fit_their_scale() -> None:
    assert value_problem(QuestionKind.NPS, 10, None) is None
    assert value_problem(QuestionKind.NPS, 7.5, None) == "must be a whole number from 0 to 10"
    assert value_problem(QuestionKind.CSAT, 0, None) == "must be a whole number from 1 to 5"
    assert value_problem(QuestionKind.SHARE_OF_WALLET, 100, None) is None
    assert value_problem(QuestionKind.TEST_OPT_IN, 2, None) == "must be a whole number from 0 to 1"
    assert value_problem(QuestionKind.NPS_WHY, None, "") == "needs a text answer"
    assert value_problem(QuestionKind.DRIVER_RATING, None, None) == "needs a number"


def test_a_definition_lists_its_questions_in_order() -> None:
    survey = SurveyDefinition.from_dict(
        {
            "code": "after-purchase",
            "name": "After purchase",
            "csat": ["touchpoint", "employee"],
            "drivers": True,
            "ask_importance": True,
            "wallet_category": "coffee",
            "intent_rebuy": True,
            "test_opt_in": True,
        }
    )
    keys = [q.key for q in survey.questions()]
    assert keys[:5] == ["nps", "nps_why", "nps_to_10", "csat.touchpoint", "csat.employee"]
    assert keys[5:10] == [f"driver_rating.{d}" for d in survey.drivers]
    assert survey.drivers == ("price", "quality", "delivery", "service", "staff")
    assert keys[-3:] == ["share_of_wallet", "intent_rebuy", "test_opt_in"]
    assert SurveyDefinition.from_json(survey.to_json()) == survey


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "x", "name": "X", "sampling": 1.5}, "sampling: must be between 0 and 1"),
        ({"code": "bad code!", "name": "X"}, "code: 1-64 letters"),
        ({"code": "x", "name": "X", "csat": ["moon"]}, "csat: choose among"),
        ({"code": "x", "name": "X", "nps": False}, "the survey asks nothing"),
        ({"code": "x", "name": "X", "ask_importance": True}, "ask_importance: needs drivers"),
        ({"code": "x", "name": "X", "colour": "red"}, "unknown field(s): colour"),
    ],
)
def test_a_bad_definition_says_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SurveyDefinition.from_dict(data)


def test_the_cooldown_is_30_days_by_default() -> None:
    asked = datetime(2026, 1, 1, tzinfo=UTC)
    assert may_invite(None, asked, DEFAULT_COOLDOWN)
    assert not may_invite(asked, asked + timedelta(days=29, hours=23), DEFAULT_COOLDOWN)
    assert may_invite(asked, asked + timedelta(days=30), DEFAULT_COOLDOWN)


def test_sampling_is_stable_and_keeps_about_the_share() -> None:
    keys = [f"survey:purchase:{i}" for i in range(4_000)]
    kept = [k for k in keys if sampled(k, 0.25)]
    assert 900 < len(kept) < 1_100
    assert kept == [k for k in keys if sampled(k, 0.25)]
    assert all(sampled(k, 1.0) for k in keys[:10])
    assert not any(sampled(k, 0.0) for k in keys[:10])


def test_each_nps_class_has_its_follow_up() -> None:
    assert follow_up(NpsClass.DETRACTOR, told_what_makes_a_10=True) is FollowUp.OPEN_CASE
    assert follow_up(NpsClass.PASSIVE, told_what_makes_a_10=False) is FollowUp.ASK_TO_10
    assert follow_up(NpsClass.PASSIVE, told_what_makes_a_10=True) is FollowUp.NONE
    assert follow_up(NpsClass.PROMOTER, told_what_makes_a_10=False) is FollowUp.INVITE_REFERRAL


def test_case_moves() -> None:
    assert may_move(CaseStatus.OPEN, CaseStatus.IN_PROGRESS)
    assert may_move(CaseStatus.CLOSED, CaseStatus.IN_PROGRESS)
    assert not may_move(CaseStatus.CLOSED, CaseStatus.RESOLVED)
    assert not may_move(CaseStatus.RESOLVED, CaseStatus.OPEN)


@given(st.text(min_size=1, max_size=80))
def test_no_token_passes_without_the_secret(forged: str) -> None:
    assert not is_genuine(forged, "secret")


def test_tokens_are_signed_and_only_their_hash_is_kept() -> None:
    token = make_token("secret")
    assert is_genuine(token, "secret")
    assert not is_genuine(token, "other secret")
    nonce, _, signature = token.partition(".")
    assert not is_genuine(f"{nonce}x.{signature}", "secret")
    assert not is_genuine(nonce, "secret")
    assert token_hash(token) != token
    assert len(token_hash(token)) == 64
    assert make_token("secret") != make_token("secret")
