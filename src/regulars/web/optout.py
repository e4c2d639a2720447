"""The one-click opt-out page: ``GET /unsubscribe/{token}`` asks, ``POST`` records.

The link is in every advertising message (and in its ``List-Unsubscribe`` header). Opening
it shows a confirmation with one button, so that a mail scanner following links withdraws
nobody; the button — or a mail client's RFC 8058 one-click ``POST`` (body
``List-Unsubscribe=One-Click``) to the same URL — records the withdrawal in the member's
consent history. A forged, altered or expired link gets a 404 page. No login: the signed
token is the key, and it withdraws only the consent it names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from regulars.bootstrap import App
from regulars.domain.members import Locale
from regulars.services.engagement import optout
from regulars.services.engagement.rendering import words

router = APIRouter(tags=["opt-out page"], include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
SECTION = "optout_page"


def _app(request: Request) -> App:
    return request.app.state.regulars  # type: ignore[no-any-return]


def _language(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in {locale.value for locale in Locale}:
        return str(wanted)
    accepted = request.headers.get("accept-language", "")
    return "en" if accepted.lower().startswith("en") else "ko"


def _page(language: str, status: int, message: str, *, confirm: bool = False) -> HTMLResponse:
    html = templates.get_template("messages/optout.html").render(
        language=language,
        title=words(language, "title", SECTION),
        message=message,
        button=words(language, "button", SECTION),
        confirm=confirm,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def _channel(language: str, channel: str) -> str:
    return words(language, f"channel_{channel}", SECTION)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def ask(token: str, request: Request) -> HTMLResponse:
    app, language = _app(request), _language(request)
    with app.unit_of_work() as uow:
        found = optout.check(uow, token, app.settings.secret_key, datetime.now(UTC))
    if found is None:
        return _page(language, 404, words(language, "invalid", SECTION))
    business = app.settings.business_name
    channel = _channel(language, found.channel)
    message = words(language, "confirm", SECTION, business=business, channel=channel)
    return _page(language, 200, message, confirm=True)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def record(token: str, request: Request) -> HTMLResponse:
    app, language = _app(request), _language(request)
    with app.unit_of_work() as uow:
        done = optout.withdraw(uow, token, app.settings.secret_key, datetime.now(UTC))
        uow.commit()
    if done is None:
        return _page(language, 404, words(language, "invalid", SECTION))
    channel = _channel(language, done.channel)
    return _page(language, 200, words(language, "done", SECTION, channel=channel))
