"""``/v1/subscriptions``: contracts (single and batch), plans, plan changes and bills in
(scope ``pos``), a stated reason for leaving, and contracts and churn reasons out (scope
``analyst``).

Every write goes through the same checks and writers as a file import, so an API body and a
file row are judged alike; contracts are idempotent by ``subscription_id`` (a changed one is
updated), plan changes by ``change_id`` and bills by contract and month (sent again, they add
nothing), and every write may carry an ``Idempotency-Key``. A contract a request cancels
invites its member to the exit survey at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import Field

from regulars.api.batches import batch_answer, in_request_order, item_errors
from regulars.api.deps import Authorized, UoW, regulars_app
from regulars.api.errors import CREATED, answers
from regulars.api.idempotency import idempotent
from regulars.api.inputs import (
    Amount,
    BatchItem,
    NonNegativeAmount,
    Rejected,
    RequestBody,
    split_batch,
)
from regulars.api.report_pool import run_apart
from regulars.api.times import wire_times
from regulars.bootstrap import App
from regulars.domain.access import Scope
from regulars.domain.bounds import DATE_RANGE, MAX_COMMITMENT_MONTHS, MAX_USAGE
from regulars.domain.fields import outside_dates
from regulars.domain.members import Locale
from regulars.domain.purchases import SalesChannel
from regulars.domain.subscriptions.contracts import CancelReason
from regulars.domain.subscriptions.exits import ExitAnswer, ExitReason
from regulars.services.api_keys import ApiKey
from regulars.services.errors import Invalid
from regulars.services.subscriptions import exits as exit_service
from regulars.services.subscriptions import recording, scoring
from regulars.services.subscriptions.imports import SubscriptionKind

router = APIRouter(
    prefix="/v1/subscriptions", tags=["subscriptions"], responses=answers(401, 403, 404, 422)
)
Pos = Annotated[ApiKey, Depends(Authorized(Scope.POS))]
Analyst = Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
Regulars = Annotated[App, Depends(regulars_app)]
IdempotencyKey = Annotated[str | None, Header()]
Code = Field(min_length=1, max_length=64)
BATCH = 10_000


class SubscriptionIn(RequestBody):
    """A contract as signed, and its cancellation once there is one. Sent again with a
    change, it is updated; a missing ``cancelled_on`` keeps a cancellation already stored."""

    subscription_id: str = Field(min_length=1, max_length=64, description="Your contract id")
    member_id: str = Code
    plan: str = Field(min_length=1, max_length=64, description="The plan it was signed on")
    monthly_fee: NonNegativeAmount = Field(description="The fee it was signed at, minor units")
    started_on: date
    committed_until: date | None = None
    cancelled_on: date | None = None
    cancel_reason: CancelReason | None = None
    competitor: str | None = Field(default=None, max_length=100)
    channel: SalesChannel | None = None
    device: str | None = Field(default=None, max_length=100, description="Device or bundle")


class PlanIn(RequestBody):
    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    monthly_fee: NonNegativeAmount
    category: str | None = Field(default=None, max_length=64)
    commitment_months: int | None = Field(default=None, ge=0, le=MAX_COMMITMENT_MONTHS)


class PlanChangeIn(RequestBody):
    change_id: str | None = Field(
        default=None, max_length=64, description="Default: contract, day and new plan"
    )
    subscription_id: str = Code
    changed_on: date
    from_plan: str = Code
    to_plan: str = Code
    fee_before: NonNegativeAmount
    fee_after: NonNegativeAmount


Usage = Annotated[float | None, Field(default=None, ge=0, le=MAX_USAGE, allow_inf_nan=False)]


class BillIn(RequestBody):
    subscription_id: str = Code
    member_id: str | None = Field(default=None, max_length=64, description="Checked if given")
    month: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="YYYY-MM")
    amount: Amount = Field(description="Billed, minor units")
    data_gb: Usage = None
    voice_minutes: Usage = None
    usage: Usage = None


class SubscriptionBatch(RequestBody):
    subscriptions: list[BatchItem[SubscriptionIn]] = Field(min_length=1, max_length=BATCH)


class PlanBatch(RequestBody):
    plans: list[BatchItem[PlanIn]] = Field(min_length=1, max_length=BATCH)


class PlanChangeBatch(RequestBody):
    changes: list[BatchItem[PlanChangeIn]] = Field(min_length=1, max_length=BATCH)


class BillBatch(RequestBody):
    bills: list[BatchItem[BillIn]] = Field(min_length=1, max_length=BATCH)


class ExitIn(RequestBody):
    """Why the member left, as they said it (a call centre, a shop)."""

    reason: ExitReason
    competitor: str | None = Field(default=None, max_length=100, description="Whose offer")
    comment: str | None = Field(default=None, max_length=5000)
    response_id: str | None = Field(
        default=None, max_length=64, description="Default: one answer per contract"
    )
    language: Locale | None = Field(default=None, description="Default: the member's")
    collected_at: datetime | None = Field(default=None, description="Default: now")


def _batch(
    uow: UoW,
    app: App,
    kind: SubscriptionKind,
    items: list[Any],
    id_field: str,
) -> tuple[int, Any]:
    good, places, rejected = split_batch(items)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    found: dict[int, Any] = {}
    if good:
        records = [item.model_dump() for item in good]
        report = recording.record(uow, kind, records, datetime.now(UTC), app.settings)
        counts = {
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.already_present,
        }
        found = item_errors(report)
    ids = [i.get(id_field) if isinstance(i, Rejected) else getattr(i, id_field) for i in items]
    return 200, batch_answer(counts, id_field, ids, in_request_order(found, places, rejected))


@router.post(
    "",
    summary="Add or update one contract (idempotent by subscription_id)",
    responses={**CREATED, **answers(400, 409)},
)
def post_subscription(
    body: SubscriptionIn,
    request: Request,
    uow: UoW,
    app: Regulars,
    key: Pos,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def run() -> tuple[int, Any]:
        now = datetime.now(UTC)
        report = recording.record(uow, "subscriptions", [body.model_dump()], now, app.settings)
        if report.errors:
            details = item_errors(report)[1]
            raise Invalid(f"{details[0]['field']}: {details[0]['reason']}", details)
        found = recording.get_subscription(uow, body.subscription_id)
        return (201 if report.added else 200), wire_times(found)

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)


def _batch_route(
    path: str, summary: str, body_type: type[RequestBody], kind: SubscriptionKind, id_field: str
) -> None:
    """Register ``POST path``: a batch of ``body_type``'s one list, each item alone."""
    (items,) = body_type.model_fields

    def endpoint(
        body: RequestBody,
        request: Request,
        uow: UoW,
        app: Regulars,
        key: Pos,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        def run() -> tuple[int, Any]:
            return _batch(uow, app, kind, getattr(body, items), id_field)

        return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)

    endpoint.__annotations__ = {**endpoint.__annotations__, "body": body_type}
    endpoint.__name__ = f"post_{kind.replace('-', '_')}_batch"
    router.post(path, summary=summary, responses=answers(400, 409))(endpoint)


