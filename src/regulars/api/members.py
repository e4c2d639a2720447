"""``/v1/members``: enrol and update members (single and batch), read, consent, export, erase."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import Field

from regulars.api.batches import batch_answer, in_request_order, item_errors
from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.errors import CREATED, answers
from regulars.api.idempotency import idempotent
from regulars.api.inputs import BatchItem, NonNegativeAmount, Rejected, RequestBody, split_batch
from regulars.api.times import wire_times
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.domain.members import ContactChannel, Locale, Segment
from regulars.services import members as member_service
from regulars.services.api_keys import ApiKey
from regulars.services.errors import Invalid
from regulars.services.loyalty import accounts as loyalty_service
from regulars.services.unit_of_work import UnitOfWork
from regulars.store.members import MEMBER_FIELDS

router = APIRouter(prefix="/v1/members", tags=["members"], responses=answers(401, 403, 404, 422))


class MemberIn(RequestBody):
    """A member's record. On an update, a field left out keeps its stored value and an
    explicit ``null`` clears it."""

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
    acquisition_cost: NonNegativeAmount | None = None
    card_id: str | None = Field(
        default=None,
        max_length=80,
        description="A loyalty card number (spaces and dashes "
        "as printed are ignored); one member's at a time",
    )
    consent_email: bool | None = None
    consent_sms: bool | None = None
    consent_push: bool | None = None
    consent_source: str | None = Field(default="api", max_length=100)
    re_enrol: bool = Field(default=False, description="Enrol an erased member's id anew")


class MemberBatch(RequestBody):
    members: list[BatchItem[MemberIn]] = Field(
        min_length=1,
        max_length=10_000,
        description="Each member is checked alone: an invalid one is rejected in the "
        "answer's results while the others are written",
    )


class ConsentIn(RequestBody):
    channel: ContactChannel
    granted: bool
    source: str = Field(
        default="api",
        min_length=1,
        max_length=100,
        description="How it was given: app, web form, POS, call centre…",
    )


def _records(uow: UnitOfWork, bodies: list[MemberIn]) -> list[dict[str, Any]]:
    """The bodies as full member records: a field a body left out of an update of a stored
    member takes its stored value (so that it stays); an explicit null clears it."""
    partial = [b for b in bodies if any(f not in b.model_fields_set for f in MEMBER_FIELDS)]
    stored_ids = uow.members.ids_by_external_id([b.member_id for b in partial])
    records = []
    for body in bodies:
        record = body.model_dump()
        stored = uow.members.get(body.member_id) if body.member_id in stored_ids else None
        if stored is not None:
            for name in MEMBER_FIELDS:
                if name not in body.model_fields_set:
                    record[name] = stored[name]
        records.append(record)
    return records


@router.post("", summary="Add or update one member", responses={**CREATED, **answers(400, 409)})
def put_member(
    body: MemberIn,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    def run() -> tuple[int, Any]:
        report = member_service.upsert_members(uow, _records(uow, [body]), app.settings.timezone)
        if report.errors:
            raise Invalid(str(report.sorted_errors()[0]).split(", ", 1)[1], item_errors(report)[1])
        member = member_service.get_member(uow, body.member_id)
        return (201 if report.added else 200), wire_times(member)

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.post(
    "/batch",
    summary="Add or update many members; each is accepted or rejected alone",
    responses=answers(400, 409),
)
def put_members(
    body: MemberBatch,
    request: Request,
    uow: UoW,
    app: Annotated[App, Depends(regulars_app)],
    key: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    def run() -> tuple[int, Any]:
        good, places, rejected = split_batch(body.members)
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        found: dict[int, Any] = {}
        if good:
            records = _records(uow, good)
            report = member_service.upsert_members(uow, records, app.settings.timezone)
            counts = {
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.already_present,
            }
            found = item_errors(report)
        ids = [m.get("member_id") if isinstance(m, Rejected) else m.member_id for m in body.members]
        errors = in_request_order(found, places, rejected)
        return 200, batch_answer(counts, "member_id", ids, errors)

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


@router.get(
    "/lookup",
    summary="Find members by phone, e-mail, card number or id (a till, the console)",
    responses=answers(400),
)
def lookup_members(
    uow: UoW,
    _: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
    phone: Annotated[
        str | None,
        Query(max_length=40, description="Any Korean format: 010-1234-5678, 01012345678, +82…"),
    ] = None,
    email: Annotated[str | None, Query(max_length=320, description="Case is ignored")] = None,
    card: Annotated[
        str | None, Query(max_length=80, description="A loyalty card number, as printed")
    ] = None,
    member_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    loyalty: Annotated[
        bool,
        Query(
            description="Also each member's balance, pending points, stamps and tier per "
            "program: what the till shows before the sale"
        ),
    ] = False,
) -> dict[str, Any]:
    """Every criterion given must match; erased members are never found. At least one is
    needed (422 otherwise)."""
    found = member_service.find_members(
        uow, phone=phone, email=email, card=card, member_id=member_id, limit=limit
    )
    if loyalty:
        for member in found:
            member["loyalty"] = loyalty_service.balances(uow, member["member_id"])["programs"]
    return {"members": [wire_times(m) for m in found]}


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


@router.post(
    "/{member_id}/consents",
    summary="Record a grant or withdrawal of consent",
    responses=answers(400),
)
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


@router.delete(
    "/{member_id}",
    status_code=204,
    summary="Erase a member's personal data",
    response_class=Response,
)
def erase_member(
    member_id: str, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ADMIN))]
) -> Response:
    member_service.erase_member(uow, member_id)
    uow.commit()
    return Response(status_code=204)
