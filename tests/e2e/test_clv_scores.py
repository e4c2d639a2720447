"""Scores over the API and the command line, on a store with a year of purchases."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from regulars.bootstrap import App, build
from regulars.config import Settings
from tests.clv_store_data import seed_store
from tests.e2e.test_cli import regulars


def test_scores_compute_at_risk_and_validate_on_the_command_line(
    store_url: str, tmp_path: Path
) -> None:
    app = build(Settings(database_url=store_url), migrate_schema=False)
    seed_store(app)
    app.engine.dispose()
    computed = regulars(
        store_url, "scores", "compute", "--as-of", "2026-01-01T00:00:00", cwd=tmp_path
    )
    assert computed.returncode == 0, computed.stderr
    assert "bgnbd: r=" in computed.stdout
    assert "scored 150 members" in computed.stdout
    listed = regulars(store_url, "scores", "at-risk", "--limit", "5", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("\n│ M0") == 5
    lost = regulars(store_url, "scores", "at-risk", "--view", "lost", cwd=tmp_path)
    assert lost.returncode == 0, lost.stderr
    assert "past value" in lost.stdout
    validated = regulars(
        store_url,
        "scores",
        "validate",
        "2025-09-01",
        "--observation-end",
        "2026-01-01",
        "--plot",
        "holdout.html",
        cwd=tmp_path,
    )
    assert validated.returncode == 0, validated.stderr
    assert "correlation" in validated.stdout
    assert (tmp_path / "holdout.html").stat().st_size > 1000
    bad = regulars(store_url, "scores", "compute", "--model", "magic", cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown model" in bad.stderr


def test_scores_over_the_api(
    app: App,
    client: TestClient,
    admin: dict[str, str],
    analyst: dict[str, str],
    pos: dict[str, str],
) -> None:
    seed_store(app)
    assert client.get("/v1/scores/at-risk", headers=analyst).json() == {"members": []}
    assert client.post("/v1/scores/compute", json={}, headers=analyst).status_code == 403
    run = client.post(
        "/v1/scores/compute", json={"model": "pareto", "horizon_days": 90}, headers=admin
    )
    assert run.status_code == 200, run.text
    assert run.json()["members"] == 150
    assert set(run.json()["params"]) == {"r", "alpha", "s", "beta"}
    ranked = client.get("/v1/scores/at-risk?limit=10", headers=analyst).json()["members"]
    assert len(ranked) == 10
    values = [m["value_at_risk"] for m in ranked]
    assert values == sorted(values, reverse=True)
    one = client.get(f"/v1/scores/members/{ranked[0]['member']}", headers=analyst)
    assert one.status_code == 200
    assert one.json()["value_at_risk"] == values[0]
    assert one.json()["horizon_days"] == 90
    missing = client.get("/v1/scores/members/nobody", headers=analyst)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert client.get("/v1/scores/at-risk", headers=pos).status_code == 403
    assert client.get("/v1/scores/at-risk?limit=0", headers=analyst).status_code == 422
    lost = client.get("/v1/scores/at-risk?view=lost&limit=1000", headers=analyst)
    assert lost.status_code == 200, lost.text
    for member in lost.json()["members"]:
        assert member["probability_alive"] < 0.05
        assert member["past_value"] > 0
    assert client.get("/v1/scores/at-risk?view=gone", headers=analyst).status_code == 422