for _path, _summary, _body, _kind, _id in (
    (
        "/batch",
        "Add or update many contracts; each is accepted or rejected alone",
        SubscriptionBatch,
        "subscriptions",
        "subscription_id",
    ),
    (
        "/plans",
        "Add or update plans of the catalogue; each is accepted or rejected alone",
        PlanBatch,
        "plans",
        "code",
    ),
    (
        "/plan-changes",
        "Record plan changes; known ones add nothing",
        PlanChangeBatch,
        "plan-changes",
        "subscription_id",
    ),
    (
        "/bills",
        "Record monthly bills and usage; a month already billed adds nothing",
        BillBatch,
        "bills",
        "subscription_id",
    ),
):
    _batch_route(_path, _summary, _body, _kind, _id)  # type: ignore[arg-type]


@router.get(
    "/reasons",
    summary="Why members leave: reasons' shares with intervals, the competitor named most",
)
async def get_reasons(
    app: Regulars,
    _: Analyst,
    by: Annotated[str | None, Query(description="plan, segment or month")] = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    return await run_apart(app.settings, "churn_reasons", by=by, since=since, until=until)  # type: ignore[no-any-return]


@router.get("/members/{member_id}", summary="A member's contracts")
def get_member_subscriptions(member_id: str, uow: UoW, _: Analyst) -> dict[str, Any]:
    return wire_times(recording.member_subscriptions(uow, member_id))


@router.get(
    "/members/{member_id}/scores",
    summary="A member's churn scores: P(cancel in 30/90 days), median residual days, loyalty",
)
def get_member_churn_scores(member_id: str, uow: UoW, _: Analyst) -> dict[str, Any]:
    """Each of the member's active contracts as last scored (``regulars subscriptions
    score``): ``cancel_probability_30d``, ``cancel_probability_90d``,
    ``median_residual_days`` (days), ``loyalty_index`` (0-100), ``loyalty_band``, the
    ``model`` that gave the probabilities and ``computed_at``."""
    rows = scoring.subscription_scores(uow, member_id)
    return {"member": member_id, "subscriptions": [wire_times(r) for r in rows]}


@router.get("/{subscription_id}", summary="One contract with its plan changes, bills and exits")
def get_subscription(subscription_id: str, uow: UoW, _: Analyst) -> dict[str, Any]:
    return wire_times(recording.get_subscription(uow, subscription_id))


@router.post(
    "/{subscription_id}/exit",
    summary="Record why the member of a cancelled contract left",
    responses={**CREATED, **answers(400, 409)},
)
def post_exit(
    subscription_id: str,
    body: ExitIn,
    request: Request,
    uow: UoW,
    app: Regulars,
    key: Pos,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def run() -> tuple[int, Any]:
        at = body.collected_at or datetime.now(UTC)
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(app.settings.timezone))
        if outside_dates(at.astimezone(UTC).date()):
            reason = f"is outside the accepted dates {DATE_RANGE}"
            detail = {"field": "collected_at", "value": at.isoformat(), "reason": reason}
            raise Invalid(f"collected_at: {reason}", [detail])
        answer = ExitAnswer(CancelReason(body.reason.value), body.competitor, body.comment)
        found = exit_service.record_from_api(
            uow,
            subscription_id,
            answer,
            response_id=body.response_id,
            language=None if body.language is None else body.language.value,
            collected_at=at,
        )
        return (201 if found["added"] else 200), found

    return idempotent(uow, idempotency_key, key.id, "POST", request.url.path, body, run)
