"""The staff console: server-rendered pages under ``/console`` on the same services as the API.

:func:`mount` adds its routes, its static files (``web/static/console``) and its error pages
to the API application. Sections, one module each: ``signing`` (sign-in, sign-out),
``today`` (the front door: the period's figures and the staff task queue), ``feedback``
(the briefing's feedback sections), ``campaigns`` (list, inspect, launch / pause / end,
results), ``members`` (lookup, the member page and its
actions), ``cases``, ``programs``, ``settings`` (API keys, webhooks, staff users, one's own
language) and ``audit``. Protections are in ``security`` and ``access``; rendering and words
in ``rendering`` and ``locales/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from regulars.services.errors import ServiceError
from regulars.web.console import (
    audit_pages,
    campaigns,
    cases,
    feedback,
    members,
    programs,
    settings,
    signing,
    today,
)
from regulars.web.console.access import ConsoleRefusal, SignInNeeded, sign_in_path, signed_in
from regulars.web.console.rendering import Viewer, language_asked, messages, render

STATIC = Path(__file__).resolve().parents[1] / "static"
ROUTERS = (
    signing.router,
    today.router,
    feedback.router,
    campaigns.router,
    members.router,
    cases.router,
    programs.router,
    settings.router,
    audit_pages.router,
)
HEADINGS = {400: "error_400", 403: "error_403", 404: "error_404", 405: "error_405"}


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == "/console" or path.startswith("/console/")


def _viewer(request: Request) -> Viewer:
    try:
        return signed_in(request)
    except SignInNeeded:
        return Viewer(None, language=language_asked(request))


def error_page(
    request: Request, status: int, message_key: str | None, text: str | None = None
) -> HTMLResponse:
    viewer = _viewer(request)
    t = messages(viewer.language)
    heading = t(HEADINGS.get(status, "error_other"))
    message = (
        text
        if text is not None
        else t(message_key or HEADINGS.get(status, "error_other") + "_text")
    )
    back = request.url.path.rsplit("/", 1)[0] or "/console/"
    if not back.startswith("/console"):
        back = "/console/"
    return render(request, viewer, "error", status, heading=heading, message=message, back=back)


def page_for_error(request: Request, error: Exception) -> Response | None:
    """The console's answer to an error raised under ``/console`` (None elsewhere: the API's
    JSON error shape answers there)."""
    if not is_console(request):
        return None
    if isinstance(error, SignInNeeded):
        return RedirectResponse(sign_in_path(error.wanted), status_code=303)
    if isinstance(error, ConsoleRefusal):
        return error_page(request, error.status_code, error.key)
    if isinstance(error, ServiceError):
        status = error.status if error.status in (400, 403, 404, 409, 422) else 400
        return error_page(request, status, None, error.message)
    if isinstance(error, HTTPException):
        return error_page(request, error.status_code, None)
    if isinstance(error, RequestValidationError):  # /console/cases/abc: no such page
        return error_page(request, 404, None)
    return None


def mount(api: FastAPI, run_apart: Callable[..., Awaitable[Any]]) -> None:
    """Add the console to ``api``; ``run_apart`` runs a heavy use case away from the
    serving worker (the API's report process: the Feedback page's briefing)."""
    api.state.console_run_apart = run_apart
    for router in ROUTERS:
        api.include_router(router)
    api.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    @api.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, error: SignInNeeded) -> Response:
        return RedirectResponse(sign_in_path(error.wanted), status_code=303)
