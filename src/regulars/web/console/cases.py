"""Follow-up cases: the queue (filtered by store, status, owner and overdue), one case with
the member's history beside it, and the work on it — assign, note, change status, resolve
with an optional recovery gift (points through the ledger, once per case whatever is sent
twice). A store-scoped user sees and works only their store's cases (403 for another's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regulars.domain.feedback.cases import CaseStatus
from regulars.domain.staff import Permission
from regulars.services import audit
from regulars.services.errors import Invalid
from regulars.services.feedback import cases as case_service
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty.programs import running
from regulars.services.member_profile import member_profile
from regulars.services.staff.accounts import list_staff
from regulars.web.console.access import in_thread, needs, posted, scope_of, within_scope
from regulars.web.console.members import actor_of
from regulars.web.console.rendering import Viewer, redirect, regulars_app, render

router = APIRouter(prefix="/console/cases", include_in_schema=False)
STATUSES = tuple(s.value for s in CaseStatus)
GIFT_LIMIT = 1_000_000


@router.get("", response_class=HTMLResponse)
def queue(request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_CASES))) -> HTMLResponse:
    params = request.query_params
    scope = scope_of(viewer)
    status = params.get("status", "")
    overdue = params.get("overdue") == "1"
    owner = params.get("owner")
    store = scope.store or (params.get("store") or None)
    wanted = (
        [status]
        if status in STATUSES
        else ([] if status == "all" or overdue else ["open", "in_progress"])
    )
    after = int(params.get("after", "0")) if params.get("after", "0").isdigit() else 0
    with regulars_app(request).unit_of_work() as uow:
        found = case_service.list_cases(
            uow, status=wanted, store=store, department=scope.department,
            overdue_at=datetime.now(UTC) if overdue else None, after=after, limit=101,
            owner=None if owner is None or owner == "any" else owner,
        )  # fmt: skip
        staff = [u for u in list_staff(uow) if u.active]
    more = len(found) > 100
    return render(
        request, viewer, "cases", cases=found[:100], more=more, status=status, overdue=overdue,
        owner=owner or "any", store=store or "", statuses=STATUSES, staff=staff,
        now=datetime.now(UTC), scoped=scope.store is not None,
        next_after=found[99]["id"] if more else None,
    )  # fmt: skip


def _case_in_scope(viewer: Viewer, uow: Any, case_id: int) -> dict[str, Any]:
    case = case_service.get_case(uow, case_id)
    within_scope(viewer, case["store"], case["department"])
    return case


@router.get("/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_CASES))
) -> HTMLResponse:
    now = datetime.now(UTC)
    with regulars_app(request).unit_of_work() as uow:
        case = _case_in_scope(viewer, uow, case_id)
        profile = (
            member_profile(uow, case["member_id"], now, scope_of(viewer))
            if case["member_id"]
            else None
        )
        staff = [u for u in list_staff(uow) if u.active]
        programs = [
            {"code": rp.program.code, "name": rp.program.name}
            for rp in running(uow)
            if rp.program.points is not None
        ]
    return render(
        request, viewer, "case", case=case, profile=profile, staff=staff, programs=programs,
        statuses=STATUSES, now=now,
    )  # fmt: skip


def _shown(case: dict[str, Any]) -> dict[str, Any]:
    return {"status": case["status"], "owner": case["owner"]}


async def _work(request: Request, viewer: Viewer, case_id: int, change: Any, done: str) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)

    def work() -> None:
        now = datetime.now(UTC)
        with app.unit_of_work() as uow:
            before = _case_in_scope(viewer, uow, case_id)
            action, after, extra = change(uow, form, now, before)
            member = before["member_id"]
            audit.record(
                uow, actor_of(viewer), action, "case", str(case_id), now,
                member_id=loyalty.member_id(uow, member) if member else None,
                store=before["store"], before=_shown(before), after={**_shown(after), **extra},
            )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect(f"/console/cases/{case_id}", done)


def _author(viewer: Viewer) -> str:
    assert viewer.user is not None
    return viewer.user.email


@router.post("/{case_id}/assign")
async def assign(
    case_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.WORK_CASES))
) -> Response:
    def change(
        uow: Any, form: dict[str, str], now: datetime, _: Any
    ) -> tuple[str, Any, dict[str, Any]]:
        owner = form.get("owner", "").strip()[:200]
        updated = case_service.update_case(uow, case_id, now, owner=owner, author=_author(viewer))
        return "case.assign", updated, {}

    return await _work(request, viewer, case_id, change, "assigned")


@router.post("/{case_id}/note")
async def note(
    case_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.WORK_CASES))
) -> Response:
    def change(
        uow: Any, form: dict[str, str], now: datetime, _: Any
    ) -> tuple[str, Any, dict[str, Any]]:
        text = form.get("note", "")[:5000]
        updated = case_service.update_case(uow, case_id, now, note=text, author=_author(viewer))
        return "case.note", updated, {"note": text.strip()}

    return await _work(request, viewer, case_id, change, "noted")


@router.post("/{case_id}/status")
async def status(
    case_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.WORK_CASES))
) -> Response:
    def change(
        uow: Any, form: dict[str, str], now: datetime, _: Any
    ) -> tuple[str, Any, dict[str, Any]]:
        text = form.get("note", "").strip()[:5000] or None
        updated = case_service.update_case(
            uow, case_id, now, status=form.get("status", ""), note=text, author=_author(viewer)
        )
        return "case.status", updated, {"note": text} if text else {}

    return await _work(request, viewer, case_id, change, "status_changed")


@router.post("/{case_id}/resolve")
async def resolve(
    case_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.WORK_CASES))
) -> Response:
    """Resolve the case; with ``gift_points``, give the member a recovery gift in
    ``gift_program`` through the ledger, keyed by the case (one gift per case)."""

    def change(
        uow: Any, form: dict[str, str], now: datetime, before: Any
    ) -> tuple[str, Any, dict[str, Any]]:
        text = form.get("note", "").strip()[:5000] or None
        raw = form.get("gift_points", "").strip().replace(",", "")
        extra: dict[str, Any] = {}
        if raw:
            if not raw.isdigit() or not 0 < int(raw) <= GIFT_LIMIT:
                raise Invalid(f"a recovery gift is 1 to {GIFT_LIMIT:,} points, not {raw!r}")
            if not before["member_id"]:
                raise Invalid("this case has no member to give a gift to")
            assert viewer.user is not None
            gift = loyalty.adjust(
                uow, before["member_id"], form.get("gift_program", ""), int(raw),
                f"recovery gift for case {case_id}", actor=actor_of(viewer).label,
                key=f"case-gift:{case_id}", now=now,
            )  # fmt: skip
            extra = {"gift_points": int(raw), "gift_program": form.get("gift_program"),
                     "gift_replayed": bool(gift.get("replayed"))}  # fmt: skip
        updated = case_service.update_case(
            uow, case_id, now, status="resolved", note=text, author=_author(viewer)
        )
        return "case.resolve", updated, extra

    return await _work(request, viewer, case_id, change, "resolved")
