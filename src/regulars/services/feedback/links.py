"""The answer page's use cases: read a survey link's token, and record the page a member
submits through it.

The token is checked here (:func:`open_link`, with the signature rules of
:mod:`regulars.domain.feedback.links`): forged, expired, already used, survey closed, or
open. A submitted page is classified once (:func:`form_answers` gives its NPS class), and
its answers go to the one writer by ids — the invitation knows the member, the purchase and
where it happened, so nothing is turned into codes and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from regulars.domain.feedback.links import is_genuine, token_hash
from regulars.domain.feedback.nps import NpsClass, classify
from regulars.domain.feedback.surveys import (
    CSAT_RATES,
    NO_SUBJECT,
    SERVICE_CONTEXT,
    AnswerSource,
    CsatTarget,
    Question,
    QuestionKind,
    SurveyDefinition,
    SurveyKind,
    value_problem,
)
from regulars.domain.subscriptions.exits import ExitAnswer, read_exit_form
from regulars.domain.times import as_utc
from regulars.services.feedback import answers as survey_answers
from regulars.services.subscriptions import exits
from regulars.store.feedback import invitations as invitation_store
from regulars.store.feedback.answers import AnswerRow
from regulars.store.unit_of_work import UnitOfWork

MAX_TEXT = 5_000


class LinkStatus(StrEnum):
    OPEN = "open"
    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    CLOSED = "closed"


@dataclass(frozen=True)
class Invited:
    """Who was invited and about which visit, as the store's ids (from the invitation)."""

    survey_id: int
    member_id: int
    language: str
    store_id: int | None = None
    channel: str | None = None
    department_id: int | None = None
    employee_id: int | None = None
    purchase_id: int | None = None


@dataclass
class SurveyLink:
    """What a link leads to: its status and, for an open one, the survey, the invitation's
    context in words for the page (codes and names) and in ids for the writer."""

    status: LinkStatus
    language: str = "ko"
    invitation_id: int | None = None
    definition: SurveyDefinition | None = None
    context: dict[str, Any] = field(default_factory=dict)
    invited: Invited | None = None


def open_link(uow: UnitOfWork, token: str, secret: str, now: datetime) -> SurveyLink:
    """Read a link's token: forged, expired, already used, survey closed, or open."""
    if not is_genuine(token, secret):
        return SurveyLink(LinkStatus.FORGED)
    row = invitation_store.invitation_by_token(uow.connection, token_hash(token))
    if row is None:
        return SurveyLink(LinkStatus.FORGED)
    invitation_id = int(row["id"])
    language = row["language"]
    if row["used_at"] is not None:
        return SurveyLink(LinkStatus.USED, language, invitation_id)
    if now >= as_utc(row["expires_at"]):
        return SurveyLink(LinkStatus.EXPIRED, language, invitation_id)
    if not row["survey_active"]:
        return SurveyLink(LinkStatus.CLOSED, language, invitation_id)
    return SurveyLink(
        LinkStatus.OPEN,
        language,
        invitation_id,
        SurveyDefinition.from_json(row["definition"]),
        {
            "survey": row["survey_code"],
            "member_id": row["member_external_id"],
            "language": language,
            "store": row["store_code"],
            "store_name": row["store_name"],
            "channel": row["sales_channel"],
            "department": row["department_code"],
            "employee": row["employee_code"],
            "employee_name": row["employee_name"],
            "purchase_id": row["purchase_external_id"],
        },
        Invited(
            survey_id=int(row["survey_id"]),
            member_id=int(row["member_id"]),
            language=language,
            store_id=row["store_id"],
            channel=row["sales_channel"],
            department_id=row["department_id"],
            employee_id=row["employee_id"],
            purchase_id=row["purchase_id"],
        ),
    )


def asked(link: SurveyLink) -> list[Question]:
    """The questions an open link's page asks: the survey's, less the CSAT questions about a
    department or an employee the visit did not have (a purchase with no employee is not
    asked to rate "the employee" under the store's name)."""
    assert link.definition is not None
    missing = {
        target.value
        for target in (CsatTarget.DEPARTMENT, CsatTarget.EMPLOYEE)
        if not link.context.get(target.value)
    }
    return [
        q
        for q in link.definition.questions()
        if not (q.kind is QuestionKind.CSAT and q.subject in missing)
    ]


SECONDS_PER_QUESTION = {QuestionKind.NPS_WHY: 30, QuestionKind.NPS_TO_10: 30}
"""Time to answer a free-text question; every other (a choice on a scale) takes
:data:`SECONDS_PER_CHOICE`."""
SECONDS_PER_CHOICE = 6


