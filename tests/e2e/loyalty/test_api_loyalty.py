"""The loyalty API as a till uses it: a sale earns, a quote shows, points are redeemed with
an Idempotency-Key, balances, lots and history read back; programs come from the CLI too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from regulars.demo.programs import BEAN_POINTS

SALE = {
    "purchase_id": "P1",
    "member_id": "M1",
    "occurred_at": "2026-03-01T09:30:00+09:00",
    "store": "S01",
    "lines": [{"product": "beans_250g", "category": "beans", "quantity": 1, "amount": 18000}],
}
INSTANT = {  # no return window: points open at once
    "code": "instant",
    "kind": "points",
    "points": {"earn": {"points": 10, "per_amount": 100}, "redeem": {"max_share_percent": 50}},
}


def test_sale_earns_quote_redeem_and_read_back(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    for definition in (BEAN_POINTS, INSTANT):
        installed = client.post("/v1/programs", headers=admin, json=definition)
        assert installed.status_code == 200, installed.text
    assert client.post("/v1/programs", headers=pos, json=INSTANT).status_code == 403
    client.post("/v1/members", headers=pos, json={"member_id": "M1", "name": "Kim"})
    assert client.post("/v1/purchases", headers=pos, json=SALE).status_code == 201

    balances = client.get("/v1/members/M1/loyalty", headers=pos).json()["programs"]
    by_code = {p["program"]: p for p in balances}
    assert by_code["bean-points"]["pending"] == 1800  # 5 % doubled for beans, held 7 days
    assert by_code["instant"]["balance"] == 1800

    quote = client.post(
        "/v1/loyalty/quote",
        headers=pos,
        json={
            "member_id": "M1",
            "lines": [{"product": "latte", "category": "coffee", "amount": 5000}],
        },
    ).json()
    instant = next(p for p in quote["programs"] if p["program"] == "instant")
    assert (instant["points_to_earn"], instant["redeemable_points"]) == (500, 1800)

    body = {"member_id": "M1", "program": "instant", "points": 1000, "order_amount": 5000}
    assert client.post("/v1/loyalty/redeem", headers=pos, json=body).status_code == 422
    keyed = {**pos, "Idempotency-Key": "order-77"}
    first = client.post("/v1/loyalty/redeem", headers=keyed, json=body)
    assert first.status_code == 201, first.text
    assert first.json()["balance"] == 800
    again = client.post("/v1/loyalty/redeem", headers=keyed, json=body)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = client.post("/v1/loyalty/redeem", headers=keyed, json={**body, "points": 10})
    assert other.status_code == 409
    too_much = client.post(
        "/v1/loyalty/redeem", headers={**pos, "Idempotency-Key": "order-78"}, json=body
    )
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "insufficient_points"

    lots = client.get("/v1/members/M1/loyalty/instant/lots", headers=pos).json()
    assert [(lot["points"], lot["remaining"], lot["state"]) for lot in lots] == [
        (1800, 800, "open")
    ]
    # Times go out in one format, ISO 8601 with offset, in UTC, on SQLite and PostgreSQL.
    sold_at = "2026-03-01T00:30:00+00:00"
    assert (lots[0]["awarded_at"], lots[0]["release_at"]) == (sold_at, sold_at)
    history = client.get("/v1/members/M1/loyalty/instant/history", headers=pos).json()
    assert [h["kind"] for h in history] == ["redeem", "earn"]
    assert history[1]["occurred_at"] == sold_at

    refused = client.post(
        "/v1/loyalty/adjustments",
        headers=admin,
        json={"member_id": "M1", "program": "instant", "points": 50, "reason": ""},
    )
    assert refused.status_code == 422
    adjusted = client.post(
        "/v1/loyalty/adjustments",
        headers=admin,
        json={"member_id": "M1", "program": "instant", "points": 50, "reason": "goodwill"},
    )
    assert adjusted.json()["balance"] == 850


def test_programs_load_from_a_yaml_file_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "programs.yaml").write_text(
        """
programs:
  - code: stamps
    kind: stamps
    stamps: {every: 6, count: items, category: coffee, reward: {name: Free coffee}}
  - code: card
    kind: discount
    discount: {window_months: 12, thresholds: [{from: 0, percent: 3}, {from: 300000, percent: 5}]}
""",
        encoding="utf-8",
    )
    (tmp_path / "bad.yaml").write_text("code: x\nkind: points\npoints: {earn: {points: 1.5}}\n")
    env = {
        **os.environ,
        "REGULARS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "regulars.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    loaded = run("programs", "load", "programs.yaml")
    assert loaded.returncode == 0, loaded.stderr
    assert "stamps (stamps) v1: installed" in loaded.stdout
    assert "v1: unchanged" in run("programs", "load", "programs.yaml").stdout
    bad = run("programs", "load", "bad.yaml")
    assert bad.returncode == 2
    assert "points.earn.points" in bad.stderr
    assert run("loyalty", "accrue").returncode == 0
