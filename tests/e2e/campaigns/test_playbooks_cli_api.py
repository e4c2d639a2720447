"""Playbooks on the command line and over HTTP: list them, define one as a draft, launch it
as usual; an unknown playbook, a taken code or a missing program is a clear error (exit 2;
404, 409, 422 on the API)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.e2e.test_cli import regulars
from tests.integration.campaigns.business import NOW, analytics, seed

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.services.engagement.playbooks import list_playbooks


def test_the_command_line(store_url: str, tmp_path: Path) -> None:
    app = build(Settings(database_url=store_url), migrate_schema=False)
    seed(app)
    analytics(app)
    app.engine.dispose()

    def cli(*args: str) -> object:
        return regulars(store_url, "campaigns", *args, cwd=tmp_path)

    listed = cli("playbooks")
    assert listed.returncode == 0, listed.stderr  # type: ignore[attr-defined]
    lines = listed.stdout.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == len(list_playbooks())
    assert any(line.startswith("detractor-recovery") and "재설문" in line for line in lines)
    english = cli("playbooks", "--language", "en").stdout  # type: ignore[attr-defined]
    assert "Win back high-value members at risk" in english
    made = cli("playbook", "win-back", "--program", "beans", "--code", "win-back-vip")
    assert made.returncode == 0, made.stderr  # type: ignore[attr-defined]
    assert "win-back-vip v1 (draft): defined from playbook win-back" in made.stdout  # type: ignore[attr-defined]
    # A and E: P(alive) below 0.3 with 30,000 or more at risk, both with e-mail consent
    preview = cli("preview", "win-back-vip", "--now", NOW.isoformat())
    assert "win-back-vip: 2 members now" in preview.stdout  # type: ignore[attr-defined]
    assert cli("launch", "win-back-vip").returncode == 0  # type: ignore[attr-defined]
    bad = cli("playbook", "no-such-playbook")
    assert bad.returncode == 2  # type: ignore[attr-defined]
    assert "no playbook with code 'no-such-playbook'" in bad.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in bad.stderr  # type: ignore[attr-defined]
    taken = cli("playbook", "win-back", "--code", "win-back-vip")
    assert taken.returncode == 2  # type: ignore[attr-defined]
    assert "exists already" in taken.stderr  # type: ignore[attr-defined]
    unknown = cli("playbook", "birthday", "--program", "nope")
    assert unknown.returncode == 2  # type: ignore[attr-defined]
    assert "program: no loyalty program has this code" in unknown.stderr  # type: ignore[attr-defined]


def test_the_api(app: App, client: TestClient, admin: dict[str, str],
                 analyst: dict[str, str]) -> None:  # fmt: skip
    seed(app)
    listed = client.get("/v1/campaigns/playbooks", headers=analyst)
    assert listed.status_code == 200
    codes = {p["code"] for p in listed.json()["playbooks"]}
    assert {"welcome", "detractor-recovery", "vip-service"} <= codes
    made = client.post(
        "/v1/campaigns/playbooks/birthday", json={"code": "birthday-2027"}, headers=admin
    )
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "draft"
    assert client.get("/v1/campaigns/birthday-2027", headers=analyst).json()["definition"][
        "program"
    ] == "beans"  # the business's only program  # fmt: skip
    plain = client.post("/v1/campaigns/playbooks/welcome", headers=admin)  # no body
    assert plain.status_code == 201, plain.text
    again = client.post("/v1/campaigns/playbooks/welcome", headers=admin)
    assert again.status_code == 409
    assert again.json()["error"]["code"]
    missing = client.post("/v1/campaigns/playbooks/nope", headers=admin)
    assert missing.status_code == 404
    assert "no playbook" in missing.json()["error"]["message"]
    wrong = client.post("/v1/campaigns/playbooks/win-back", json={"program": "nope"}, headers=admin)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "program"
    refused = client.post("/v1/campaigns/playbooks/welcome", headers=analyst)
    assert refused.status_code == 403
    assert client.post("/v1/campaigns/welcome/launch", headers=admin).status_code == 200
