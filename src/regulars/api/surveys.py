"""``/v1/surveys``: define surveys, take answers (in-app, kiosk, CSV), send invitations."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.errors import CREATED, answers
from regulars.api.idempotency import idempotent
from regulars.api.inputs import FreeJson, RequestBody
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.domain.feedback.surveys import DEFAULT_COOLDOWN, CsatTarget, QuestionKind
from regulars.domain.members import Locale
from regulars.domain.purchases import SalesChannel
from regulars.services.api_keys import ApiKey
from regulars.services.errors import Invalid
from regulars.services.feedback import dispatch as surveys_dispatch
from regulars.services.feedback import responses as response_service
from regulars.services.feedback import surveys as survey_service
from regulars.services.imports import answers as feedback_import

router = APIRouter(prefix="/v1/surveys", tags=["surveys"], responses=answers(401, 403, 404, 422))


class AnswerIn(RequestBody):
    question: QuestionKind
    value: float | None = Field(
        default=None, allow_inf_nan=False, description="The score, on the question's scale"
    )
    text: str | None = Field(default=None, max_length=5000)
    driver: str | None = Field(default=None, max_length=30, description="For driver_* questions")
    target: CsatTarget | None = Field(default=None, description="For csat: what it rates")


class ResponseIn(RequestBody):
    response_id: str | None = Field(
        default=None,
        max_length=64,
        description="Your id for this response; sending it again records nothing twice",
    )
    member_id: str | None = Field(default=None, max_length=64)
    language: Locale | None = Field(default=None, description="Default: the member's")
    store: str | None = Field(default=None, max_length=64)
    channel: SalesChannel | None = None
    department: str | None = Field(default=None, max_length=64)
    employee: str | None = Field(default=None, max_length=64)
    purchase_id: str | None = Field(default=None, max_length=64)
    collected_at: datetime | None = Field(default=None, description="Default: now")
    answers: list[AnswerIn] = Field(min_length=1, max_length=200)


class InvitationsIn(RequestBody):
    mode: Literal["after_purchase", "wave"]
    wave: str | None = Field(default=None, max_length=60, description="For a wave: its name")
    segment: str | None = Field(
        default=None, max_length=64, description="For a wave: only this segment"
    )
    lookback_days: float = Field(default=7, gt=0, le=90, description="After purchase: how far")
    cooldown_days: float = Field(
        default=DEFAULT_COOLDOWN.days, ge=0, le=3650, description="Days between two invitations"
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", max_length=500, description="Where /s/<token> is"
    )


@router.get("", summary="The surveys and the questions each asks")
def list_surveys(
    uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
) -> list[dict[str, Any]]:
    return survey_service.list_surveys(uow)


@router.get("/{code}", summary="One survey")
def get_survey(
    code: str, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
) -> dict[str, Any]:
    return survey_service.describe(survey_service.definition(uow, code))


@router.put(
    "/{code}",
    summary="Create or replace a survey definition",
    responses={**CREATED, **answers(400)},
)
def put_survey(
    code: str,
    body: FreeJson,
    uow: UoW,
    _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))],
) -> Response:
    if body.get("code", code) != code:
        raise Invalid(f"code in the body ({body['code']!r}) differs from the path ({code!r})")
    shown, new = survey_service.define_survey(uow, {**body, "code": code}, datetime.now(UTC))
    uow.commit()
    return JSONResponse(shown, status_code=201 if new else 200)


@router.post(
    "/{code}/responses",
    summary="Record one response (in-app, kiosk)",
    responses={**CREATED, **answers(400, 409)},
)
def post_response(
    code: str,
    body: ResponseIn,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    def run() -> tuple[int, Any]:
        data = body.model_dump(mode="json", exclude_none=True)
        data["answers"] = [a.model_dump(mode="json", exclude_none=True) for a in body.answers]
        result = response_service.answer_by_api(
            uow, code, data, app.settings.timezone, datetime.now(UTC)
        )
        return (201 if result["answers_added"] else 200), result

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


def _import_answers(app: App, body: bytes) -> Any:
    """The file's import, off the event loop (it writes the body to disk and reads it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.csv"
        path.write_bytes(body)
        return feedback_import.import_answers_file(
            path, app.run_committed, timezone=app.settings.timezone
        )


@router.post(
    "/answers/import",
    summary="Import answers from a CSV body (phone or SMS survey results)",
    description="Send the file as the request body (Content-Type: text/csv), one row per "
    "answered question. Good responses are kept; rejected rows are listed per row and field.",
)
async def import_answers(
    request: Request,
    app: Annotated[App, Depends(regulars_app)],
    _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))],
) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        raise Invalid("the request body must be a CSV file with a header line")
    report = await run_in_threadpool(_import_answers, app, body)
    return {
        "rows": report.rows,
        "answers_added": report.added,
        "already_present": report.already_present,
        "rejected_rows": report.rejected_rows,
        "errors": [
            {"row": e.row, "field": e.field, "value": e.value, "reason": e.reason}
            for e in report.sorted_errors()
        ],
    }


@router.post(
    "/{code}/invitations",
    summary="Invite members: after purchases or a wave",
    responses=answers(400),
)
def post_invitations(
    code: str,
    body: InvitationsIn,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))],
) -> dict[str, Any]:
    now = datetime.now(UTC)
    cooldown = timedelta(days=body.cooldown_days)
    if body.mode == "wave":
        if not body.wave:
            raise Invalid("wave: name the wave (e.g. 2026-Q4)")
        report = surveys_dispatch.invite_wave(
            uow,
            code,
            body.wave,
            now,
            secret=app.settings.secret_key,
            base_url=body.base_url,
            segment=body.segment,
            cooldown=cooldown,
        )
    else:
        report = surveys_dispatch.invite_after_purchases(
            uow,
            code,
            now,
            secret=app.settings.secret_key,
            base_url=body.base_url,
            lookback=timedelta(days=body.lookback_days),
            cooldown=cooldown,
        )
    uow.commit()
    return report.as_dict()
