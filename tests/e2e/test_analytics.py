"""Loyalty analytics as users reach it: ``regulars report``/``nps``/... and ``/v1/analytics``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regulars.bootstrap import App
from regulars.demo.business import DRIVERS, generate
from regulars.services.feedback import surveys
from regulars.services.imports.answers import import_answers_frame
from regulars.services.imports.files import import_file
from tests.e2e.test_cli import regulars
from tests.integration.test_analytics_report import NOW, SURVEY, survey_answers


@pytest.fixture
def loaded(app: App, tmp_path: Path) -> App:
    demo = generate(members=150, seed=5)
    for kind in ("stores", "departments", "employees", "members", "purchases"):
        path = tmp_path / f"{kind}.csv"
        getattr(demo, kind).to_csv(path, index=False)
        import_file(kind, path, app.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, SURVEY, NOW)
        uow.commit()
    report = import_answers_frame(
        survey_answers(demo), app.run_committed, timezone="Asia/Seoul", now=NOW
    )
    assert not report.errors
    return app


def test_report_command_writes_an_offline_page_and_json(
    loaded: App, store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = regulars(store_url, "report", "--out", str(out), "--benchmark", "10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "NPS" in result.stdout
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["nps"]["benchmark"] == 10
    assert data["nps"]["against_benchmark"] in ("above", "below", "not different")
    assert (out / "report.html").stat().st_size > 1_000_000

    nps = regulars(store_url, "nps", "--by", "store", "--json", cwd=tmp_path)
    assert nps.returncode == 0, nps.stderr
    assert json.loads(nps.stdout)["n"] == data["nps"]["n"]
    compare = regulars(
        store_url, "nps", "--by", "segment", "--compare", "individual,business", cwd=tmp_path
    )
    assert compare.returncode == 0, compare.stderr
    assert "difference" in compare.stdout
    bad = regulars(store_url, "nps", "--by", "shoe-size", cwd=tmp_path)
    assert bad.returncode == 2
    assert "by must be one of" in bad.stderr


def test_api_serves_the_analytics_to_analysts_only(
    loaded: App, client: TestClient, analyst: dict[str, str], pos: dict[str, str]
) -> None:
    assert client.get("/v1/analytics/nps", headers=pos).status_code == 403
    nps = client.get("/v1/analytics/nps?trend=month&benchmark=0", headers=analyst)
    assert nps.status_code == 200
    body = nps.json()
    assert body["low"] <= body["high"]
    assert sum(row["n"] for row in body["trend"]) == body["n"]
    drivers = client.get("/v1/analytics/drivers", headers=analyst).json()
    assert {row["driver"] for row in drivers} == set(DRIVERS)
    staff = client.get("/v1/analytics/staff?min_answers=3", headers=analyst).json()
    assert all(row["rank"] is None for row in staff if not row["eligible"])
    themes = client.get("/v1/analytics/themes?min_answers=2", headers=analyst)
    assert themes.status_code == 200
    report = client.get("/v1/analytics/report", headers=analyst).json()
    assert report["nps"]["n"] == body["n"]
    compare = client.get(
        "/v1/analytics/nps/compare?by=segment&first=individual&second=business", headers=analyst
    )
    assert compare.status_code == 200, compare.text
    months = sorted(
        row["month"]
        for row in client.get("/v1/analytics/nps?by=month", headers=analyst).json()["by"]
    )
    periods = client.get(
        f"/v1/analytics/nps/compare?by=month&first={months[-1]}&second={months[-2]}",
        headers=analyst,
    )
    assert periods.status_code == 200, periods.text
    assert periods.json()["first"]["group"] == months[-1]
    assert isinstance(compare.json()["significant"], bool)
    assert compare.json()["first"]["n"] + compare.json()["second"]["n"] <= body["n"]
    missing = client.get(
        "/v1/analytics/nps/compare?by=segment&first=individual&second=nobody", headers=analyst
    )
    assert missing.status_code == 422
    invalid = client.get("/v1/analytics/nps?by=nothing", headers=analyst)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["message"].startswith("by must be one of")


def test_api_report_carries_the_briefing_in_the_language_asked(
    loaded: App, client: TestClient, analyst: dict[str, str]
) -> None:
    english = client.get("/v1/analytics/report?language=en&period_days=90", headers=analyst)
    assert english.status_code == 200, english.text
    body = english.json()
    assert body["language"] == "en"
    assert body["period"]["current"]["days"] == 90
    assert {"moved", "fix_first", "save", "cases", "program"} <= set(body["summary"])
    first = body["summary"]["moved"][0]
    assert first["key"].startswith("summary.nps.")
    assert first["text"].startswith("NPS")
    assert body["summary"]["fix_first"][0]["key"] == "summary.fix.first"
    assert body["cases"]["open"] > 0
    assert body["at_risk"] is None
    korean = client.get("/v1/analytics/report", headers=analyst).json()
    assert korean["language"] == "ko"  # REGULARS_REPORT_LANGUAGE unset, alerts in Korean
    assert any("가" <= c <= "힣" for c in korean["summary"]["moved"][0]["text"])
    for query in ("language=fr", "period_days=0", "as_of=0001-01-01"):
        refused = client.get(f"/v1/analytics/report?{query}", headers=analyst)
        assert refused.status_code == 422, (query, refused.text)
        assert refused.json()["error"]["code"] == "invalid"
