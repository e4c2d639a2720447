"""Surveys and their answers: question kinds and scales, what a survey asks, who may be
asked and when. The NPS classes are in :mod:`.nps`; what follows an answer in :mod:`.cases`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from regulars.domain.feedback import nps

DEFAULT_DRIVERS = ("price", "quality", "delivery", "service", "staff")
"""Price, product quality, delivery, service quality, staff attitude (the brief, section 4)."""

DEFAULT_COOLDOWN = timedelta(days=30)
DEFAULT_LINK_VALIDITY = timedelta(days=14)


class SurveyKind(StrEnum):
    """What a survey is for: ``feedback`` (after a purchase or in a wave, the default) or
    ``exit`` — sent when a contract is cancelled, it asks first "why are you leaving?"
    (:mod:`regulars.domain.subscriptions.exits`), then whatever else it defines."""

    FEEDBACK = "feedback"
    EXIT = "exit"


class QuestionKind(StrEnum):
    NPS = "nps"
    NPS_WHY = "nps_why"
    NPS_TO_10 = "nps_to_10"
    CSAT = "csat"
    DRIVER_RATING = "driver_rating"
    DRIVER_IMPORTANCE = "driver_importance"
    SHARE_OF_WALLET = "share_of_wallet"
    INTENT_REBUY = "intent_rebuy"
    TEST_OPT_IN = "test_opt_in"


class CsatTarget(StrEnum):
    """What a CSAT question rates."""

    TOUCHPOINT = "touchpoint"
    DEPARTMENT = "department"
    EMPLOYEE = "employee"


class AnswerSource(StrEnum):
    LINK = "link"
    IMPORT = "import"
    API = "api"


TEXT_QUESTIONS = frozenset({QuestionKind.NPS_WHY, QuestionKind.NPS_TO_10})
SCALES: dict[QuestionKind, tuple[int, int]] = {
    QuestionKind.NPS: (nps.LOWEST, nps.HIGHEST),
    QuestionKind.CSAT: (1, 5),
    QuestionKind.DRIVER_RATING: (1, 5),
    QuestionKind.DRIVER_IMPORTANCE: (1, 5),
    QuestionKind.SHARE_OF_WALLET: (0, 100),
    QuestionKind.INTENT_REBUY: (1, 5),
    QuestionKind.TEST_OPT_IN: (0, 1),
}
"""The whole numbers each scored question accepts. Share of wallet is a percentage;
intention to buy again runs from 1 (certainly not) to 5 (certainly); opt-in is 0 or 1."""

NO_SUBJECT = "-"

SERVICE_CONTEXT = ("store", "channel", "department", "employee")
"""Where and by whom the customer was served: a response's context beside its member,
language and purchase."""
CSAT_RATES: dict[str, tuple[str, ...]] = {
    CsatTarget.TOUCHPOINT: ("store", "channel"),
    CsatTarget.DEPARTMENT: ("department",),
    CsatTarget.EMPLOYEE: ("employee",),
}
"""The part of :data:`SERVICE_CONTEXT` a CSAT answer keeps: only what it rates, so that an
employee's rating is not counted for the store as well."""


def value_problem(kind: QuestionKind, value: float | None, text: str | None) -> str | None:
    """Why an answer cannot be stored, or None when it can.

    >>> value_problem(QuestionKind.NPS, 11, None)
    'must be a whole number from 0 to 10'
    """
    if kind in TEXT_QUESTIONS:
        return None if text else "needs a text answer"
    if value is None:
        return "needs a number"
    low, high = SCALES[kind]
    if value != int(value) or not low <= value <= high:
        return f"must be a whole number from {low} to {high}"
    return None


@dataclass(frozen=True)
class Question:
    """One question of a survey: its kind and, for drivers and CSAT, what it is about."""

    kind: QuestionKind
    subject: str = NO_SUBJECT

    @property
    def key(self) -> str:
        """The form field name: ``nps``, ``driver_rating.price``, ``csat.employee``…"""
        return self.kind.value if self.subject == NO_SUBJECT else f"{self.kind}.{self.subject}"


