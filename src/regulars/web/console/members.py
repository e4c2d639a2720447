"""Members: the lookup (``/console/members``), the member page and what staff do there —
adjust points (with a reason), issue a voucher by hand, record a consent change the member
asked for, and (managers and owners) export or erase the member after a confirmation step.
Every change is audited with its state before and after."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regulars.domain.bounds import MAX_POINTS
from regulars.domain.staff import Permission
from regulars.services import audit, member_search
from regulars.services import members as member_service
from regulars.services.errors import Invalid
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty import vouchers
from regulars.services.member_profile import member_profile
from regulars.web.console.access import ConsoleRefusal, in_thread, needs, posted, scope_of
from regulars.web.console.rendering import Viewer, redirect, regulars_app, render
from regulars.web.console.security import CONSOLE_HEADERS

router = APIRouter(prefix="/console/members", include_in_schema=False)
CHANNELS = ("email", "sms", "push")


def actor_of(viewer: Viewer) -> audit.Actor:
    assert viewer.user is not None
    return audit.Actor("staff", viewer.user.id, viewer.user.email)


def member_path(member_id: str, tail: str = "") -> str:
    return f"/console/members/{quote(member_id, safe='')}{tail}"


@router.get("", response_class=HTMLResponse)
def lookup(
    request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_MEMBERS))
) -> HTMLResponse:
    query = request.query_params.get("q", "")
    found = None
    if query.strip():
        with regulars_app(request).unit_of_work() as uow:
            found = member_search.search_members(uow, query)
    return render(request, viewer, "members", query=query, found=found)


@router.get("/{member_id}", response_class=HTMLResponse)
def member_page(
    member_id: str, request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_MEMBERS))
) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        profile = member_profile(uow, member_id, datetime.now(UTC), scope_of(viewer))
    return render(
        request,
        viewer,
        "member",
        profile=profile,
        member=profile["member"],
        once=secrets.token_urlsafe(12),
        base=member_path(member_id),
        channels=CHANNELS,
    )


def _whole(form: dict[str, str], name: str, limit: int = MAX_POINTS) -> int:
    """A whole number from the form (thousands commas allowed), within ±``limit``."""
    text = form.get(name, "").strip().replace(",", "")
    try:
        value = int(text)
    except ValueError:
        raise Invalid(f"{name} must be a whole number, not {text[:40]!r}") from None
    if abs(value) > limit:
        raise Invalid(f"{name} must be at most {limit:,} either way")
    return value


def _once(viewer: Viewer, form: dict[str, str]) -> str:
    """The idempotency key of a form: the random value it was rendered with, per user."""
    assert viewer.user is not None
    once = form.get("once", "").strip()[:64]
    if not once:
        raise ConsoleRefusal(400, "error_unreadable")
    return f"console:{viewer.user.id}:{once}"


@router.post("/{member_id}/adjust")
async def adjust_points(
    member_id: str, request: Request, viewer: Viewer = Depends(needs(Permission.ADJUST_POINTS))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)

    def work() -> None:
        points, program, reason = (
            _whole(form, "points"),
            form.get("program", ""),
            form.get("reason", ""),
        )
        now = datetime.now(UTC)
        actor = actor_of(viewer)
        with app.unit_of_work() as uow:
            before = {
                a["program"]: a["balance"] for a in loyalty.balances(uow, member_id)["programs"]
            }
            result = loyalty.adjust(
                uow, member_id, program, points, reason.strip()[:1000], actor=actor.label,
                key=_once(viewer, form), now=now,
            )  # fmt: skip
            if not result.get("replayed"):
                audit.record(
                    uow, actor, "points.adjust", "member", member_id, now,
                    member_id=loyalty.member_id(uow, member_id),
                    before={"program": program, "balance": before.get(program, 0)},
                    after={"program": program, "balance": result["balance"], "points": points,
                           "reason": reason.strip()},
                )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect(member_path(member_id), "adjusted")


@router.post("/{member_id}/voucher")
async def issue_voucher(
    member_id: str, request: Request, viewer: Viewer = Depends(needs(Permission.ISSUE_VOUCHER))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)

    def work() -> None:
        days = form.get("valid_days", "").strip()
        now = datetime.now(UTC)
        with app.unit_of_work() as uow:
            issued = vouchers.issue_by_hand(
                uow, member_id, form.get("program", ""), now, key=_once(viewer, form),
                name=form.get("name", "")[:200], product=form.get("product", "")[:64],
                valid_days=_whole(form, "valid_days") if days else None,
            )  # fmt: skip
            if not issued["replayed"]:
                audit.record(
                    uow, actor_of(viewer), "voucher.issue", "member", member_id, now,
                    member_id=loyalty.member_id(uow, member_id), after=issued,
                )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect(member_path(member_id), "voucher_issued")


@router.post("/{member_id}/consent")
async def change_consent(
    member_id: str, request: Request, viewer: Viewer = Depends(needs(Permission.CHANGE_CONSENT))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)
    channel = form.get("channel", "")
    granted = form.get("granted") == "yes"
    if channel not in CHANNELS or form.get("granted") not in ("yes", "no"):
        raise ConsoleRefusal(400, "error_unreadable")
    assert viewer.user is not None
    source = f"console:{viewer.user.email}"[:100]

    def work() -> None:
        now = datetime.now(UTC)
        with app.unit_of_work() as uow:
            before = member_service.get_member(uow, member_id)["consent"]
            after = member_service.record_consent(uow, member_id, channel, granted, source, now)
            audit.record(
                uow, actor_of(viewer), "consent.change", "member", member_id, now,
                member_id=loyalty.member_id(uow, member_id),
                before={channel: before[channel]},
                after={channel: after["consent"][channel], "source": source,
                       "note": form.get("note", "").strip()[:500] or None},
            )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect(member_path(member_id), "consent_changed")


@router.get("/{member_id}/{step}", response_class=HTMLResponse)
def confirm(
    member_id: str,
    step: str,
    request: Request,
    viewer: Viewer = Depends(needs(Permission.VIEW_MEMBERS)),
) -> HTMLResponse:
    """The confirmation step before an export or an erasure."""
    permission = {"export": Permission.EXPORT_MEMBER, "erase": Permission.ERASE_MEMBER}.get(step)
    if permission is None:
        raise ConsoleRefusal(404, "error_404_text")
    assert viewer.user is not None
    if not viewer.user.may(permission):
        raise ConsoleRefusal(403, "error_forbidden")
    with regulars_app(request).unit_of_work() as uow:
        member = member_service.get_member(uow, member_id)
    return render(request, viewer, "confirm", step=step, member=member, base=member_path(member_id))


@router.post("/{member_id}/export")
async def export(
    member_id: str, request: Request, viewer: Viewer = Depends(needs(Permission.EXPORT_MEMBER))
) -> Response:
    await posted(request, viewer)
    app = regulars_app(request)

    def work() -> dict[str, Any]:
        now = datetime.now(UTC)
        with app.unit_of_work() as uow:
            exported = member_service.export_member(uow, member_id)
            audit.record(
                uow, actor_of(viewer), "member.export", "member", member_id, now,
                member_id=loyalty.member_id(uow, member_id),
            )  # fmt: skip
            uow.commit()
        return exported

    exported = await in_thread(work)
    body = json.dumps(exported, ensure_ascii=False, indent=2)
    name = "".join(c for c in member_id if c.isalnum() or c in "-_")[:64] or "member"
    return Response(
        body,
        media_type="application/json",
        headers={
            **CONSOLE_HEADERS,
            "Content-Disposition": f'attachment; filename="member-{name}.json"',
        },
    )


@router.post("/{member_id}/erase")
async def erase(
    member_id: str, request: Request, viewer: Viewer = Depends(needs(Permission.ERASE_MEMBER))
) -> Response:
    form = await posted(request, viewer)
    if form.get("confirm_id", "").strip() != member_id:
        raise Invalid("type the member's id to confirm the erasure: nothing was erased")
    app = regulars_app(request)

    def work() -> None:
        now = datetime.now(UTC)
        with app.unit_of_work() as uow:
            row_id = loyalty.member_id(uow, member_id)
            pseudonym = member_service.erase_member(uow, member_id, now)
            audit.record(
                uow, actor_of(viewer), "member.erase", "member", pseudonym, now,
                member_id=row_id, after={"pseudonym": pseudonym},
            )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect("/console/members", "erased")
