"""Settings: one's own language; API keys (create — the key is shown once —, list, revoke)
and webhook endpoints (add — the secret is shown once —, disable, enable, rotate) for
chain-wide managers and owners; staff users for owners. Every change is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regulars.domain.access import Scope
from regulars.domain.staff import Permission, Role
from regulars.services import api_keys, audit
from regulars.services.engagement import webhooks
from regulars.services.errors import Invalid
from regulars.services.staff import accounts
from regulars.web.console.access import ConsoleRefusal, in_thread, needs, posted, signed_in
from regulars.web.console.members import actor_of
from regulars.web.console.rendering import Viewer, redirect, regulars_app, render

router = APIRouter(prefix="/console/settings", include_in_schema=False)
SCOPES = tuple(s.value for s in Scope)
ROLES = tuple(r.value for r in Role)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, viewer: Viewer = Depends(signed_in)) -> HTMLResponse:
    return render(request, viewer, "settings")


@router.post("/language")
async def my_language(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)
    assert viewer.user is not None
    user = viewer.user

    def work() -> None:
        with app.unit_of_work() as uow:
            accounts.change_staff(
                uow, user.id, datetime.now(UTC), actor_of(viewer), language=form.get("language")
            )
            uow.commit()

    await in_thread(work)
    return redirect("/console/settings", "language_changed")


# --- API keys ---------------------------------------------------------------------------


def _keys_page(request: Request, viewer: Viewer, created: str | None = None) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        keys = api_keys.list_keys(uow)
    return render(request, viewer, "keys", keys=keys, scopes=SCOPES, created=created)


@router.get("/keys", response_class=HTMLResponse)
def keys(request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_KEYS))) -> HTMLResponse:
    return _keys_page(request, viewer)


@router.post("/keys", response_class=HTMLResponse)
async def create_key(
    request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_KEYS))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)
    name = form.get("name", "").strip()[:100]
    chosen = ",".join(s for s in SCOPES if form.get(f"scope_{s}") == "on")
    if not name:
        raise Invalid("an API key needs a name (who or what uses it)")

    def work() -> str:
        with app.unit_of_work() as uow:
            try:
                token, key = api_keys.create(uow, name, chosen)
            except ValueError as error:
                raise Invalid(str(error)) from None
            audit.record(
                uow, actor_of(viewer), "api_key.create", "api_key", key.prefix,
                datetime.now(UTC), after={"name": name, "scopes": sorted(key.scopes)},
            )  # fmt: skip
            uow.commit()
        return token

    token = await in_thread(work)
    return _keys_page(request, viewer, created=token)


@router.post("/keys/{prefix}/revoke")
async def revoke_key(
    prefix: str, request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_KEYS))
) -> Response:
    await posted(request, viewer)
    app = regulars_app(request)

    def work() -> None:
        with app.unit_of_work() as uow:
            try:
                key = api_keys.revoke(uow, prefix)
            except api_keys.InvalidApiKey as error:
                raise Invalid(str(error)) from None
            audit.record(
                uow, actor_of(viewer), "api_key.revoke", "api_key", prefix, datetime.now(UTC),
                before={"revoked": False}, after={"name": key.name, "revoked": True},
            )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect("/console/settings/keys", "key_revoked")


# --- webhook endpoints ------------------------------------------------------------------


def _hooks_page(
    request: Request, viewer: Viewer, secret: tuple[int, str] | None = None
) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        endpoints = webhooks.list_endpoints(uow, datetime.now(UTC))
    return render(request, viewer, "webhooks", endpoints=endpoints, secret=secret)


@router.get("/webhooks", response_class=HTMLResponse)
def hooks(
    request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_WEBHOOKS))
) -> HTMLResponse:
    return _hooks_page(request, viewer)


@router.post("/webhooks", response_class=HTMLResponse)
async def add_hook(
    request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_WEBHOOKS))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)

    def work() -> tuple[int, str]:
        now = datetime.now(UTC)
        with app.unit_of_work() as uow:
            endpoint, secret = webhooks.add(
                uow, app.sealer, form.get("url", "").strip()[:2000], now,
                events=form.get("events", "").strip()[:1000] or None,
                description=form.get("description", "").strip()[:200] or None,
                allow_private=app.settings.webhook_allow_private,
            )  # fmt: skip
            audit.record(
                uow, actor_of(viewer), "webhook.add", "webhook", str(endpoint.id), now,
                after=endpoint.as_dict(),
            )  # fmt: skip
            uow.commit()
        return endpoint.id, secret

    secret = await in_thread(work)
    return _hooks_page(request, viewer, secret=secret)


@router.post("/webhooks/{endpoint_id}/{move}", response_class=HTMLResponse)
async def change_hook(
    endpoint_id: int,
    move: str,
    request: Request,
    viewer: Viewer = Depends(needs(Permission.MANAGE_WEBHOOKS)),
) -> Response:
    if move not in ("disable", "enable", "rotate"):
        raise ConsoleRefusal(404, "error_404_text")
    await posted(request, viewer)
    app = regulars_app(request)

    def work() -> str | None:
        now = datetime.now(UTC)
        secret = None
        with app.unit_of_work() as uow:
            before = webhooks.get(uow, endpoint_id, now)
            if move == "disable":
                after = webhooks.disable(uow, endpoint_id, now)
            elif move == "enable":
                after = webhooks.enable(uow, endpoint_id, now)
            else:
                after, secret = webhooks.rotate(
                    uow, app.sealer, endpoint_id, now,
                    window_hours=app.settings.webhook_rotation_hours,
                )  # fmt: skip
            audit.record(
                uow, actor_of(viewer), f"webhook.{move}", "webhook", str(endpoint_id), now,
                before=before.as_dict(), after=after.as_dict(),
            )  # fmt: skip
            uow.commit()
        return secret

    secret = await in_thread(work)
    if secret is not None:
        return _hooks_page(request, viewer, secret=(endpoint_id, secret))
    return redirect("/console/settings/webhooks", f"webhook_{move}d")


# --- staff users (owners) ---------------------------------------------------------------


@router.get("/staff", response_class=HTMLResponse)
def staff(
    request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_STAFF))
) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        users = accounts.list_staff(uow)
    return render(request, viewer, "staff", users=users, roles=ROLES)


@router.post("/staff")
async def add_staff(
    request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_STAFF))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)

    def work() -> None:
        with app.unit_of_work() as uow:
            accounts.add_staff(
                uow, form.get("email", ""), form.get("role", ""), form.get("password", "")[:1024],
                datetime.now(UTC), actor_of(viewer), name=form.get("name"),
                store=form.get("store"), department=form.get("department"),
                language=form.get("language", "ko"),
            )  # fmt: skip
            uow.commit()

    await in_thread(work)
    return redirect("/console/settings/staff", "staff_added")


@router.post("/staff/{staff_id}")
async def change_staff(
    staff_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.MANAGE_STAFF))
) -> Response:
    form = await posted(request, viewer)
    app = regulars_app(request)
    changes: dict[str, Any] = {
        "role": form.get("role") or None,
        "store": form.get("store", ""),
        "department": form.get("department", ""),
    }
    if form.get("active") in ("yes", "no"):
        changes["active"] = form["active"] == "yes"

    def work() -> None:
        with app.unit_of_work() as uow:
            accounts.change_staff(uow, staff_id, datetime.now(UTC), actor_of(viewer), **changes)
            uow.commit()

    await in_thread(work)
    return redirect("/console/settings/staff", "staff_changed")
