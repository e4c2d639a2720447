"""Today, Feedback and Campaigns in a real headless Chromium against a running ``regulars
serve``, on SQLite and on PostgreSQL, with the small coffee chain of :mod:`.seed`: each
page's figures against what the test computes itself from the seed and the store (NPS and
its adjusted-Wald interval from the seeded scores, overdue cases and open tasks counted in
SQL, the liability from the accounts, the campaign's arms from its assignments), a store
manager seeing only their store's cases and tasks, a task marked done and a campaign paused
from the page (in the store, audited), a staff user refused the pause (403), and axe-core
finding nothing serious on the new pages."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from regulars.services import audit
from regulars.services.engagement import campaigns
from regulars.store.tables import (
    campaign_assignments,
    feedback_cases,
    loyalty_accounts,
    loyalty_programs,
    staff_tasks,
    stores,
)
from tests.e2e.console.conftest import Served
from tests.e2e.console.seed import CAMPAIGN, MANAGER_S01, OWNER, SCORES, STAFF, STORES
from tests.e2e.console.test_console_browser import _context, scan, sign_in

pytestmark = pytest.mark.browser
OPEN = ("open", "in_progress")


def half_up(value: float) -> int:
    return math.floor(value + 0.5)


def nps_and_interval(scores: list[int]) -> tuple[int, int, int]:
    """NPS and its 95 % adjusted-Wald interval (Rocks 2016), computed here from the scores."""
    n = len(scores)
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    p, d = (promoters + 0.75) / (n + 3), (detractors + 0.75) / (n + 3)
    half = 1.959964 * math.sqrt((p + d - (p - d) ** 2) / (n + 3))
    low, high = max(-1.0, p - d - half), min(1.0, p - d + half)
    return half_up(100 * (promoters - detractors) / n), half_up(100 * low), half_up(100 * high)


def scalar(served: Served, query: Any) -> Any:
    with served.app.unit_of_work() as uow:
        return uow.connection.execute(query).scalar_one()


def store_id(served: Served, code: str) -> int:
    return int(scalar(served, select(stores.c.id).where(stores.c.code == code)))


def overdue(served: Served, store: str | None = None) -> int:
    query = select(func.count()).where(
        feedback_cases.c.status.in_(OPEN), feedback_cases.c.due_at < datetime.now(UTC)
    )
    if store is not None:
        query = query.where(feedback_cases.c.store_id == store_id(served, store))
    return int(scalar(served, query))


def open_tasks(served: Served, store: str | None = None) -> int:
    query = select(func.count()).where(staff_tasks.c.status == "open")
    if store is not None:
        query = query.where(staff_tasks.c.store_id == store_id(served, store))
    return int(scalar(served, query))


def figure(page: Any, name: str) -> str:
    return str(page.locator(f"[data-figure={name}]").inner_text())


def test_today_shows_the_periods_figures_and_links_to_their_lists(
    served: Served, browser: Any
) -> None:
    context = _context(browser)
    page = context.new_page()
    sign_in(page, served, OWNER)
    page.goto(f"{served.url}/console/")
    page.wait_for_url(re.compile(r"/console/today$"))  # the front door is Today
    nps, low, high = nps_and_interval(list(SCORES.values()))
    assert figure(page, "nps") == str(nps)
    assert (
        f"95% 구간 {low}~{high} · 응답 {len(SCORES)}건" in page.locator(".tile").first.inner_text()
    )
    thirty_days = datetime.now(UTC) - timedelta(days=30)
    opened = scalar(served, select(func.count()).where(feedback_cases.c.opened_at >= thirty_days))
    assert figure(page, "new-detractors") == str(opened) == "3"
    assert figure(page, "overdue") == str(overdue(served)) == "1"
    owed = scalar(
        served,
        select(func.sum(loyalty_accounts.c.available + loyalty_accounts.c.pending))
        .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
        .where(loyalty_programs.c.code == "beans"),
    )
    assert figure(page, "liability") == f"₩{owed:,}"  # a point is worth ₩1 by default
    cases = page.get_by_role("region", name="매장별 후속 조치")
    assert cases.get_by_role("link", name=STORES["S01"]).is_visible()  # names, not codes
    tasks = page.get_by_role("region", name=re.compile("캠페인이 만든 직원 할 일"))
    assert tasks.locator("tbody tr").count() == open_tasks(served)
    results = page.locator(f"tr[data-campaign={CAMPAIGN['code']}]")
    assert "아직 0과 구별할 수 없습니다" in results.inner_text()

    page.get_by_role("link", name="기한 지난 후속 조치 보기").click()
    page.wait_for_url(re.compile(r"/console/cases\?overdue=1$"))
    links = page.get_by_role("link", name=re.compile(r"^\d+번 건$"))
    assert links.count() == overdue(served)
    assert str(served.seeded.case_overdue) in links.first.inner_text()
    context.close()


def test_a_store_manager_sees_their_stores_cases_and_tasks(served: Served, browser: Any) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    sign_in(page, served, MANAGER_S01, english=True)
    page.goto(f"{served.url}/console/today")
    assert figure(page, "overdue") == str(overdue(served, "S01"))
    store_cases = page.get_by_role("region", name="Follow-up cases by store")
    assert store_cases.get_by_role("link", name=STORES["S01"]).is_visible()
    assert store_cases.get_by_role("link", name=STORES["S02"]).count() == 0
    rows = page.get_by_role("region", name=re.compile("Staff tasks from campaigns")).locator(
        "tbody tr"
    )
    assert rows.count() == open_tasks(served, "S01") > 0
    assert set(rows.locator("td:nth-child(4)").all_inner_texts()) == {"S01"}
    context.close()


def test_a_task_marked_done_from_today_is_done_in_the_store_and_audited(
    served: Served, browser: Any
) -> None:
    context = _context(browser)
    page = context.new_page()
    sign_in(page, served, STAFF)
    page.goto(f"{served.url}/console/today")
    before = open_tasks(served)
    row = page.locator("tr[data-task]").first
    task_id = int(row.get_attribute("data-task") or 0)
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("^완료 처리")).click()
    assert page.get_by_role("status").filter(has_text="할 일을 완료했습니다").is_visible()
    assert page.locator(f"tr[data-task='{task_id}']").count() == 0
    assert open_tasks(served) == before - 1
    with served.app.unit_of_work() as uow:
        status, done_at = uow.connection.execute(
            select(staff_tasks.c.status, staff_tasks.c.done_at).where(staff_tasks.c.id == task_id)
        ).one()
        [entry] = [e for e in audit.entries(uow, action="task.done") if e["target"] == str(task_id)]
    assert status == "done"
    assert done_at is not None
    assert entry["actor"] == STAFF
    assert entry["after"]["status"] == "done"
    context.close()


def test_a_campaign_is_inspected_and_paused_from_its_page(served: Served, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    sign_in(page, served, OWNER)
    page.goto(f"{served.url}/console/campaigns")
    page.get_by_role("link", name=CAMPAIGN["name"]).click()
    page.wait_for_url(re.compile(rf"/console/campaigns/{CAMPAIGN['code']}$"))
    with served.app.unit_of_work() as uow:
        arms = dict(
            uow.connection.execute(
                select(campaign_assignments.c.arm, func.count()).group_by(
                    campaign_assignments.c.arm
                )
            ).all()
        )
    assert arms["treated"] > 0
    assert arms["holdout"] > 0
    for arm in ("treated", "holdout"):
        shown = page.locator(f"tr[data-arm={arm}] [data-assigned]").inner_text()
        assert shown == str(arms[arm])
        assert page.locator(f"tr[data-arm={arm}] [data-converted]").inner_text() == "0"
    conversion = page.locator("[data-uplift=conversion]")
    assert conversion.get_attribute("data-verdict") == "uplift_unclear"
    assert "아직 0과 구별할 수 없습니다" in conversion.inner_text()
    # every member has entered already: a run now would take no one
    assert "지금 실행하면 0명이 들어옵니다" in figure(page, "audience-size")
    assert page.get_by_role("heading", name="단계").is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="일시 중지").click()
    assert page.get_by_role("status").filter(has_text="캠페인을 일시 중지했습니다").is_visible()
    assert page.locator("[data-state]").inner_text() == "일시 중지"
    with served.app.unit_of_work() as uow:
        assert campaigns.show(uow, CAMPAIGN["code"])["state"] == "paused"
        [entry] = audit.entries(uow, action="campaign.pause")
    assert (entry["actor"], entry["target"]) == (OWNER, CAMPAIGN["code"])
    assert (entry["before"], entry["after"]) == ({"state": "running"}, {"state": "paused"})
    page.get_by_role("link", name="감사 기록").click()
    assert page.get_by_role("row").filter(has_text="캠페인 일시 중지").first.is_visible()
    context.close()


def test_a_staff_user_cannot_pause_or_end_a_campaign(served: Served, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    sign_in(page, served, STAFF)
    page.goto(f"{served.url}/console/campaigns/{CAMPAIGN['code']}")
    assert page.get_by_role("heading", name="성과").is_visible()  # they may read it
    assert page.locator("form[action*='/console/campaigns/']").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    with served.app.unit_of_work() as uow:
        before = campaigns.show(uow, CAMPAIGN["code"])["state"]
    for move in ("pause", "launch", "end"):
        refused = page.request.post(
            f"{served.url}/console/campaigns/{CAMPAIGN['code']}/{move}",
            form={"csrf": csrf or "", "confirm_code": CAMPAIGN["code"]},
        )
        assert refused.status == 403, move
    with served.app.unit_of_work() as uow:
        assert campaigns.show(uow, CAMPAIGN["code"])["state"] == before
    context.close()


def test_feedback_shows_the_reports_sections_with_store_names(served: Served, browser: Any) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    sign_in(page, served, MANAGER_S01, english=True)
    # the first briefing starts the report process (pandas, the tokenizer): give it time
    page.goto(f"{served.url}/console/feedback", timeout=180_000)
    section = page.locator("section#nps_by_store")
    assert section.get_by_role("heading", name="NPS by store").is_visible()
    by_store = {"S01": ["R-1", "R-3", "R-4", "R-6"], "S02": ["R-2", "R-5", "R-7"]}
    for code, responses in by_store.items():
        row = section.get_by_role("row").filter(has_text=STORES[code])
        cells = row.locator("td").all_inner_texts()
        nps, low, high = nps_and_interval([SCORES[r] for r in responses])
        assert cells[:4] == [STORES[code], str(len(responses)), str(nps), f"{low} to {high}"]
    context.close()


NEW_PAGES = [
    ("today-owner", "/console/today", OWNER),
    ("feedback-owner", "/console/feedback", OWNER),
    ("campaigns-owner", "/console/campaigns", OWNER),
    ("campaign-owner", f"/console/campaigns/{CAMPAIGN['code']}", OWNER),
    ("campaign-end-confirm", f"/console/campaigns/{CAMPAIGN['code']}?confirm=end", OWNER),
    ("campaign-draft", "/console/campaigns/winback", OWNER),
    ("today-en-manager", "/console/today", MANAGER_S01),
    ("feedback-en-manager", "/console/feedback", MANAGER_S01),
    ("today-staff", "/console/today", STAFF),
]


def test_the_new_pages_have_no_serious_accessibility_violation(
    served: Served, browser: Any
) -> None:
    assert scan(served, browser, NEW_PAGES) == {}
