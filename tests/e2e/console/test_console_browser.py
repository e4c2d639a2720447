"""The staff console in a real headless Chromium against a running ``regulars serve``, on
SQLite and on PostgreSQL: sign in, find a member by a phone number typed with dashes, adjust
points and see the balance and the audit entry, work a detractor case to resolved, a store
manager refused another store's case (403), a form without its CSRF token refused, ``/docs``
and ``/redoc`` rendered with no request leaving the machine, and every page screenshotted and
scanned by axe-core with no serious or critical violation."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from regulars.services import audit
from regulars.services.feedback import cases as case_service
from regulars.services.loyalty import accounts as loyalty
from tests.e2e.console.conftest import Served
from tests.e2e.console.seed import ANALYST, MANAGER_S01, OWNER, PASSWORD

pytestmark = pytest.mark.browser


def _context(browser: Any, locale: str = "ko-KR", **options: Any) -> Any:
    return browser.new_context(locale=locale, viewport={"width": 1200, "height": 900}, **options)


def sign_in(
    page: Any, served: Served, email: str, *, english: bool = False, go: bool = True
) -> None:
    if go:
        page.goto(f"{served.url}/console/sign-in{'?lang=en' if english else ''}")
    page.get_by_label("E-mail" if english else "이메일").fill(email)
    page.get_by_label("Password" if english else "비밀번호").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in" if english else "로그인").click()


def balance(served: Served, member: str, program: str = "beans") -> int:
    with served.app.unit_of_work() as uow:
        found = loyalty.balances(uow, member)["programs"]
    return next(int(a["balance"]) for a in found if a["program"] == program)


def test_sign_in_find_by_phone_with_dashes_adjust_and_see_the_audit(
    served: Served, browser: Any
) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{served.url}/console/members")
    assert "/console/sign-in" in page.url  # no session: to the sign-in page first
    sign_in(page, served, OWNER, go=False)
    assert page.url.endswith("/console/members")  # and back to what was asked for
    cookie = next(c for c in context.cookies() if c["name"] == "regulars_console")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/console"

    page.get_by_label("회원 찾기").fill("010-1234-5678")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=010-1234-5678"))
    row = page.get_by_role("row", name=re.compile("김민준"))
    assert row.get_by_role("cell", name="M-1001").is_visible()
    assert page.get_by_role("heading", name="찾은 회원: 1명").is_visible()

    page.get_by_label("회원 찾기").fill("민준")  # part of a Korean name: 김민준 and 박민준
    page.get_by_role("button", name="검색").click()
    page.wait_for_url(re.compile(r"q=%EB%AF%BC%EC%A4%80"))
    assert page.get_by_role("heading", name="찾은 회원: 2명").is_visible()
    page.get_by_role("link", name="김민준").click()
    page.wait_for_url(re.compile(r"/console/members/M-1001$"))
    before = balance(served, "M-1001")
    assert page.locator("[data-balance=beans]").inner_text() == f"{before:,}"

    form = page.locator("form[action$='/adjust']")
    form.get_by_label("프로그램").select_option("beans")
    form.get_by_label("포인트(+ 추가, − 차감)").fill("500")
    form.get_by_label("사유").fill("영수증 누락 보정")
    with page.expect_navigation():
        form.get_by_role("button", name="조정").click()
    assert page.get_by_role("status").filter(has_text="포인트를 조정했습니다").is_visible()
    assert page.locator("[data-balance=beans]").inner_text() == f"{before + 500:,}"
    assert balance(served, "M-1001") == before + 500
    page.reload()  # a reload re-sends nothing (the POST answered with a redirect)
    assert balance(served, "M-1001") == before + 500

    page.get_by_role("link", name="감사 기록").click()
    entry = page.get_by_role("row").filter(has_text="포인트 조정").first
    assert entry.is_visible()
    assert "영수증 누락 보정" in entry.inner_text()
    assert OWNER in entry.inner_text()
    with served.app.unit_of_work() as uow:
        [last] = [e for e in audit.entries(uow, limit=20) if e["action"] == "points.adjust"][:1]
    assert last["before"]["balance"] == before
    assert last["after"]["balance"] == before + 500
    assert last["actor_kind"] == "staff"
    assert last["actor"] == OWNER

    page.get_by_role("button", name="로그아웃").click()
    page.wait_for_url(re.compile("/console/sign-in"))
    page.goto(f"{served.url}/console/members")
    assert "/console/sign-in" in page.url  # the session ended on the server
    context.close()


def test_a_store_manager_works_a_detractor_case_to_resolved(served: Served, browser: Any) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    sign_in(page, served, MANAGER_S01, english=True)
    page.goto(f"{served.url}/console/cases")
    assert page.get_by_role("heading", name=re.compile("Follow-up cases")).is_visible()
    links = page.get_by_role("link", name=re.compile(r"^Case \d+$")).all_inner_texts()
    assert f"Case {served.seeded.case_s01}" in links
    assert f"Case {served.seeded.case_s02}" not in links  # another store's case is not listed
    page.get_by_role("link", name=f"Case {served.seeded.case_s01}").click()
    page.wait_for_url(re.compile(rf"/console/cases/{served.seeded.case_s01}$"))
    history = page.get_by_role("complementary", name="The member")
    assert history.get_by_role("link", name="김민준").is_visible()

    page.locator("form[action$='/assign']").get_by_label("Owner").select_option(MANAGER_S01)
    with page.expect_navigation():
        page.get_by_role("button", name="Assign").click()
    note = page.locator("form[action$='/note']")
    note.get_by_label("Note").fill("Called the member, apologised, offered a coffee")
    with page.expect_navigation():
        note.get_by_role("button", name="Add a note").click()
    assert page.get_by_text("Called the member, apologised").is_visible()

    gift_before = balance(served, "M-1001")
    resolve = page.locator("form[action$='/resolve']")
    resolve.get_by_label("What was done").fill("Member satisfied after the call")
    resolve.get_by_label("Points").fill("1000")
    with page.expect_navigation():
        resolve.get_by_role("button", name="Resolve").click()
    assert page.get_by_role("status").filter(has_text="The case was resolved.").is_visible()
    assert page.get_by_role("heading", level=1).inner_text().endswith("resolved")
    assert balance(served, "M-1001") == gift_before + 1000
    with served.app.unit_of_work() as uow:
        case = case_service.get_case(uow, served.seeded.case_s01)
        actions = [
            e["action"] for e in audit.entries(uow, limit=50) if e["target"] == str(case["id"])
        ]
    assert case["status"] == "resolved"
    assert case["owner"] == MANAGER_S01
    assert {"case.assign", "case.note", "case.resolve"} <= set(actions)
    context.close()


def test_a_store_manager_cannot_open_another_stores_case(served: Served, browser: Any) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    sign_in(page, served, MANAGER_S01, english=True)
    response = page.goto(f"{served.url}/console/cases/{served.seeded.case_s02}")
    assert response is not None
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert page.get_by_text("This belongs to another store than yours.").is_visible()
    refused = page.request.post(
        f"{served.url}/console/cases/{served.seeded.case_s02}/status",
        form={"status": "closed", "csrf": "x"},
    )
    assert refused.status == 403
    with served.app.unit_of_work() as uow:
        assert case_service.get_case(uow, served.seeded.case_s02)["status"] == "open"
    context.close()


def test_a_form_without_its_csrf_token_is_refused(served: Served, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    sign_in(page, served, OWNER)
    page.goto(f"{served.url}/console/members/M-1002")
    before = balance(served, "M-1002")
    form = page.locator("form[action$='/adjust']")
    form.get_by_label("포인트(+ 추가, − 차감)").fill("300")
    form.get_by_label("사유").fill("should never land")
    page.evaluate("document.querySelector(\"form[action$='/adjust'] [name=csrf]\").remove()")
    with page.expect_navigation():
        form.get_by_role("button", name="조정").click()
    assert page.get_by_role("heading", name="허용되지 않음").is_visible()
    assert page.get_by_text("보안 토큰이 없거나 틀림").is_visible()
    assert balance(served, "M-1002") == before
    wrong = page.request.post(
        f"{served.url}/console/members/M-1002/adjust",
        form={"program": "beans", "points": "300", "reason": "x", "once": "a", "csrf": "0" * 64},
    )
    assert wrong.status == 403
    assert balance(served, "M-1002") == before
    context.close()


def test_an_analyst_reads_but_may_not_adjust(served: Served, browser: Any) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    sign_in(page, served, ANALYST, english=True)
    page.goto(f"{served.url}/console/members/M-1001")
    assert page.get_by_role("heading", name="Points and vouchers").is_visible()
    assert page.locator("form[action$='/adjust']").count() == 0
    assert page.get_by_role("link", name="Audit log").count() == 0
    response = page.goto(f"{served.url}/console/audit")
    assert response is not None
    assert response.status == 403
    context.close()


def test_docs_and_redoc_render_offline(served: Served, browser: Any) -> None:
    """Every asset comes from regulars itself. Redoc's bundle names a logo on its CDN in
    the side menu: the page's CSP blocks it in the browser, so it never reaches the network
    (the route below sees every request that would)."""
    context = _context(browser, locale="en-US")
    here = urlsplit(served.url).netloc
    left: list[str] = []

    def network(route: Any) -> None:
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    context.route("**/*", network)
    page = context.new_page()
    requested: list[str] = []
    failed: dict[str, str] = {}
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: failed.__setitem__(r.url, r.failure or ""))
    page.goto(f"{served.url}/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
    assert "regulars" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-tag").count() > 3  # the operations are listed
    page.screenshot(path=str(served.artifacts / "docs.png"))
    page.goto(f"{served.url}/redoc")
    page.locator("h1", has_text="regulars").first.wait_for(timeout=30_000)
    assert page.locator("h2", has_text="Record one response (in-app, kiosk)").count() == 1
    page.screenshot(path=str(served.artifacts / "redoc.png"))
    assert left == []  # no request reached the network for another host
    outside = [u for u in requested if urlsplit(u).scheme in ("http", "https")]
    outside = [u for u in outside if urlsplit(u).netloc != here]
    assert all(failed.get(u) == "csp" for u in outside), (outside, failed)  # blocked by CSP
    assert any(u.endswith("/docs-assets/swagger-ui-bundle.js") for u in requested)
    assert any(u.endswith("/docs-assets/redoc.standalone.js") for u in requested)
    context.close()


ENGLISH = (MANAGER_S01, ANALYST)
"""The seed's staff users who read the console in English."""
PAGES = [
    ("sign-in", "/console/sign-in", None),
    ("today", "/console/today", OWNER),
    ("members-lookup", "/console/members?q=%EB%AF%BC%EC%A4%80", OWNER),
    ("member", "/console/members/M-1001", OWNER),
    ("member-erase-confirm", "/console/members/M-1004/erase", OWNER),
    ("cases", "/console/cases?status=all", OWNER),
    ("case", "/console/cases/{case_s02}", OWNER),
    ("feedback", "/console/feedback", OWNER),
    ("programs", "/console/programs", OWNER),
    ("program", "/console/programs/beans", OWNER),
    ("campaigns", "/console/campaigns", OWNER),
    ("settings", "/console/settings", OWNER),
    ("keys", "/console/settings/keys", OWNER),
    ("webhooks", "/console/settings/webhooks", OWNER),
    ("staff", "/console/settings/staff", OWNER),
    ("audit", "/console/audit", OWNER),
    ("not-found", "/console/no-such-page", OWNER),
    ("cases-en-manager", "/console/cases", MANAGER_S01),
    ("forbidden-en-manager", "/console/cases/{case_s02}", MANAGER_S01),
]


