"""``/v1/members``: enrol and update members (single and batch), read, consent, export, erase."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from regulars.api.batches import batch_answer, item_errors
from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.idempotency import idempotent
from regulars.api.times import wire_times
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.domain.members import ContactChannel, Locale, Segment
from regulars.services import members as member_service
from regulars.services.api_keys import ApiKey
from regulars.services.errors import Invalid

router = APIRouter(prefix="/v1/members", tags=["members"])


class MemberIn(BaseModel):
    member_id: str = Field(min_length=1, max_length=64, description="The business's own id")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    locale: Locale = Locale.KO
    segment: Segment = Segment.INDIVIDUAL
    region: str | None = None
    signup_date: date | None = None
    acquisition_channel: str | None = None
    acquisition_cost: int | None = Field(default=None, ge=0, description="Minor units")
    consent_email: bool | None = None
    consent_sms: bool | None = None
    consent_push: bool | None = None
    consent_source: str | None = Field(default="api", max_length=100)
    re_enrol: bool = Field(default=False, description="Enrol an erased member's id anew")


class MemberBatch(BaseModel):
    members: list[MemberIn] = Field(min_length=1, max_length=10_000)


class ConsentIn(BaseModel):
    channel: ContactChannel
    granted: bool
    source: str = Field(
        default="api",
        min_length=1,
        max_length=100,
        description="How it was given: app, web form, POS, call centre…",
    )


@router.post("", summary="Add or update one member")
def put_member(
    body: MemberIn,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        report = member_service.upsert_members(uow, [body.model_dump()], app.settings.timezone)
        if report.errors:
            raise Invalid(str(report.sorted_errors()[0]).split(", ", 1)[1], item_errors(report)[1])
        member = member_service.get_member(uow, body.member_id)
        return (201 if report.added else 200), wire_times(member)

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.post("/batch", summary="Add or update many members; each is accepted or rejected alone")
def put_members(
    body: MemberBatch,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        records = [m.model_dump() for m in body.members]
        report = member_service.upsert_members(uow, records, app.settings.timezone)
        counts = {
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.already_present,
        }
        ids = [r["member_id"] for r in records]
        return 200, batch_answer(counts, "member_id", ids, item_errors(report))

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.get("/{member_id}", summary="One member, with the consent in force")
def get_member(
    member_id: str, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.POS))]
) -> dict[str, Any]:
    return wire_times(member_service.get_member(uow, member_id))


@router.get("", summary="Members, page by page (keyset pagination)")
def list_members(
    uow: UoW,
    _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))],
    after: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    return wire_times(member_service.list_members(uow, after, max(1, min(limit, 1000))))


@router.post("/{member_id}/consents", summary="Record a grant or withdrawal of consent")
def post_consent(
    member_id: str, body: ConsentIn, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.POS))]
) -> dict[str, Any]:
    member = member_service.record_consent(
        uow, member_id, body.channel.value, body.granted, body.source, datetime.now().astimezone()
    )
    uow.commit()
    return wire_times(member)


@router.get("/{member_id}/export", summary="Everything held on a member (access request)")
def export_member(
    member_id: str, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]
) -> dict[str, Any]:
    return wire_times(member_service.export_member(uow, member_id))


@router.delete("/{member_id}", status_code=204, summary="Erase a member's personal data")
def erase_member(
    member_id: str, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]
) -> Response:
    member_service.erase_member(uow, member_id)
    uow.commit()
    return Response(status_code=204)
