"""Feedback through the API (a kiosk's answers, cases) and the command line (a phone survey's
file, cases), on a real store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

SURVEY = {"name": "Kiosk NPS", "csat": ["touchpoint"], "drivers": True}


def _setup(client: TestClient, admin: dict[str, str], pos: dict[str, str]) -> None:
    assert client.put("/v1/surveys/kiosk", json=SURVEY, headers=admin).status_code == 201
    member = {"member_id": "M1", "locale": "en", "consent_email": True}
    assert client.post("/v1/members", json=member, headers=pos).status_code == 201


def test_a_kiosk_answer_by_api_opens_a_case_that_staff_work_through(
    client: TestClient, admin: dict[str, str], pos: dict[str, str], analyst: dict[str, str]
) -> None:
    _setup(client, admin, pos)
    body = {
        "response_id": "kiosk-1",
        "member_id": "M1",
        "store": "S01",
        "channel": "store",
        "answers": [
            {"question": "nps", "value": 2},
            {"question": "nps_why", "text": "Waited 20 minutes"},
            {"question": "csat", "target": "touchpoint", "value": 1},
            {"question": "driver_rating", "driver": "service", "value": 1},
        ],
    }
    first = client.post("/v1/surveys/kiosk/responses", json=body, headers=pos)
    assert first.status_code == 201, first.text
    assert first.json()["answers_added"] == 4
    case_id = first.json()["case_id"]
    assert case_id is not None
    again = client.post("/v1/surveys/kiosk/responses", json=body, headers=pos)
    assert again.status_code == 200
    assert again.json()["answers_added"] == 0

    listed = client.get("/v1/cases", params={"status": "open"}, headers=analyst).json()
    assert [c["id"] for c in listed["cases"]] == [case_id]
    assert listed["cases"][0]["store"] == "S01"
    opened = listed["cases"][0]
    assert datetime.fromisoformat(opened["due_at"]) - datetime.fromisoformat(
        opened["opened_at"]
    ) == timedelta(hours=48)
    assert all(opened[name].endswith("+00:00") for name in ("opened_at", "due_at", "updated_at"))
    moved = client.patch(
        f"/v1/cases/{case_id}",
        json={"status": "in_progress", "owner": "Store manager", "note": "Called, apologised"},
        headers=pos,
    )
    assert moved.status_code == 200
    assert moved.json()["notes"][0]["text"] == "Called, apologised"
    assert moved.json()["notes"][0]["at"].endswith("+00:00")
    closed = client.patch(f"/v1/cases/{case_id}", json={"status": "closed"}, headers=pos)
    assert closed.json()["closed_at"].endswith("+00:00")
    wrong = client.patch(f"/v1/cases/{case_id}", json={"status": "resolved"}, headers=pos)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == "a case cannot go from closed to resolved"
    assert client.get("/v1/cases/999", headers=analyst).status_code == 404
    assert client.patch(f"/v1/cases/{case_id}", json={}, headers=analyst).status_code == 403


def test_surveys_are_defined_listed_and_checked(
    client: TestClient, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    bad = client.put("/v1/surveys/x", json={"name": "X", "sampling": 2}, headers=admin)
    assert bad.status_code == 422
    assert "sampling: must be between 0 and 1" in bad.json()["error"]["message"]
    assert client.put("/v1/surveys/x", json=SURVEY, headers=analyst).status_code == 403
    assert client.put("/v1/surveys/x", json=SURVEY, headers=admin).status_code == 201
    assert client.put("/v1/surveys/x", json=SURVEY, headers=admin).status_code == 200
    [listed] = client.get("/v1/surveys", headers=analyst).json()
    assert listed["code"] == "x"
    assert listed["questions"][:4] == ["nps", "nps_why", "nps_to_10", "csat.touchpoint"]
    assert client.get("/v1/surveys/nope", headers=analyst).status_code == 404


def test_a_bad_api_answer_says_which_and_why(
    client: TestClient, admin: dict[str, str], pos: dict[str, str]
) -> None:
    _setup(client, admin, pos)
    bad = {"member_id": "M1", "answers": [{"question": "nps", "value": 11}]}
    response = client.post("/v1/surveys/kiosk/responses", json=bad, headers=pos)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "answers[1].value: must be a whole number from 0 to 10"
    )
    unknown = client.post(
        "/v1/surveys/nope/responses",
        json={"answers": [{"question": "nps", "value": 1}]},
        headers=pos,
    )
    assert unknown.status_code == 404


def test_a_csv_import_by_api_reports_bad_rows(
    client: TestClient, admin: dict[str, str], pos: dict[str, str]
) -> None:
    _setup(client, admin, pos)
    csv = (
        "response_id,survey,member_id,question,value,collected_at\n"
        "T1,kiosk,M1,nps,9,2026-10-01T10:00:00+09:00\n"
        "T2,kiosk,M1,nps,ten,2026-10-01T10:00:00+09:00\n"
    )
    response = client.post(
        "/v1/surveys/answers/import",
        content=csv.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200
    result = response.json()
    assert (result["answers_added"], result["rejected_rows"]) == (1, 1)
    assert result["errors"][0] == {
        "row": 2,
        "field": "value",
        "value": "ten",
        "reason": "is not a number",
    }


def regulars(store_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGULARS_DATABASE_URL": store_url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "regulars.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_defines_imports_and_follows_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/regulars.db"
    (tmp_path / "surveys.yaml").write_text(
        "- code: phone\n  name: Phone survey\n  drivers: [price, service]\n"
        "- code: wave\n  name: Quarterly\n  sampling: 0.5\n",
        encoding="utf-8",
    )
    (tmp_path / "members.csv").write_text("member_id,locale\nM1,ko\n", encoding="utf-8")
    (tmp_path / "answers.csv").write_text(
        "response_id,survey,member_id,question,driver,value,text,store,collected_at\n"
        "R1,phone,M1,nps,,1,,S01,2026-10-01 10:00\n"
        "R1,phone,M1,nps_why,,,가격이 너무 비싸요,S01,2026-10-01 10:00\n"
        "R1,phone,M1,driver_rating,price,1,,S01,2026-10-01 10:00\n"
        "R2,phone,M1,driver_rating,taste,9,,S01,2026-10-01 10:00\n",
        encoding="utf-8",
    )
    defined = regulars(url, "feedback", "define", "surveys.yaml", cwd=tmp_path)
    assert defined.returncode == 0, defined.stderr
    assert "phone: created, asks nps, nps_why, nps_to_10, driver_rating.price" in defined.stdout
    assert regulars(url, "import", "members", "members.csv", cwd=tmp_path).returncode == 0
    imported = regulars(url, "feedback", "import", "answers.csv", cwd=tmp_path)
    assert imported.returncode == 3, imported.stderr  # good rows kept, one refused
    assert "4 rows read, 3 answers added, 0 already present, 1 rows rejected" in imported.stdout
    assert "row 4, value = '9': must be a whole number from 1 to 5" in imported.stdout
    assert (tmp_path / "answers.rejects.csv").exists()
    listed = regulars(url, "feedback", "cases", "--status", "open", cwd=tmp_path)
    assert "1 case(s)" in listed.stdout
    assert "가격이 너무 비싸요" in listed.stdout
    updated = regulars(
        url, "feedback", "case", "1", "--status", "resolved", "--note", "refunded", cwd=tmp_path
    )
    assert updated.returncode == 0, updated.stderr
    assert "resolved" in updated.stdout
    assert "staff: refunded" in updated.stdout
    wrong = regulars(url, "feedback", "case", "1", "--status", "nonsense", cwd=tmp_path)
    assert wrong.returncode == 1
    assert "status must be one of" in wrong.stderr
    invited = regulars(url, "feedback", "invite", "wave", "--wave", "2026-Q4", cwd=tmp_path)
    assert invited.returncode == 0, invited.stderr
    assert "0 invited" in invited.stdout