def scan(
    served: Served, browser: Any, pages: list[tuple[str, str, str | None]]
) -> dict[str, list[dict[str, Any]]]:
    """Open each page as its user, screenshot it, run axe-core on it and check it fits a
    phone's width; the serious and critical violations by page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[dict[str, Any]]] = {}
    contexts: dict[str | None, Any] = {}
    for name, path, who in pages:
        if who not in contexts:
            english = who in ENGLISH
            contexts[who] = _context(browser, locale="en-US" if english else "ko-KR")
            if who is not None:
                sign_in(contexts[who].new_page(), served, who, english=english)
        page = contexts[who].new_page()
        # (a page of the briefing may start the report process first: give it time)
        response = page.goto(served.url + path.format(**vars(served.seeded)), timeout=180_000)
        assert response is not None, name
        assert response.status < 500, (name, response.status)
        page.screenshot(path=str(served.artifacts / f"{name}.png"), full_page=True)
        results = axe.run(page).response
        assert results["testEngine"]["version"].startswith("4.")  # axe-core really ran
        (served.artifacts / f"{name}.axe.json").write_text(
            json.dumps(results["violations"], indent=2), encoding="utf-8"
        )
        bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            found[name] = [
                {"id": v["id"], "nodes": [n["html"] for n in v["nodes"][:3]]} for v in bad
            ]
        page.set_viewport_size({"width": 360, "height": 780})  # a phone: no sideways page
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        page.close()
    for context in contexts.values():
        context.close()
    return found


def test_every_page_is_screenshotted_and_has_no_serious_accessibility_violation(
    served: Served, browser: Any
) -> None:
    found = scan(served, browser, PAGES)
    phone = _context(browser, locale="ko-KR")
    page = phone.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, served, OWNER)
    page.goto(f"{served.url}/console/members/M-1001")
    page.screenshot(path=str(served.artifacts / "member-phone.png"), full_page=True)
    phone.close()
    assert found == {}
