"""One response from an app or a kiosk, by API: named by the business's codes, so it goes
through the same checks as a file (:func:`regulars.services.feedback.answers.check_answers`)
and the same writer, in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pandas as pd

from regulars.domain.feedback.surveys import (
    CSAT_RATES,
    SERVICE_CONTEXT,
    AnswerSource,
    CsatTarget,
    QuestionKind,
)
from regulars.services.errors import Invalid
from regulars.services.feedback import answers as survey_answers
from regulars.services.feedback.surveys import definition
from regulars.services.imports.report import ImportReport
from regulars.services.imports.tabular import ROW
from regulars.store.feedback import cases as case_store
from regulars.store.unit_of_work import UnitOfWork

CONTEXT = ("member_id", "language", *SERVICE_CONTEXT, "purchase_id")


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
            keep = CSAT_RATES.get(str(target), ())
            for name in SERVICE_CONTEXT:
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


def record_rows(
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
    report = record_rows(uow, frame, AnswerSource.API.value, timezone, now)
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
