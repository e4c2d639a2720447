"""``regulars members export|erase`` and ``regulars privacy retention``, run as a user runs
them: a real process on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

SURVEY = {"name": "Kiosk NPS", "csat": ["touchpoint"], "drivers": True}
COMMENT = "커피가 식어서 나왔어요 — marker-cli-5521"


def regulars(
    store_url: str, *args: str, cwd: Path, answer: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "REGULARS_DATABASE_URL": store_url,
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "regulars.cli", *args],
        cwd=cwd,
        env=environment,
        input=answer,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def enrol_and_answer(client: TestClient, pos: dict[str, str], admin: dict[str, str]) -> None:
    member = {"member_id": "M1", "name": "윤지호", "phone": "010-8143-7558", "consent_sms": True}
    assert client.post("/v1/members", headers=pos, json=member).status_code == 201
    sale = {
        "purchase_id": "P1",
        "member_id": "M1",
        "occurred_at": "2026-03-01T09:30:00+09:00",
        "store": "S01",
        "lines": [{"product": "latte", "category": "coffee", "quantity": 2, "amount": 9000}],
    }
    assert client.post("/v1/purchases", headers=pos, json=sale).status_code == 201
    assert client.put("/v1/surveys/kiosk", json=SURVEY, headers=admin).status_code == 201
    answer = {
        "response_id": "kiosk-1",
        "member_id": "M1",
        "collected_at": (datetime.now(UTC) - timedelta(days=40)).isoformat(),
        "answers": [{"question": "nps", "value": 9}, {"question": "nps_why", "text": COMMENT}],
    }
    posted = client.post("/v1/surveys/kiosk/responses", json=answer, headers=pos)
    assert posted.status_code == 201, posted.text


def test_export_then_erase_from_the_command_line(
    client: TestClient,
    pos: dict[str, str],
    admin: dict[str, str],
    store_url: str,
    tmp_path: Path,
) -> None:
    enrol_and_answer(client, pos, admin)
    out = tmp_path / "m1.json"
    exported = regulars(store_url, "members", "export", "M1", "--out", str(out), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["member"]["name"] == "윤지호"
    assert data["purchases"][0]["lines"][0]["product"] == "latte"
    assert COMMENT in [a["text"] for a in data["survey_answers"]]
    printed = regulars(store_url, "members", "export", "M1", cwd=tmp_path)
    assert json.loads(printed.stdout)["member"]["member_id"] == "M1"

    declined = regulars(store_url, "members", "erase", "M1", cwd=tmp_path, answer="n\n")
    assert declined.returncode == 1
    assert "nothing erased" in declined.stderr
    assert client.get("/v1/members/M1", headers=pos).json()["name"] == "윤지호"

    erased = regulars(store_url, "members", "erase", "M1", "--yes", cwd=tmp_path)
    assert erased.returncode == 0, erased.stderr
    assert "erased M1" in erased.stdout
    pseudonym = erased.stdout.split(" as ")[-1].strip()
    assert pseudonym.startswith("erased-")
    after = regulars(store_url, "members", "export", pseudonym, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    held = json.loads(after.stdout)
    assert held["member"]["name"] is None
    assert held["purchases"][0]["total_amount"] == 9000
    assert "marker-cli-5521" not in after.stdout
    assert "010-8143-7558" not in after.stdout

    again = regulars(store_url, "members", "erase", "M1", "--yes", cwd=tmp_path)
    assert again.returncode == 1
    assert "no member with id 'M1'" in again.stderr
    assert "Traceback" not in again.stderr


def test_retention_removes_old_free_text_once(
    client: TestClient,
    pos: dict[str, str],
    admin: dict[str, str],
    store_url: str,
    tmp_path: Path,
) -> None:
    enrol_and_answer(client, pos, admin)
    unset = regulars(store_url, "privacy", "retention", cwd=tmp_path)
    assert unset.returncode == 0, unset.stderr
    assert "kept all free text: no retention period is set" in unset.stdout
    days = {"REGULARS_RETENTION_FREE_TEXT_DAYS": "30", "REGULARS_RETENTION_DELIVERY_DAYS": "30"}
    dry = regulars(store_url, "privacy", "retention", "--dry-run", cwd=tmp_path, **days)
    assert dry.returncode == 0, dry.stderr
    assert "would remove 1 answer texts" in dry.stdout

    def texts() -> list[str | None]:
        exported = client.get("/v1/members/M1/export", headers=admin).json()
        return [a["text"] for a in exported["survey_answers"]]

    assert COMMENT in texts()
    done = regulars(store_url, "privacy", "retention", cwd=tmp_path, **days)
    assert "removed 1 answer texts" in done.stdout
    assert texts() == [None]  # the score stays, the comment is gone
    twice = regulars(store_url, "privacy", "retention", cwd=tmp_path, **days)
    assert "removed 0 answer texts" in twice.stdout
    longer = {**days, "REGULARS_RETENTION_FREE_TEXT_DAYS": "60"}
    assert (
        "removed 0 answer texts"
        in regulars(store_url, "privacy", "retention", cwd=tmp_path, **longer).stdout
    )
