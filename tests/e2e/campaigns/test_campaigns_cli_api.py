"""Campaigns on the command line and over HTTP: define, preview, launch, run, results,
pause and end; bad definitions name the field and exit 2 (422 on the API); the state
machine answers 409."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from tests.e2e.test_cli import regulars
from tests.integration.campaigns.business import NOW, analytics, seed
from tests.integration.campaigns.campaign_helpers import TEMPLATES

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.services import audit

CAMPAIGN = {
    "code": "win-back",
    "name": "Win back",
    "trigger": {"daily": {}},
    "audience": {"field": "days_since_last_purchase", "ge": 60},
    "program": "beans",
    "holdout_percent": 20,
    "steps": [{"message": {"templates": TEMPLATES}}, {"gift": {"points": 100}}],
}


def test_the_command_line(store_url: str, tmp_path: Path) -> None:
    app = build(Settings(database_url=store_url), migrate_schema=False)
    seed(app)
    analytics(app)
    app.engine.dispose()
    path = tmp_path / "win-back.yaml"
    path.write_text(yaml.safe_dump(CAMPAIGN, allow_unicode=True), encoding="utf-8")
    at = ["--now", NOW.isoformat()]

    def cli(*args: str) -> object:
        return regulars(store_url, "campaigns", *args, cwd=tmp_path)

    loaded = cli("load", str(path))
    assert loaded.returncode == 0, loaded.stderr  # type: ignore[attr-defined]
    assert "win-back v1 (draft): defined" in loaded.stdout  # type: ignore[attr-defined]
    # A, E, K (consent, 60+ days) — C withdrew, I never consented: not in a message campaign.
    preview = cli("preview", "win-back", *at)
    assert "win-back: 3 members now" in preview.stdout  # type: ignore[attr-defined]
    assert cli("launch", "win-back").returncode == 0  # type: ignore[attr-defined]
    ran = cli("run", *at)
    assert ran.returncode == 0, ran.stderr  # type: ignore[attr-defined]
    shown = cli("results", "win-back", "--json", *at)
    found = json.loads(shown.stdout)  # type: ignore[attr-defined]
    assigned = found["arms"]["treated"]["assigned"] + found["arms"]["holdout"]["assigned"]
    assert assigned == 3
    assert "win-back" in cli("list").stdout  # type: ignore[attr-defined]
    assert cli("pause", "win-back").returncode == 0  # type: ignore[attr-defined]
    assert cli("end", "win-back").returncode == 0  # type: ignore[attr-defined]
    again = cli("launch", "win-back")
    assert again.returncode == 2  # type: ignore[attr-defined]
    assert "ended: it cannot become running" in again.stderr  # type: ignore[attr-defined]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**CAMPAIGN, "code": "x", "holdout_percent": 99}))
    refused = cli("load", str(bad))
    assert refused.returncode == 2  # type: ignore[attr-defined]
    assert "holdout_percent: must be at most 90" in refused.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in refused.stderr  # type: ignore[attr-defined]
    unknown = cli("show", "nope")
    assert unknown.returncode == 2
    assert "no campaign" in unknown.stderr


def test_the_api(app: App, client: TestClient, admin: dict[str, str],
                 analyst: dict[str, str]) -> None:  # fmt: skip
    seed(app)
    analytics(app)
    created = client.post("/v1/campaigns", json=CAMPAIGN, headers=admin)
    assert created.status_code == 201, created.text
    assert client.post("/v1/campaigns", json=CAMPAIGN, headers=admin).status_code == 200
    assert client.post("/v1/campaigns", json=CAMPAIGN, headers=analyst).status_code == 403
    bad = client.post("/v1/campaigns", json={**CAMPAIGN, "trigger": {"event": "x"}},
                      headers=admin)  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "trigger.event"
    draft = client.post("/v1/campaigns/preview", json=CAMPAIGN, headers=analyst)
    assert draft.status_code == 200
    assert "size" in draft.json()
    assert client.post("/v1/campaigns/win-back/pause", headers=admin).status_code == 409
    assert client.post("/v1/campaigns/win-back/launch", headers=admin).json()["state"] == "running"
    with app.unit_of_work() as uow:  # audited with the key that moved it
        [launched] = audit.entries(uow, action="campaign.launch")
    assert launched["actor_kind"] == "api_key"
    assert (launched["before"], launched["after"]) == ({"state": "draft"}, {"state": "running"})
    assert client.post("/v1/campaigns/run", headers=admin).status_code == 200
    results = client.get("/v1/campaigns/win-back/results", headers=analyst)
    assert results.status_code == 200
    assert len(results.json()["verdict"]) == 2
    assert client.get("/v1/campaigns/nope/results", headers=analyst).status_code == 404
    listed = client.get("/v1/campaigns", headers=analyst).json()["campaigns"]
    assert [c["code"] for c in listed] == ["win-back"]
    member = client.get("/v1/members/B/analytics", headers=analyst)
    assert member.status_code == 200
    assert member.json()["nps_class"] == "detractor"
    assert client.get("/v1/members/F/analytics", headers=analyst).status_code == 404
    fields = client.get("/v1/campaigns/fields", headers=analyst).json()["fields"]
    assert {"probability_alive", "stage", "consent_email"} <= {f["name"] for f in fields}
