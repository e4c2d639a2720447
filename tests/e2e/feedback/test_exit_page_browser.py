"""The exit survey's page in a real headless Chromium (Debian's, driven by Playwright): a
member whose line was cancelled answers "why are you leaving?" in Korean on a phone with
JavaScript off — every field labelled, every choice in a named group — and the answer lands
on the contract. A screenshot is kept in ``test-artifacts/``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from tests.e2e.feedback.test_answer_page_browser import (  # noqa: F401 - browser: a fixture
    ARTIFACTS,
    _free_port,
    browser,
)

from regulars.api.app import create_api
from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.services.feedback import surveys
from regulars.services.imports.files import import_file
from regulars.services.subscriptions import exits, recording

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")
NOW = datetime.now(UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[App, str]]:
    """A member whose phone line was cancelled three days ago, served on a free port."""
    app = build(Settings(database_url=f"sqlite:///{tmp_path / 'regulars.db'}"))
    cancelled = (NOW - timedelta(days=3)).date().isoformat()
    files = {
        "members": "member_id,name,locale,consent_sms,phone\nM1,김민준,ko,yes,010-1234-5678\n",
        "subscriptions": "subscription_id,member_id,plan,monthly_fee,started_on,cancelled_on\n"
        f"L1,M1,5G,69000,2024-02-01,{cancelled}\n",
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        import_file(kind, tmp_path / f"{kind}.csv", app.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
    with app.unit_of_work() as uow:
        survey = {"code": "leaving", "name": "해지 설문", "kind": "exit", "drivers": ["network"]}
        surveys.define_survey(uow, survey, NOW)
        uow.commit()
    port = _free_port()
    config = uvicorn.Config(create_api(app), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    app.engine.dispose()


def test_a_leaving_member_says_why_in_korean_on_a_phone(
    server: tuple[App, str],
    browser: object,  # noqa: F811 - the imported fixture
) -> None:
    app, url = server
    with app.unit_of_work() as uow:
        report = exits.invite_after_cancellations(
            uow, NOW, secret=app.settings.secret_key, base_url=url, timezone="Asia/Seoul"
        )
        uow.commit()
    (link,) = report.links
    context = browser.new_context(  # type: ignore[attr-defined]
        java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ko-KR"
    )
    page = context.new_page()
    page.goto(link)
    assert page.get_by_role("heading", name="떠나시기 전에").is_visible()
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea')]
              .filter(e => e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "exit-survey-ko.png"), full_page=True)
    with page.expect_navigation():  # no reason chosen: the page says so
        page.get_by_role("button", name="응답 보내기").click()
    assert page.get_by_text("가장 큰 이유를 하나 골라 주세요.").is_visible()
    why = page.get_by_role("group", name="해지하시는 가장 큰 이유는 무엇인가요? *")
    why.get_by_role("radio", name="다른 회사의 더 좋은 조건").check()
    page.get_by_label("어느 회사로 옮기시나요?", exact=False).fill("KT")
    page.get_by_label("더 하고 싶은 말씀이 있으신가요?").fill("가족 결합 할인이 더 커요")
    page.get_by_role(
        "group", name="친구나 동료에게 저희를 추천하실 가능성은", exact=False
    ).get_by_role("radio", name="6", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="응답 보내기").click()
    assert page.get_by_role("heading", name="감사합니다!").is_visible()
    context.close()
    with app.unit_of_work() as uow:
        (answer,) = recording.get_subscription(uow, "L1")["exit_answers"]
    assert (answer["reason"], answer["competitor"], answer["comment"]) == (
        "competitor",
        "KT",
        "가족 결합 할인이 더 커요",
    )
