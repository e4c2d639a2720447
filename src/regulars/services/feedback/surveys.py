"""Survey use cases: define surveys, take answers by API, and answer through a signed link.

Each way in builds rows of the answers format (:mod:`regulars.services.feedback.answers`) and
goes through the same checks and the same writer, so an answer is valid or invalid the same
way whether it came from the answer page, the API or a file.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from regulars.domain.feedback.links import is_genuine, token_hash
from regulars.domain.feedback.surveys import (
    NO_SUBJECT,
    AnswerSource,
    CsatTarget,
    NpsClass,
    QuestionKind,
    SurveyDefinition,
    classify,
    value_problem,
)
from regulars.services.errors import Invalid, NotFound
from regulars.services.feedback import answers as survey_answers
from regulars.services.imports.report import ImportReport
from regulars.services.imports.tabular import ROW
from regulars.store.feedback import cases as case_store
from regulars.store.feedback import invitations as invitation_store
from regulars.store.feedback import surveys as survey_store
from regulars.store.unit_of_work import UnitOfWork

CONTEXT = ("member_id", "language", "store", "channel", "department", "employee", "purchase_id")
CSAT_CONTEXT = {
    CsatTarget.TOUCHPOINT.value: ("store", "channel"),
    CsatTarget.DEPARTMENT.value: ("department",),
    CsatTarget.EMPLOYEE.value: ("employee",),
}


# --- definitions -----------------------------------------------------------------------------


def define_survey(
    uow: UnitOfWork, data: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], bool]:
    """Create or replace a survey from plain data; return it and whether it is new."""
    try:
        definition = SurveyDefinition.from_dict(data)
    except (TypeError, ValueError) as error:
        raise Invalid(f"survey definition: {error}") from None
    new = survey_store.save_survey(
        uow.connection,
        definition.code,
        definition.name,
        definition.to_json(),
        definition.active,
        now,
    )
    return describe(definition), new


def load_definitions(path: Path) -> list[dict[str, Any]]:
    """Read survey definitions from a YAML or JSON file: one mapping, or a list of them."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise Invalid(f"{path}: {error}") from None
    items = loaded if isinstance(loaded, list) else [loaded]
    if not items or not all(isinstance(i, dict) for i in items):
        raise Invalid(f"{path}: expected a survey definition or a list of them")
    return items


def definition(uow: UnitOfWork, code: str) -> SurveyDefinition:
    row = survey_store.survey_by_code(uow.connection, code)
    if row is None:
        raise NotFound(f"no survey with code {code!r}")
    return SurveyDefinition.from_json(row["definition"])


def describe(definition: SurveyDefinition) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(definition.to_json())
    shown["questions"] = [q.key for q in definition.questions()]
    return shown


def list_surveys(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [
        describe(SurveyDefinition.from_json(row["definition"]))
        for row in survey_store.list_surveys(uow.connection)
    ]


# --- answers as rows -------------------------------------------------------------------------


def answer_rows(
    survey: str,
    response_id: str,
    collected_at: datetime | str,
    context: dict[str, Any],
    answers: list[dict[str, Any]],
) -> pd.DataFrame:
    """One response as rows of the answers format (every cell text, like a file).

    Each answer is ``{"question", "value"?, "text"?, "driver"?, "target"?}``; a CSAT row keeps
    only the context of what it rates.
    """
    rows = []
    for answer in answers:
        question = str(answer.get("question") or "")
        row = {name: context.get(name) for name in CONTEXT}
        target = answer.get("target")
        if question == QuestionKind.CSAT.value:
            target = target or CsatTarget.TOUCHPOINT.value
            keep = CSAT_CONTEXT.get(str(target), ())
            for name in ("store", "channel", "department", "employee"):
                if name not in keep:
                    row[name] = None
        row.update(
            survey=survey,
            response_id=response_id,
            collected_at=collected_at.isoformat()
            if isinstance(collected_at, datetime)
            else collected_at,
            question=question,
            driver=answer.get("driver"),
            value=answer.get("value"),
            text=answer.get("text"),
            csat_target=target if question == QuestionKind.CSAT.value else None,
        )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(survey_answers.COLUMNS)).astype(object)
    for name in frame.columns:
        frame[name] = [_cell(v) for v in frame[name]]
    frame[ROW] = range(1, len(frame) + 1)
    return frame


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value).strip()
    return text or None


