"""``/console/sign-in`` and ``/console/sign-out``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regulars.services.staff import sessions
from regulars.web.console.access import (
    ConsoleRefusal,
    in_thread,
    posted,
    read_form,
    safe_next,
    signed_in,
)
from regulars.web.console.rendering import (
    Viewer,
    language_asked,
    messages,
    redirect,
    regulars_app,
    render,
)
from regulars.web.console.security import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    clear_cookie,
    foreign_origin,
    new_nonce,
    same,
    set_cookie,
    sign_in_token,
)
from regulars.web.messages import LANGUAGES

router = APIRouter(prefix="/console", include_in_schema=False)


def _form_page(
    request: Request,
    language: str,
    nonce: str,
    next_path: str,
    *,
    email: str = "",
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    app = regulars_app(request)
    response = render(
        request,
        Viewer(None, language=language),
        "sign_in",
        status,
        sign_in_token=sign_in_token(app.settings.secret_key, nonce),
        next=next_path,
        email=email,
        problem=problem,
    )
    set_cookie(response, app.settings, request, SIGN_IN_COOKIE, nonce, 3600)
    return response


def _nonce(request: Request) -> str:
    kept = request.cookies.get(SIGN_IN_COOKIE, "")
    return (
        kept
        if 20 <= len(kept) <= 64 and kept.replace("-", "").replace("_", "").isalnum()
        else new_nonce()
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    return _form_page(
        request,
        language_asked(request),
        _nonce(request),
        safe_next(request.query_params.get("next")),
    )


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    app = regulars_app(request)
    if foreign_origin(request):
        raise ConsoleRefusal(403, "error_csrf")
    form = await read_form(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not nonce or not same(sign_in_token(app.settings.secret_key, nonce), form.get("csrf")):
        raise ConsoleRefusal(403, "error_csrf")
    chosen = form.get("lang", "")
    language = chosen if chosen in LANGUAGES else language_asked(request)
    next_path = safe_next(form.get("next"))
    email = form.get("email", "")[:320]
    address = request.client.host if request.client else "unknown"
    lifetime = timedelta(hours=app.settings.console_session_hours)

    def attempt() -> sessions.SignedIn | sessions.SignInRefused:
        with app.unit_of_work() as uow:
            try:
                result: sessions.SignedIn | sessions.SignInRefused = sessions.sign_in(
                    uow, email, form.get("password", "")[:1024], address, datetime.now(UTC),
                    lifetime=lifetime,
                )  # fmt: skip
            except sessions.SignInRefused as refusal:
                result = refusal
            uow.commit()  # the attempt counts either way
        return result

    result = await in_thread(attempt)
    if isinstance(result, sessions.SignInRefused):
        t = messages(language)
        if result.reason == "throttled" and result.until is not None:
            local = result.until.astimezone(ZoneInfo(app.settings.timezone))
            problem = t(f"sign_in_throttled_{result.scope}", time=local.strftime("%H:%M"))
            status = 429
        else:
            problem, status = t("sign_in_refused"), 401
        return _form_page(
            request, language, nonce, next_path, email=email, problem=problem, status=status
        )
    response = redirect(next_path)
    set_cookie(
        response, app.settings, request, SESSION_COOKIE, result.token, int(lifetime.total_seconds())
    )
    clear_cookie(response, app.settings, request, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    await posted(request, viewer)
    app = regulars_app(request)

    def end() -> None:
        with app.unit_of_work() as uow:
            sessions.sign_out(uow, viewer.token, datetime.now(UTC))
            uow.commit()

    await in_thread(end)
    response = redirect(f"/console/sign-in?lang={viewer.language}", "signed_out")
    clear_cookie(response, app.settings, request, SESSION_COOKIE)
    return response
