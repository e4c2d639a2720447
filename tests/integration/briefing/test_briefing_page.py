"""The report page and JSON from a real store (SQLite and PostgreSQL): names instead of
codes, won without decimals, human headings, the members to call without contact data,
cases counted like the case queue, and on an empty store a page that says to import first."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from sqlalchemy import insert, select
from tests.integration.briefing.conftest import NOW, SEOUL, STORES, TZ, build_store
from tests.integration.briefing.test_briefing_sentences import MOVED

from regulars.bootstrap import App
from regulars.services.briefing.build import Briefing, briefing
from regulars.services.briefing.document import briefing_json
from regulars.services.briefing.files import write_briefing
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.page import driver_matrix, feedback_blocks, render_page
from regulars.services.feedback.cases import list_cases
from regulars.services.imports.files import import_file
from regulars.store.tables import member_scores, members

CODES = ("S01", "S02", "E01", "E02")
VALUE_AT_RISK = {"M001": 120_000, "M900": 90_500, "M002": 7_000}


def _section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}"')
    return html[start : html.index("</section>", start)]


def _score(app: App, tmp_path: Path) -> None:
    """Scores for a few members (as ``regulars scores compute`` stores them), and M900, who
    bought three times at Hongdae and once at Gangnam."""
    purchases = pd.DataFrame(
        [
            {
                "purchase_id": f"H{i}",
                "member_id": "M900",
                "occurred_at": (NOW - timedelta(days=40 + i)).isoformat(),
                "store": store,
                "channel": "store",
                "product": "latte",
                "amount": 4_500,
            }
            for i, store in enumerate(["S02", "S02", "S01", "S02"])
        ]
    )
    person = {
        "member_id": "M900",
        "name": "박서준",
        "phone": "010-7777-8888",
        "email": "m900@example.com",
    }
    for kind, frame in (("members", pd.DataFrame([person])), ("purchases", purchases)):
        path = tmp_path / f"m900-{kind}.csv"
        frame.to_csv(path, index=False)
        assert not import_file(kind, path, app.run_committed, timezone=TZ).errors  # type: ignore[arg-type]
    with app.unit_of_work() as uow:
        ids = dict(uow.connection.execute(select(members.c.external_id, members.c.id)).all())
        uow.connection.execute(
            insert(member_scores),
            [
                {
                    "member_id": ids[external],
                    "computed_at": NOW,
                    "model": "bgnbd",
                    "frequency": 2,
                    "recency_days": 30,
                    "age_days": 400,
                    "probability_alive": 0.25,
                    "expected_purchases": 1.5,
                    "horizon_days": 365,
                    "clv": value * 2,
                    "value_at_risk": value,
                }
                for external, value in VALUE_AT_RISK.items()
            ],
        )
        uow.commit()


@pytest.fixture
def store(app: App, tmp_path: Path) -> tuple[App, Briefing]:
    build_store(app, tmp_path, MOVED)
    _score(app, tmp_path)
    with app.unit_of_work() as uow:
        return app, briefing(uow, NOW, timezone=TZ)


def test_the_page_names_stores_and_staff_and_formats_money(store: tuple[App, Briefing]) -> None:
    _, found = store
    html = render_page(found, Formatter("en", TZ))
    page = html.replace(get_plotlyjs(), "")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<html lang="en">' in page
    # a table of contents whose every link leads somewhere
    contents = page[page.index("<nav") : page.index("</nav>")]
    targets = re.findall(r'href="#([\w-]+)"', contents)
    assert {"summary", "loyalty", "at-risk", "feedback", "customers", "method"} <= set(targets)
    for target in targets:
        assert f'id="{target}"' in page
    # names, not codes
    by_store = _section(page, "nps_by_store")
    assert "강남역점" in by_store
    assert "Hongdae Corner" in by_store
    by_employee = _section(page, "nps_by_employee")
    assert "김바리" in by_employee
    assert "Jane Barista" in by_employee
    for code in CODES:
        assert f">{code}<" not in page
        assert f'"{code}"' not in page  # nor in a chart's labels
    # human headings: no column names of the analytics
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    for raw in (
        "vs_rest_p",
        "csat_low",
        "differs_from_rest",
        "change_significant",
        "fix_rank",
        "nps_by_",
    ):
        assert raw not in re.sub(r'\s[\w-]+="[^"]*"', "", text), raw  # attributes aside
    assert "Differs from the rest (p)" in text
    # won without decimals, everywhere
    assert "₩" in text
    assert not re.search(r"₩[\d,]*\.\d", page)
    assert not re.search(r"\d\.\d+ ?₩|KRW", text)


def test_the_members_to_call_carry_no_contact_data(
    store: tuple[App, Briefing], tmp_path: Path
) -> None:
    _app, found = store
    view = found.at_risk
    assert view is not None
    assert [m.member for m in view.at_risk] == ["M001", "M900", "M002"]
    assert view.value_at_risk == sum(VALUE_AT_RISK.values())
    m900 = view.at_risk[1]
    assert (m900.name, m900.home_store) == ("박서준", "Hongdae Corner")
    assert m900.last_purchase is not None
    assert (
        m900.last_purchase.astimezone(SEOUL).date()
        == (NOW - timedelta(days=40)).astimezone(SEOUL).date()
    )
    paths = write_briefing(found, Formatter("ko", TZ), tmp_path / "report")
    html, data = paths["html"].read_text("utf-8"), paths["json"].read_text("utf-8")
    section = _section(html, "at-risk-value")
    assert "박서준" in section
    assert "Hongdae Corner" in section
    assert "₩90,500" in section
    assert "주 이용 매장" in section
    assert "이탈 위험 가치" in section
    page = html.replace(get_plotlyjs(), "")
    for text in (page, data):
        assert "010-" not in text  # the members' phone numbers
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)  # nor any e-mail address
    summary = json.loads(data)["summary"]["save"]
    call = next(s for s in summary if s["key"] == "summary.save.call_first")
    assert call["text"].startswith("먼저 연락할 회원: 회원 M001(₩120,000), 박서준(₩90,500)")
    assert STORES["S02"] in html


def test_cases_are_counted_like_the_case_queue(store: tuple[App, Briefing]) -> None:
    app, found = store
    with app.unit_of_work() as uow:
        open_cases = list_cases(uow, status=["open", "in_progress"], limit=1000)
        overdue = list_cases(uow, overdue_at=NOW, limit=1000)
    cases = found.cases
    assert cases is not None
    assert cases.open == len(open_cases) == 40  # one per detractor's answer
    assert cases.overdue == len(overdue)
    assert {s.store for s in cases.stores} == set(STORES.values())


def test_the_json_keeps_every_section_and_adds_the_briefing(store: tuple[App, Briefing]) -> None:
    _, found = store
    en = Formatter("en", TZ)
    data = json.loads(json.dumps(briefing_json(found, en)))
    assert {"meta", "nps", "nps_by_store", "nps_by_month", "returning", "acquisition"} <= set(data)
    assert data["nps"]["n"] == 120
    assert data["language"] == "en"
    assert data["period"]["current"] == {
        "first_day": "2026-10-02",
        "last_day": "2026-10-31",
        "days": 30,
        "start": "2026-10-01T15:00:00+00:00",
        "end": "2026-10-31T15:00:00+00:00",
    }
    moved = data["summary"]["moved"]
    assert moved[0]["key"] == "summary.nps.rose"
    assert moved[0]["text"] == en.say(found.summary.moved[0])
    assert moved[0]["values"]["before"] == pytest.approx(-33.33, abs=0.01)
    assert data["movements"]["average_check"]["after"] == 8_000
    assert data["movements"]["returning"]["significant"] is True
    assert data["at_risk"]["at_risk"][1]["home_store"] == "Hongdae Corner"
    assert data["cases"]["open"] == 40
    assert data["loyalty"] == {
        "period": data["period"]["current"],
        "outstanding": 0,
        "liability": 0,
        "programs": [],
    }


def test_an_empty_store_says_to_import_data_first(app: App, tmp_path: Path) -> None:
    with app.unit_of_work() as uow:
        found = briefing(uow, NOW, timezone=TZ)
    assert found.empty
    for language, title in (("en", "Import data first"), ("ko", "먼저 데이터를 가져오세요")):
        paths = write_briefing(found, Formatter(language, TZ), tmp_path / language)
        html = paths["html"].read_text("utf-8")
        assert title in html
        assert "regulars import members" in html
        assert "regulars import purchases" in html
        assert "Plotly" not in html
        assert "<script" not in html
        assert '<meta name="viewport"' in html
        data = json.loads(paths["json"].read_text("utf-8"))
        assert data["meta"]["buyers"] == 0
        assert data["loyalty"]["programs"] == []


def test_a_sections_table_reads_as_records_for_another_page(store: tuple[App, Briefing]) -> None:
    """The console renders the same views: a table's rows as records keyed by field."""
    _, found = store
    section = found.section("nps_by_store")
    assert section is not None
    assert section.table is not None
    records = {r["store"]: r for r in section.table.records()}
    assert set(records) == set(STORES.values())
    gangnam = records["강남역점"]
    assert gangnam["n"] == 60  # JSON keeps the analytics field names
    low, high = gangnam["interval"]
    assert low < gangnam["nps"] < high
    assert isinstance(gangnam["differs_from_rest"], str)  # a catalogue word: "yes" / "no"