def record_answers(
    uow: UnitOfWork, frame: pd.DataFrame, source: str, timezone: str, now: datetime
) -> ImportReport:
    """Check and write rows of the answers format in the caller's transaction."""
    report = ImportReport(kind="answers", rows=len(frame))
    good, errors = survey_answers.check_answers(frame, timezone)
    report.errors.extend(errors)
    for batch in survey_answers.batches(good):
        survey_answers.write_answers(uow, batch, source, now, report)
    return report


def answer_by_api(
    uow: UnitOfWork, survey: str, body: dict[str, Any], timezone: str, now: datetime
) -> dict[str, Any]:
    """One response from an app or a kiosk; a response already recorded is left as it was."""
    definition(uow, survey)
    response_id = body.get("response_id") or f"api-{uuid.uuid4().hex}"
    frame = answer_rows(
        survey, response_id, body.get("collected_at") or now, body, body.get("answers") or []
    )
    if frame.empty:
        raise Invalid("answers: at least one answer is needed")
    report = record_answers(uow, frame, AnswerSource.API.value, timezone, now)
    if report.errors:
        details = [
            {"index": e.row, "field": e.field, "value": e.value, "reason": e.reason}
            for e in report.sorted_errors()
        ]
        first = report.sorted_errors()[0]
        raise Invalid(f"answers[{first.row}].{first.field}: {first.reason}", details)
    case = case_store.case_ids_by_response(uow.connection, [response_id])
    return {
        "response_id": response_id,
        "answers_added": report.added,
        "already_present": report.already_present,
        "case_id": case.get(response_id),
    }


# --- the answer page -------------------------------------------------------------------------


class LinkStatus(StrEnum):
    OPEN = "open"
    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    CLOSED = "closed"


@dataclass
class SurveyLink:
    """What a link leads to: its status and, for a genuine one, the invitation's context."""

    status: LinkStatus
    language: str = "ko"
    invitation_id: int | None = None
    definition: SurveyDefinition | None = None
    context: dict[str, Any] = field(default_factory=dict)


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
    expires = row["expires_at"]
    expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
    if now >= expires:
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
    )


@dataclass
class LinkAnswer:
    """What became of a submitted answer page: its link's status, the problems per form
    field (the form is shown again), or the NPS class of a recorded answer."""

    link: SurveyLink
    problems: dict[str, str] = field(default_factory=dict)
    recorded: bool = False
    nps_class: NpsClass | None = None


def form_answers(
    definition: SurveyDefinition, form: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The answers in a submitted form, and problems keyed by field (values are message ids)."""
    answers: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    score: float | None = None
    for question in definition.questions():
        raw = (form.get(question.key) or "").strip()
        if question.kind in (QuestionKind.NPS_WHY, QuestionKind.NPS_TO_10):
            if raw:
                answers.append({"question": question.kind.value, "text": raw[:5000]})
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
    if score is not None and classify(score) is NpsClass.PROMOTER:
        answers = [a for a in answers if a["question"] != QuestionKind.NPS_TO_10.value]
    if not answers and not problems:
        problems["form"] = "error_empty"
    return answers, problems


def answer_link(
    uow: UnitOfWork, token: str, secret: str, form: dict[str, str], timezone: str, now: datetime
) -> LinkAnswer:
    """Record the answers of a submitted page and use up its link, in the caller's
    transaction; a second submit of the same link records nothing."""
    link = open_link(uow, token, secret, now)
    if link.status is not LinkStatus.OPEN or link.definition is None:
        return LinkAnswer(link)
    answers, problems = form_answers(link.definition, form)
    if problems:
        return LinkAnswer(link, problems)
    assert link.invitation_id is not None
    response_id = f"link-{link.invitation_id}"
    if not invitation_store.use_invitation(uow.connection, link.invitation_id, response_id, now):
        return LinkAnswer(SurveyLink(LinkStatus.USED, link.language, link.invitation_id))
    frame = answer_rows(link.context["survey"], response_id, now, link.context, answers)
    report = record_answers(uow, frame, AnswerSource.LINK.value, timezone, now)
    if report.errors:
        raise Invalid(str(report.sorted_errors()[0]))
    score = next((a["value"] for a in answers if a["question"] == QuestionKind.NPS.value), None)
    return LinkAnswer(link, recorded=True, nps_class=None if score is None else classify(score))
