"""Who is signed in, what they may do, and the forms they send.

Every console route takes a :class:`~regulars.web.console.rendering.Viewer` from
:func:`signed_in` (or ``needs(permission)``): no live session → a redirect to the sign-in page
(back to the page asked for afterwards); a permission the user's role or scope lacks → 403.
Every POST reads its form through :func:`posted`, which refuses (403) a form without this
session's CSRF token or sent from another site, and (400) a body no browser sends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from regulars.domain.bounds import has_forbidden_character
from regulars.domain.staff import Permission, StaffScope
from regulars.services.staff import sessions
from regulars.web.console.rendering import Viewer, regulars_app
from regulars.web.console.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    csrf_token,
    foreign_origin,
    same,
)

MAX_FORM_BYTES = 64 * 1024
T = TypeVar("T")


class SignInNeeded(Exception):
    """No live session: the console answers with a redirect to its sign-in page."""

    def __init__(self, wanted: str) -> None:
        super().__init__(wanted)
        self.wanted = wanted


class ConsoleRefusal(HTTPException):
    """A console page's refusal: rendered as an HTML page with this status and message key."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(status, key)
        self.key = key


def _session(request: Request) -> sessions.Session | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    app = regulars_app(request)
    idle = timedelta(minutes=app.settings.console_idle_minutes)
    with app.unit_of_work() as uow:
        found = sessions.current(uow, token, datetime.now(UTC), idle=idle)
        uow.commit()
    return found


def signed_in(request: Request) -> Viewer:
    found = _session(request)
    if found is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(wanted)
    return Viewer(found.user, found.token, found.user.language)


def needs(permission: Permission) -> Callable[..., Viewer]:
    """A dependency: the signed-in viewer, who must hold ``permission`` (else 403)."""

    def check(viewer: Viewer = Depends(signed_in)) -> Viewer:
        assert viewer.user is not None
        if not viewer.user.may(permission):
            raise ConsoleRefusal(403, "error_forbidden")
        return viewer

    return check


def within_scope(viewer: Viewer, store: str | None, department: str | None = None) -> None:
    """403 unless the thing (of ``store``/``department``) is within the viewer's scope."""
    assert viewer.user is not None
    if not viewer.user.scope.sees(store, department):
        raise ConsoleRefusal(403, "error_out_of_scope")


def scope_of(viewer: Viewer) -> StaffScope:
    assert viewer.user is not None
    return viewer.user.scope


def sign_in_path(wanted: str) -> str:
    return "/console/sign-in?next=" + quote(safe_next(wanted), safe="")


def safe_next(wanted: str | None) -> str:
    """Where to go after sign-in: a console path only (never another site)."""
    if not wanted or not wanted.startswith("/console") or wanted.startswith("//"):
        return "/console/"
    if "\\" in wanted or any(ord(c) < 32 for c in wanted):
        return "/console/"
    return wanted


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body (its first 64 KiB); 400 for a NUL byte no browser sends."""
    body = await request.body()
    text = body[:MAX_FORM_BYTES].decode("utf-8", "replace")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if any(has_forbidden_character(f"{k}{v}") for k, v in form.items()):
        raise ConsoleRefusal(400, "error_unreadable")
    return form


async def posted(request: Request, viewer: Viewer) -> dict[str, str]:
    """The form of a POST by a signed-in viewer, checked: same site, this session's token."""
    if foreign_origin(request):
        raise ConsoleRefusal(403, "error_csrf")
    form = await read_form(request)
    secret = regulars_app(request).settings.secret_key
    if not same(csrf_token(secret, viewer.token), form.get(CSRF_FIELD)):
        raise ConsoleRefusal(403, "error_csrf")
    return form


async def in_thread(work: Callable[[], T]) -> T:
    """Run blocking store work off the event loop."""
    return await run_in_threadpool(work)
