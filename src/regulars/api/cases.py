"""``/v1/cases``: the follow-up cases detractors open — list, read, update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from regulars.api.deps import Authorized, UoW
from regulars.api.errors import answers
from regulars.api.inputs import RequestBody, RowId
from regulars.domain.access import Scope
from regulars.domain.bounds import MAX_ID
from regulars.domain.feedback.cases import CaseStatus
from regulars.domain.times import wire
from regulars.services.api_keys import ApiKey
from regulars.services.feedback import cases as case_service

router = APIRouter(prefix="/v1/cases", tags=["follow-up cases"], responses=answers(401, 403, 422))
CASE_TIMES = ("opened_at", "due_at", "updated_at", "closed_at")


def _shown(case: dict[str, Any]) -> dict[str, Any]:
    """A case as the API answers it: every time in the one wire format."""
    shown = {**case, **{name: wire(case[name]) for name in CASE_TIMES}}
    if "notes" in case:
        shown["notes"] = [{**note, "at": wire(note["at"])} for note in case["notes"]]
    return shown


class CaseUpdate(RequestBody):
    status: CaseStatus | None = None
    owner: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    author: str = Field(default="staff", min_length=1, max_length=200)


@router.get("", summary="Follow-up cases, oldest first (keyset pagination by id)")
def list_cases(
    uow: UoW,
    _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))],
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    store: str | None = None,
    department: str | None = None,
    overdue: bool = False,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="The last id of the page before")] = 0,
    limit: int = 100,
) -> dict[str, Any]:
    found = case_service.list_cases(
        uow,
        status=[s.value for s in status or []],
        store=store,
        department=department,
        overdue_at=datetime.now(UTC) if overdue else None,
        after=after,
        limit=max(1, min(limit, 1000)),
    )
    return {"cases": [_shown(c) for c in found], "next_after": found[-1]["id"] if found else None}


@router.get("/{case_id}", summary="One case with its notes", responses=answers(404))
def get_case(
    case_id: RowId, uow: UoW, _: Annotated[ApiKey, Depends(Authorized(Scope.ANALYST))]
) -> dict[str, Any]:
    return _shown(case_service.get_case(uow, case_id))


@router.patch(
    "/{case_id}",
    summary="Move a case, give it an owner, add a note",
    responses=answers(400, 404),
)
def update_case(
    case_id: RowId,
    body: CaseUpdate,
    uow: UoW,
    _: Annotated[ApiKey, Depends(Authorized(Scope.POS))],
) -> dict[str, Any]:
    updated = case_service.update_case(
        uow,
        case_id,
        datetime.now(UTC),
        status=None if body.status is None else body.status.value,
        owner=body.owner,
        note=body.note,
        author=body.author,
    )
    uow.commit()
    return _shown(updated)
