"""The report page in a real headless Chromium (Debian's, driven by Playwright), opened
from the file as an owner would, on a phone: it draws its charts with no console error,
asks the network for nothing, fits the screen, and its table of contents leads to each part.
The stores are real (SQLite and PostgreSQL); screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.briefing.conftest import NOW, TZ, build_store
from tests.integration.briefing.test_briefing_page import _score
from tests.integration.briefing.test_briefing_sentences import MOVED

from regulars.bootstrap import App
from regulars.services.briefing.build import briefing
from regulars.services.briefing.files import write_briefing
from regulars.services.briefing.formatting import Formatter

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LOCAL = ("file://", "data:", "blob:", "about:")


def _open(browser: object, path: Path, locale: str) -> tuple[object, object, list[str], list[str]]:
    """A phone-sized page on ``path``; what it logged as errors and every URL it asked for
    (anything not local is refused, and still counted)."""
    context = browser.new_context(locale=locale, **PHONE)  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(LOCAL) else route.abort(),
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return context, page, errors, requests


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_report_reads_on_a_phone_offline(
    app: App, tmp_path: Path, browser: object, language: str
) -> None:
    build_store(app, tmp_path, MOVED)
    _score(app, tmp_path)
    with app.unit_of_work() as uow:
        found = briefing(uow, NOW, timezone=TZ)
    paths = write_briefing(found, Formatter(language, TZ), tmp_path / "report")
    context, page, errors, requests = _open(
        browser, paths["html"], "ko-KR" if language == "ko" else "en-GB"
    )
    try:
        page.wait_for_selector("#chart-themes .main-svg, #chart-nps_by_store .main-svg")  # type: ignore[attr-defined]
        charts = page.locator(".js-plotly-plot")  # type: ignore[attr-defined]
        assert charts.count() >= 5
        assert errors == []
        assert [url for url in requests if not url.startswith(LOCAL)] == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # type: ignore[attr-defined]
        # the NPS-by-store chart is labelled with the stores' names and its axis with its unit
        store_chart = page.locator("#chart-nps_by_store")  # type: ignore[attr-defined]
        assert "강남역점" in store_chart.inner_text()
        axis = store_chart.locator(".ytitle").text_content()
        assert axis == ("NPS(-100~100)" if language == "ko" else "NPS (-100 to 100)")
        caption = page.locator("#nps_by_store figcaption").inner_text()  # type: ignore[attr-defined]
        assert caption.startswith("막대 하나가" if language == "ko" else "Each bar is")
        # the table of contents leads to the members to call
        heading = "연락할 회원" if language == "ko" else "Members to call"
        page.locator("nav").get_by_role("link", name=heading).click()  # type: ignore[attr-defined]
        page.wait_for_function("location.hash === '#at-risk'")  # type: ignore[attr-defined]
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()  # type: ignore[attr-defined]
        assert page.locator("#at-risk-value td", has_text="₩90,500").count() == 1  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # type: ignore[attr-defined]
        page.screenshot(
            path=str(ARTIFACTS / f"report-briefing-phone-{language}.png"), full_page=True
        )  # type: ignore[attr-defined]
    finally:
        context.close()  # type: ignore[attr-defined]


def test_the_empty_report_says_to_import_first(app: App, tmp_path: Path, browser: object) -> None:
    with app.unit_of_work() as uow:
        found = briefing(uow, NOW, timezone=TZ)
    paths = write_briefing(found, Formatter("en", TZ), tmp_path / "report")
    context, page, errors, requests = _open(browser, paths["html"], "en-GB")
    try:
        assert page.get_by_role("heading", name="Import data first").is_visible()  # type: ignore[attr-defined]
        assert page.get_by_text("regulars import purchases purchases.csv").is_visible()  # type: ignore[attr-defined]
        assert page.locator(".js-plotly-plot").count() == 0  # type: ignore[attr-defined]
        assert errors == []
        assert requests == [paths["html"].as_uri()]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-briefing-empty-phone-en.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        context.close()  # type: ignore[attr-defined]
