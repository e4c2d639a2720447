"""The survey answer page in a real headless Chromium (Debian's, driven by Playwright).

The Korean member answers on a phone-sized screen with JavaScript switched off, by touch;
the English member answers with the keyboard only. Both pages keep a screenshot in
``test-artifacts/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from regulars.api.app import create_api
from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.services.feedback import cases, surveys
from regulars.services.feedback.dispatch import invite_after_purchases
from regulars.services.imports.files import import_file
from regulars.store.feedback import answers as feedback

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
NOW = datetime.now(UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[App, str]]:
    """A store with two members who bought yesterday, served by uvicorn on a free port."""
    app = build(Settings(database_url=f"sqlite:///{tmp_path / 'regulars.db'}"))
    yesterday = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    (tmp_path / "members.csv").write_text(
        "member_id,name,locale,consent_email,consent_sms\n"
        "M1,김민준,ko,yes,no\nM2,Jane Lee,en,no,yes\n",
        encoding="utf-8",
    )
    (tmp_path / "purchases.csv").write_text(
        "purchase_id,member_id,occurred_at,store,channel,employee,product,amount\n"
        f"P1,M1,{yesterday},S01,store,E01,latte,5000\n"
        f"P2,M2,{yesterday},S01,store,E01,americano,4500\n",
        encoding="utf-8",
    )
    for kind in ("members", "purchases"):
        import_file(kind, tmp_path / f"{kind}.csv", app.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with app.unit_of_work() as uow:
        surveys.define_survey(
            uow,
            {
                "code": "after-purchase",
                "name": "After your purchase",
                "csat": ["touchpoint", "employee"],
                "drivers": True,
                "ask_importance": True,
                "wallet_category": "coffee",
                "intent_rebuy": True,
                "test_opt_in": True,
            },
            NOW,
        )
        uow.commit()
    config = uvicorn.Config(create_api(app), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield app, url
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    app.engine.dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does this)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _links(app: App, url: str) -> dict[str, str]:
    with app.unit_of_work() as uow:
        report = invite_after_purchases(
            uow, "after-purchase", NOW, secret=app.settings.secret_key, base_url=url
        )
        uow.commit()
    assert report.invited == 2
    return {"ko": report.links[0], "en": report.links[1]}


def test_answer_in_korean_on_a_phone_without_javascript(
    server: tuple[App, str], browser: object
) -> None:
    app, url = server
    links = _links(app, url)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(  # type: ignore[attr-defined]
        java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ko-KR"
    )
    shot = context.new_page()
    shot.goto(links["ko"])
    shot.screenshot(path=str(ARTIFACTS / "survey-answer-page-ko.png"), full_page=True)
    shot.close()
    page = context.new_page()
    page.goto(links["ko"])
    assert page.locator("html").get_attribute("lang") == "ko"
    nps = page.get_by_role(
        "group", name="친구나 동료에게 저희를 추천하실 가능성은 얼마나 되나요? *"
    )
    nps.get_by_role("radio", name="3", exact=True).check()
    page.get_by_label("그 점수를 주신 이유는 무엇인가요?").fill("직원 응대가 너무 느렸어요")
    page.get_by_label("어떻게 하면 10점을 주시겠어요?").fill("주문을 빨리 받아 주세요")
    page.get_by_role("group", name="서비스 품질", exact=True).get_by_role(
        "radio", name="1", exact=True
    ).check()
    page.get_by_label("커피에 쓰시는 돈 중", exact=False).fill("60")
    # (a full-page screenshot here would resize the page under a JavaScript-less click)
    with page.expect_navigation():
        page.get_by_role("button", name="응답 보내기").click()
    assert page.get_by_role("heading", name="감사합니다!").is_visible()
    assert page.get_by_text("담당자가 곧 연락드리겠습니다").is_visible()
    page.screenshot(path=str(ARTIFACTS / "survey-thanks-ko.png"), full_page=True)
    page.goto(links["ko"])
    assert page.get_by_role("heading", name="이미 응답하셨습니다").is_visible()
    context.close()
    with app.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
        [case] = cases.list_cases(uow)
    by_question = frame.set_index(["question", frame["driver"].fillna("-")])
    assert by_question.loc[("nps", "-"), "value"] == 3
    assert by_question.loc[("driver_rating", "service"), "value"] == 1
    assert by_question.loc[("share_of_wallet", "-"), "value"] == 60
    assert set(frame["language"]) == {"ko"}
    assert (case["score"], case["store"], case["member_id"]) == (3, "S01", "M1")


def test_answer_in_english_with_the_keyboard_only(server: tuple[App, str], browser: object) -> None:
    app, url = server
    links = _links(app, url)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1024, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(links["en"])
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
              .filter(e => e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []
    ungrouped = page.evaluate(
        """() => [...document.querySelectorAll('input[type=radio]')]
              .filter(e => !e.closest('fieldset')?.querySelector('legend')).map(e => e.name)"""
    )
    assert ungrouped == []
    page.set_viewport_size({"width": 360, "height": 780})  # a small phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    keyboard = page.keyboard
    keyboard.press("Tab")  # the language switch
    keyboard.press("Tab")  # the 0-10 scale
    for _ in range(9):
        keyboard.press("ArrowRight")
    keyboard.press("Tab")
    keyboard.type("Friendly baristas and great coffee")
    keyboard.press("Tab")  # "what would make it a 10": left blank
    keyboard.press("Tab")  # CSAT of the touchpoint
    keyboard.press("ArrowRight")
    keyboard.press("ArrowRight")
    keyboard.press("ArrowRight")
    keyboard.press("ArrowRight")
    assert page.locator("#nps-9").is_checked()
    assert page.locator("[name='csat.touchpoint']:checked").get_attribute("value") == "5"
    for _ in range(40):
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
        keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send my answers"
    page.screenshot(path=str(ARTIFACTS / "survey-answer-page-en.png"), full_page=True)
    with page.expect_navigation():
        keyboard.press("Enter")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    assert page.get_by_text("Tell a friend about us").is_visible()
    context.close()
    with app.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
        assert cases.list_cases(uow) == []
    answers = dict(zip(frame["question"], frame["value"], strict=False))
    assert answers["nps"] == 9
    assert answers["csat"] == 5
    assert frame.loc[frame["question"] == "nps_why", "text"].tolist() == [
        "Friendly baristas and great coffee"
    ]
    assert set(frame["language"]) == {"en"}


def test_a_forged_link_gets_a_clear_page_in_the_browser(
    server: tuple[App, str], browser: object
) -> None:
    _, url = server
    page = browser.new_page()  # type: ignore[attr-defined]
    response = page.goto(f"{url}/s/forged.token")
    assert response is not None
    assert response.status == 404
    assert page.get_by_role("heading", name="사용할 수 없는 링크입니다").is_visible()
    page.close()