@dataclass(frozen=True)
class SurveyDefinition:
    """What a survey asks, and how its invitations go out.

    ``csat`` lists the targets rated 1-5 (touchpoint, department, employee); ``drivers`` are
    rated 1-5 for satisfaction and, when ``ask_importance``, for stated importance;
    ``wallet_category`` (e.g. "coffee") asks for the share of wallet; ``after_purchase_delay``
    (hours) and ``sampling`` (0..1) govern invitations after a purchase.
    """

    code: str
    name: str
    nps: bool = True
    csat: tuple[CsatTarget, ...] = ()
    drivers: tuple[str, ...] = ()
    ask_importance: bool = False
    wallet_category: str | None = None
    intent_rebuy: bool = False
    test_opt_in: bool = False
    after_purchase_delay_hours: float = 2.0
    sampling: float = 1.0
    link_validity_days: int = 14
    active: bool = True
    kind: SurveyKind = SurveyKind.FEEDBACK
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        found = []
        if (
            not self.code
            or len(self.code) > 64
            or not self.code.replace("-", "").replace("_", "").isalnum()
        ):
            found.append("code: 1-64 letters, digits, '-' or '_'")
        if not self.name.strip():
            found.append("name: is required")
        if not 0 <= self.sampling <= 1:
            found.append(f"sampling: must be between 0 and 1, not {self.sampling}")
        if self.after_purchase_delay_hours < 0:
            found.append("after_purchase_delay_hours: must not be negative")
        if self.link_validity_days < 1:
            found.append("link_validity_days: must be at least 1")
        if len(set(self.drivers)) != len(self.drivers):
            found.append("drivers: a driver is listed twice")
        for driver in self.drivers:
            if not driver or len(driver) > 30:
                found.append(f"drivers: {driver!r} must be 1-30 characters")
        if self.ask_importance and not self.drivers:
            found.append("ask_importance: needs drivers")
        if not self.questions() and self.kind is not SurveyKind.EXIT:
            found.append("the survey asks nothing")
        return found

    def questions(self) -> list[Question]:
        """The questions in the order they are asked (the open NPS questions follow the score)."""
        asked: list[Question] = []
        if self.nps:
            asked += [
                Question(QuestionKind.NPS),
                Question(QuestionKind.NPS_WHY),
                Question(QuestionKind.NPS_TO_10),
            ]
        asked += [Question(QuestionKind.CSAT, target.value) for target in self.csat]
        asked += [Question(QuestionKind.DRIVER_RATING, d) for d in self.drivers]
        if self.ask_importance:
            asked += [Question(QuestionKind.DRIVER_IMPORTANCE, d) for d in self.drivers]
        if self.wallet_category:
            asked.append(Question(QuestionKind.SHARE_OF_WALLET))
        if self.intent_rebuy:
            asked.append(Question(QuestionKind.INTENT_REBUY))
        if self.test_opt_in:
            asked.append(Question(QuestionKind.TEST_OPT_IN))
        return asked

    def asks(self, kind: QuestionKind, subject: str = NO_SUBJECT) -> bool:
        return Question(kind, subject) in self.questions()

    @property
    def link_validity(self) -> timedelta:
        return timedelta(days=self.link_validity_days)

    @property
    def after_purchase_delay(self) -> timedelta:
        return timedelta(hours=self.after_purchase_delay_hours)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("extra")
        data["csat"] = [t.value for t in self.csat]
        data["drivers"] = list(self.drivers)
        data["kind"] = self.kind.value
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurveyDefinition:
        """Build from plain data (a YAML/JSON file or an API body); ValueError says what."""
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(unknown)}")
        values = dict(data)
        try:
            values["csat"] = tuple(CsatTarget(t) for t in values.get("csat") or ())
        except ValueError:
            raise ValueError(
                f"csat: choose among {', '.join(t.value for t in CsatTarget)}"
            ) from None
        try:
            values["kind"] = SurveyKind(values.get("kind") or SurveyKind.FEEDBACK)
        except ValueError:
            raise ValueError(
                f"kind: choose among {', '.join(k.value for k in SurveyKind)}"
            ) from None
        drivers = values.get("drivers")
        values["drivers"] = DEFAULT_DRIVERS if drivers is True else tuple(drivers or ())
        if "code" not in values or "name" not in values:
            raise ValueError("code and name are required")
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> SurveyDefinition:
        loaded: dict[str, Any] = json.loads(text)
        return cls.from_dict(loaded)


def may_invite(last_invited: datetime | None, now: datetime, cooldown: timedelta) -> bool:
    """Whether a member last asked at ``last_invited`` (any survey) may be asked again now.

    >>> from datetime import UTC
    >>> may_invite(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC),
    ...            DEFAULT_COOLDOWN)
    False
    """
    return last_invited is None or now - last_invited >= cooldown


def sampled(key: str, share: float) -> bool:
    """A stable draw: the same key is always in or always out of a ``share`` sample, so that
    dispatch run twice chooses the same purchases."""
    if share >= 1:
        return True
    if share <= 0:
        return False
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share