def minutes_to_answer(questions: list[Question]) -> int:
    """A truthful estimate of the page's length, in whole minutes (at least one): about six
    seconds a rating and half a minute a comment."""
    seconds = sum(SECONDS_PER_QUESTION.get(q.kind, SECONDS_PER_CHOICE) for q in questions)
    return max(1, -(-seconds // 60))


class SubmittedForm(NamedTuple):
    """A submitted page read: its answers, the problems keyed by form field (values are
    message ids), and the class of its NPS answer (None when there is none)."""

    answers: list[dict[str, Any]]
    problems: dict[str, str]
    nps_class: NpsClass | None


def form_answers(
    definition: SurveyDefinition, form: dict[str, str], questions: list[Question] | None = None
) -> SubmittedForm:
    """The answers in a submitted form to ``questions`` (default: all of the survey's),
    each ``{"question", "value" | "text", "driver"?, "target"?}``; a promoter's "what would
    make it a 10" is not kept."""
    answers: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    score: float | None = None
    for question in definition.questions() if questions is None else questions:
        raw = (form.get(question.key) or "").strip()
        if question.kind in (QuestionKind.NPS_WHY, QuestionKind.NPS_TO_10):
            if raw:
                answers.append({"question": question.kind.value, "text": raw[:MAX_TEXT].strip()})
            continue
        if not raw:
            if question.kind is QuestionKind.NPS:
                problems[question.key] = "error_required"
            continue
        try:
            number = float(raw)
        except ValueError:
            problems[question.key] = "error_choice"
            continue
        if value_problem(question.kind, number, None):
            problems[question.key] = "error_choice"
            continue
        if question.kind is QuestionKind.NPS:
            score = number
        answer: dict[str, Any] = {"question": question.kind.value, "value": int(number)}
        if question.kind is QuestionKind.CSAT:
            answer["target"] = question.subject
        elif question.subject != NO_SUBJECT:
            answer["driver"] = question.subject
        answers.append(answer)
    nps_class = None if score is None else classify(score)
    if nps_class is NpsClass.PROMOTER:
        answers = [a for a in answers if a["question"] != QuestionKind.NPS_TO_10.value]
    if not answers and not problems:
        problems["form"] = "error_empty"
    return SubmittedForm(answers, problems, nps_class)


def link_rows(
    response_id: str, invited: Invited, answers: list[dict[str, Any]], collected_at: datetime
) -> list[AnswerRow]:
    """The rows a page's answers are stored as: the invitation's ids, a CSAT answer keeping
    only what it rates (as :func:`regulars.services.feedback.answers.check_answers` does
    for a file)."""
    rows = []
    for answer in answers:
        question = answer["question"]
        kept: tuple[str, ...] = SERVICE_CONTEXT
        subject = NO_SUBJECT
        if question == QuestionKind.CSAT.value:
            subject = answer["target"]
            kept = CSAT_RATES[subject]
        elif answer.get("driver"):
            subject = str(answer["driver"]).strip().lower()
        value = answer.get("value")
        rows.append(
            AnswerRow(
                response_id=response_id,
                survey_id=invited.survey_id,
                member_id=invited.member_id,
                question=question,
                subject=subject,
                value=None if value is None else float(value),
                text=answer.get("text"),
                language=invited.language,
                store_id=invited.store_id if "store" in kept else None,
                channel=invited.channel if "channel" in kept else None,
                department_id=invited.department_id if "department" in kept else None,
                employee_id=invited.employee_id if "employee" in kept else None,
                purchase_id=invited.purchase_id,
                collected_at=as_utc(collected_at),
                source=AnswerSource.LINK.value,
            )
        )
    return rows


@dataclass
class LinkAnswer:
    """What became of a submitted answer page: its link's status, the problems per form
    field (the form is shown again), or the NPS class of a recorded answer."""

    link: SurveyLink
    problems: dict[str, str] = field(default_factory=dict)
    recorded: bool = False
    nps_class: NpsClass | None = None


def answer_link(
    uow: UnitOfWork, token: str, secret: str, form: dict[str, str], now: datetime
) -> LinkAnswer:
    """Record the answers of a submitted page and use up its link, in the caller's
    transaction; a second submit of the same link records nothing."""
    link = open_link(uow, token, secret, now)
    if link.status is not LinkStatus.OPEN or link.definition is None or link.invited is None:
        return LinkAnswer(link)
    submitted = form_answers(link.definition, form, asked(link))
    problems = submitted.problems
    leaving: ExitAnswer | None = None
    if link.definition.kind is SurveyKind.EXIT:  # "why are you leaving?" is asked first
        leaving, why = read_exit_form(form)
        problems = {**why, **{k: v for k, v in problems.items() if k != "form"}}
    if problems:
        return LinkAnswer(link, problems)
    assert link.invitation_id is not None
    response_id = f"link-{link.invitation_id}"
    if not invitation_store.use_invitation(uow.connection, link.invitation_id, response_id, now):
        return LinkAnswer(SurveyLink(LinkStatus.USED, link.language, link.invitation_id))
    rows = link_rows(response_id, link.invited, submitted.answers, now)
    known = {} if submitted.nps_class is None else {response_id: submitted.nps_class}
    survey_answers.add_answers(uow, rows, now, known)
    if leaving is not None:
        invited = link.invited
        exits.record_from_link(
            uow, link.invitation_id, invited.survey_id, invited.language, leaving, response_id, now
        )
    return LinkAnswer(link, recorded=True, nps_class=submitted.nps_class)
