"""The survey answer page: ``GET /s/{token}`` shows the form, ``POST /s/{token}`` records it.

No login: the link's signed, single-use, expiring token is the member's key. A forged,
altered, expired or already used token gets a page that says so (404 or 410), never a server
error. The page is rendered on the server, works without JavaScript, follows the member's
language (``?lang=`` switches between Korean and English), and takes its words from the
message catalogues in ``locales/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from regulars.bootstrap import App
from regulars.domain.bounds import has_forbidden_character
from regulars.domain.feedback.nps import NpsClass
from regulars.domain.feedback.surveys import NO_SUBJECT, CsatTarget, SurveyKind
from regulars.domain.subscriptions.exits import CHOICES as EXIT_CHOICES
from regulars.services.feedback.links import (
    LinkAnswer,
    LinkStatus,
    SurveyLink,
    answer_link,
    asked,
    minutes_to_answer,
    open_link,
)
from regulars.web.messages import LANGUAGES, Messages

router = APIRouter(tags=["survey page"], include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATUS_CODES = {
    LinkStatus.FORGED: 404,
    LinkStatus.EXPIRED: 410,
    LinkStatus.USED: 410,
    LinkStatus.CLOSED: 410,
}
THANKS = {
    NpsClass.PROMOTER: "thanks_promoter",
    NpsClass.PASSIVE: "thanks_passive",
    NpsClass.DETRACTOR: "thanks_detractor",
}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
MAX_FORM_BYTES = 64 * 1024


def _language(request: Request, link: SurveyLink, chosen: str | None = None) -> str:
    wanted = chosen or request.query_params.get("lang")
    return wanted if wanted in LANGUAGES else link.language


def _language_asked(request: Request, chosen: str | None = None) -> str:
    """The language asked for, before any link is read (Korean unless English is asked)."""
    wanted = chosen or request.query_params.get("lang")
    return wanted if wanted in LANGUAGES else "ko"


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = templates.get_template(f"survey/{name}.html").render(**values)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def _status_page(link: SurveyLink, language: str) -> HTMLResponse:
    return _page(
        "status", STATUS_CODES.get(link.status, 200), t=Messages(language), kind=link.status.value
    )


def _form(
    link: SurveyLink, language: str, values: dict[str, str], problems: dict[str, str]
) -> HTMLResponse:
    t = Messages(language)
    assert link.definition is not None
    context = link.context

    def place() -> str | None:
        return context.get("store_name") or context.get("store")

    def csat_label(subject: str) -> str:
        if subject == CsatTarget.EMPLOYEE.value and context.get("employee"):
            return t("csat_employee", employee=context.get("employee_name") or context["employee"])
        if subject == CsatTarget.DEPARTMENT.value and context.get("department"):
            key = f"department_{context['department']}"
            name = t(key) if t.has(key) else context["department"]
            return t("csat_department", department=name)
        if place():
            return t("csat_touchpoint", place=place())
        return t("csat_touchpoint_generic")

    def driver_label(driver: str) -> str:
        key = f"driver_{driver}"
        return t(key) if t.has(key) else driver

    def category_label(category: str) -> str:
        key = f"category_{category}"
        return t(key) if t.has(key) else category

    shown = [q for q in asked(link) if q.kind.value != "csat" or q.subject != NO_SUBJECT]
    questions = [{"kind": q.kind.value, "subject": q.subject, "key": q.key} for q in shown]
    return _page(
        "form",
        422 if problems else 200,
        t=t,
        questions=questions,
        minutes=minutes_to_answer(shown),
        values=values,
        problems=problems,
        place=place(),
        category=category_label(link.definition.wallet_category or ""),
        csat_label=csat_label,
        driver_label=driver_label,
        other_language="en" if t.language == "ko" else "ko",
        exit_reasons=EXIT_CHOICES if link.definition.kind is SurveyKind.EXIT else (),
    )


def _app(request: Request) -> App:
    return request.app.state.regulars  # type: ignore[no-any-return]


@router.get("/s/{token}", response_class=HTMLResponse)
def show(token: str, request: Request) -> HTMLResponse:
    app = _app(request)
    if has_forbidden_character(token):  # no link holds a NUL byte: a forged one
        return _page("status", 404, t=Messages(_language_asked(request)), kind="forged")
    with app.unit_of_work() as uow:
        link = open_link(uow, token, app.settings.secret_key, datetime.now(UTC))
    language = _language(request, link)
    if link.status is not LinkStatus.OPEN:
        return _status_page(link, language)
    return _form(link, language, {}, {})


def _record(app: App, token: str, form: dict[str, str]) -> LinkAnswer:
    with app.unit_of_work() as uow:
        result = answer_link(uow, token, app.settings.secret_key, form, datetime.now(UTC))
        uow.commit()
    return result


@router.post("/s/{token}", response_class=HTMLResponse)
async def submit(token: str, request: Request) -> HTMLResponse:
    body = await request.body()
    form = dict(parse_qsl(body[:MAX_FORM_BYTES].decode("utf-8", "replace"), keep_blank_values=True))
    language = _language_asked(request, form.get("lang"))
    if has_forbidden_character(token):  # no link holds a NUL byte: a forged one
        return _page("status", 404, t=Messages(language), kind="forged")
    if any(has_forbidden_character(f"{name}{value}") for name, value in form.items()):
        # a NUL byte no browser sends and the store cannot keep: nothing is recorded
        return _page("status", 400, t=Messages(language), kind="unreadable")
    result = await run_in_threadpool(_record, _app(request), token, form)
    language = _language(request, result.link, form.get("lang"))
    if result.link.status is not LinkStatus.OPEN:
        return _status_page(result.link, language)
    if result.problems:
        return _form(result.link, language, form, result.problems)
    follow = THANKS.get(result.nps_class) if result.nps_class else None
    return _page("status", 200, t=Messages(language), kind="thanks", follow_up=follow)