def test_the_consoles_feedback_blocks_are_the_pages_sections(store: tuple[App, Briefing]) -> None:
    """The staff console's Feedback page shows the report's own tables: every block is a
    feedback section of the page, in its order, with the very table the page writes."""
    _, found = store
    f = Formatter("ko", TZ)
    page = render_page(found, f)
    blocks = feedback_blocks(found, f)
    sections = [b for b in blocks if b["title"]]
    assert [b["id"] for b in sections] == [v.name for v in found.feedback]
    assert "nps_by_store" in [b["id"] for b in sections]
    for block in sections:
        html = _section(page, block["id"])
        assert block["title"] in html
        assert block["html"]
        for table in re.findall(r"<div class='scroll'.*?</table></div>", block["html"]):
            assert table in html  # the same cells, the same words
    by_store = next(b for b in sections if b["id"] == "nps_by_store")["html"]
    assert "강남역점" in by_store
    assert ">S01<" not in by_store
    notes = [b["note"] for b in blocks if not b["title"]]
    assert len(notes) == len(found.report.get("notes") or {})


def test_the_driver_matrix_names_each_quadrants_drivers() -> None:
    frame = pd.DataFrame(
        {
            "driver": ["price", "service", "quality"],
            "quadrant": ["concentrate here", "keep up the good work", "concentrate here"],
        }
    )
    html = str(driver_matrix(frame, Formatter("en", TZ)))
    boxes = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html)
    assert boxes == [
        ("concentrate here (fix first)", "Price, Product quality"),
        ("keep up the good work", "Service quality"),
        ("possible overkill", "—"),
        ("low priority", "—"),
    ]
