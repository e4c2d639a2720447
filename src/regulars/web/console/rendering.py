"""How a console page is rendered: its templates, words, formats and headers.

Pages are Jinja templates in ``templates/`` (autoescaped), extending ``base.html`` (the
landmarks, the navigation, the skip link, the language switch, sign-out). Words come from the
console's catalogues ``locales/{ko,en}.yaml`` through ``t("key")``; the staff user's own
language is used, and before sign-in ``?lang=`` or the browser's ``Accept-Language``.
Times are shown in ``REGULARS_TIMEZONE``, money as won without decimals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from regulars.bootstrap import App
from regulars.domain.staff import Permission
from regulars.domain.times import as_utc
from regulars.services.staff.accounts import StaffUser
from regulars.web.console.security import CONSOLE_HEADERS, csrf_token
from regulars.web.messages import LANGUAGES, Messages

HERE = Path(__file__).parent
LOCALES = HERE / "locales"
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

NAVIGATION = (
    ("today", "/console/today", None),
    ("members", "/console/members", Permission.VIEW_MEMBERS),
    ("cases", "/console/cases", Permission.VIEW_CASES),
    ("feedback", "/console/feedback", None),
    ("programs", "/console/programs", Permission.VIEW_PROGRAMS),
    ("campaigns", "/console/campaigns", None),
    ("settings", "/console/settings", None),
    ("audit", "/console/audit", Permission.READ_AUDIT),
)
"""The console's sections: (key, path, the permission that shows it)."""


def regulars_app(request: Request) -> App:
    return request.app.state.regulars  # type: ignore[no-any-return]


@dataclass
class Viewer:
    """Who is looking at a page: the staff user (None before sign-in), their session token
    (for the forms' CSRF token) and their language."""

    user: StaffUser | None
    token: str = ""
    language: str = "ko"
    extra: dict[str, Any] = field(default_factory=dict)


def language_asked(request: Request) -> str:
    """Before sign-in: ``?lang=``, else the first of the browser's languages we have."""
    wanted = request.query_params.get("lang")
    if wanted in LANGUAGES:
        return wanted
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "ko"


def messages(language: str) -> Messages:
    return Messages(language, LOCALES)


def _won(amount: Any) -> str:
    if amount is None:
        return "—"
    return f"₩{round(float(amount)):,}"


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def _percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.0f}%"


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def render(
    request: Request,
    viewer: Viewer,
    name: str,
    http_status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """The page ``templates/<name>.html`` for ``viewer``, with the console's headers."""
    app = regulars_app(request)
    zone = ZoneInfo(app.settings.timezone)

    def when(value: datetime | str | None, with_time: bool = True) -> str:
        if value is None or value == "":
            return "—"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None and not with_time:
            return moment.strftime("%Y-%m-%d")
        local = as_utc(moment).astimezone(zone)
        return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")

    t = messages(viewer.language)
    user = viewer.user
    navigation = [
        {"key": key, "path": path, "label": t(f"nav_{key}")}
        for key, path, needs in NAVIGATION
        if user is not None and (needs is None or user.may(needs))
    ]
    html = templates.get_template(f"{name}.html").render(
        t=t,
        user=user,
        language=viewer.language,
        other_language="en" if viewer.language == "ko" else "ko",
        csrf=csrf_token(app.settings.secret_key, viewer.token) if viewer.token else "",
        navigation=navigation,
        path=request.url.path,
        done=request.query_params.get("done", ""),
        when=when,
        won=_won,
        number=_number,
        percent=_percent,
        pretty=_pretty,
        Permission=Permission,
        **values,
    )
    return HTMLResponse(html, status_code=http_status, headers=CONSOLE_HEADERS)


def redirect(path: str, done: str | None = None) -> RedirectResponse:
    """After a POST: see the result with a GET (303), optionally saying what was done."""
    if done:
        path += ("&" if "?" in path else "?") + f"done={done}"
    return RedirectResponse(path, status_code=303, headers=CONSOLE_HEADERS)
