"""Subscriptions through the HTTP API on both databases: contracts single and batch (each
item alone), plans, plan changes and bills, idempotent by their ids and by Idempotency-Key;
read back by analysts; a cancellation invites to the exit survey at once; churn reasons
come from the report process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.store.tables import survey_invitations

LINE = {
    "subscription_id": "L-1",
    "member_id": "M1",
    "plan": "5G",
    "monthly_fee": 55000,
    "started_on": "2025-01-31",
    "committed_until": "2027-01-31",
    "channel": "store",
    "device": "Galaxy S24",
}


def _member(client: TestClient, pos: dict[str, str], member: str = "M1") -> None:
    body = {"member_id": member, "locale": "ko", "consent_sms": True, "phone": "010-1234-5678"}
    assert client.post("/v1/members", headers=pos, json=body).status_code in (200, 201)


def test_a_contract_is_added_then_updated_and_read_back(
    client: TestClient, pos: dict[str, str], analyst: dict[str, str]
) -> None:
    _member(client, pos)
    created = client.post("/v1/subscriptions", headers=pos, json=LINE)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert (answer["plan"], answer["plan_name"], answer["status"]) == ("5G", "5G", "active")
    assert answer["started_on"] == "2025-01-31"
    assert answer["created_at"].endswith("+00:00")
    same = client.post("/v1/subscriptions", headers=pos, json=LINE)
    assert same.status_code == 200
    moved = client.post("/v1/subscriptions", headers=pos, json={**LINE, "device": "iPhone 16"})
    assert (moved.status_code, moved.json()["device"]) == (200, "iPhone 16")
    read = client.get("/v1/subscriptions/L-1", headers=analyst)
    assert read.status_code == 200
    assert read.json()["device"] == "iPhone 16"
    assert client.get("/v1/subscriptions/L-1", headers=pos).status_code == 403
    assert client.get("/v1/subscriptions/L-404", headers=analyst).status_code == 404
    mine = client.get("/v1/subscriptions/members/M1", headers=analyst).json()
    assert [s["subscription_id"] for s in mine["subscriptions"]] == ["L-1"]
    assert client.get("/v1/subscriptions/members/M404", headers=analyst).status_code == 404


def test_a_bad_contract_is_refused_naming_its_fields(
    client: TestClient, pos: dict[str, str]
) -> None:
    _member(client, pos)
    typed = client.post("/v1/subscriptions", headers=pos, json={**LINE, "monthly_fee": -1})
    assert typed.status_code == 422
    assert typed.json()["error"]["details"][0]["field"] == "monthly_fee"
    ruled = client.post(
        "/v1/subscriptions",
        headers=pos,
        json={**LINE, "cancelled_on": "2024-12-31", "member_id": "M404"},
    )
    assert ruled.status_code == 422
    assert ruled.json()["error"]["details"] == [
        {"field": "cancelled_on", "value": "2024-12-31", "reason": "is before the contract's start"}
    ]
    unknown = client.post("/v1/subscriptions", headers=pos, json={**LINE, "member_id": "M404"})
    assert unknown.json()["error"]["details"][0]["reason"] == (
        "no member with this id (import members first)"
    )
    far = client.post("/v1/subscriptions", headers=pos, json={**LINE, "started_on": "9999-01-01"})
    assert far.status_code == 422
    assert "outside the accepted dates" in far.json()["error"]["details"][0]["reason"]


def test_batches_take_each_item_alone_and_replay_by_key(
    client: TestClient, pos: dict[str, str], analyst: dict[str, str]
) -> None:
    _member(client, pos)
    plans = client.post(
        "/v1/subscriptions/plans",
        headers=pos,
        json={"plans": [{"code": "5G", "name": "5G Large", "monthly_fee": 55000}, {"code": ""}]},
    )
    assert plans.status_code == 200
    assert (plans.json()["added"], plans.json()["rejected"]) == (1, 1)
    batch = {
        "subscriptions": [
            LINE,
            {**LINE, "subscription_id": "L-2", "member_id": "M404"},
            {**LINE, "subscription_id": "L-3", "monthly_fee": "lots"},
        ]
    }
    headers = {**pos, "Idempotency-Key": "crm-sync-0001"}
    first = client.post("/v1/subscriptions/batch", headers=headers, json=batch)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["added"], body["rejected"]) == (1, 2)
    assert [r["status"] for r in body["results"]] == ["ok", "rejected", "rejected"]
    assert body["results"][1]["errors"][0]["field"] == "member_id"
    assert body["results"][2]["errors"][0]["field"] == "monthly_fee"
    replay = client.post("/v1/subscriptions/batch", headers=headers, json=batch)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == body
    other = client.post("/v1/subscriptions/batch", headers=headers, json={"subscriptions": [LINE]})
    assert other.status_code == 409
    changes = {
        "changes": [
            {
                "subscription_id": "L-1",
                "changed_on": "2025-06-01",
                "from_plan": "5G",
                "to_plan": "LTE",
                "fee_before": 55000,
                "fee_after": 33000,
            }
        ]
    }
    assert (
        client.post("/v1/subscriptions/plan-changes", headers=pos, json=changes).json()["added"]
        == 1
    )
    again = client.post("/v1/subscriptions/plan-changes", headers=pos, json=changes).json()
    assert (again["added"], again["unchanged"]) == (0, 1)
    bills = {
        "bills": [
            {"subscription_id": "L-1", "month": "2025-02", "amount": 55000, "data_gb": 12.5},
            {"subscription_id": "L-1", "month": "2024-12", "amount": 55000},
            {"subscription_id": "L-1", "month": "2025-03", "amount": 1, "data_gb": -1},
        ]
    }
    billed = client.post("/v1/subscriptions/bills", headers=pos, json=bills).json()
    assert (billed["added"], billed["rejected"]) == (1, 2)
    assert billed["results"][1]["errors"][0]["reason"] == (
        "is before the contract's first month (2025-01)"
    )
    assert billed["results"][2]["errors"][0]["field"] == "data_gb"
    line = client.get("/v1/subscriptions/L-1", headers=analyst).json()
    assert [c["to_plan"] for c in line["plan_changes"]] == ["LTE"]
    assert [(b["month"], b["data_gb"]) for b in line["bills"]] == [("2025-02-01", 12.5)]


def test_a_cancellation_through_the_api_invites_to_the_exit_survey_at_once(
    app: App, client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    _member(client, pos)
    survey = {"name": "Before you go", "kind": "exit", "nps": False}
    assert client.put("/v1/surveys/leaving", headers=admin, json=survey).status_code == 201
    assert client.post("/v1/subscriptions", headers=pos, json=LINE).status_code == 201
    today = datetime.now(UTC).date()
    cancelled = {**LINE, "cancelled_on": today.isoformat(), "cancel_reason": "price"}
    answer = client.post("/v1/subscriptions", headers=pos, json=cancelled)
    assert (answer.status_code, answer.json()["status"]) == (200, "cancelled")
    again = client.post("/v1/subscriptions", headers=pos, json=cancelled)
    assert again.status_code == 200
    with app.unit_of_work() as uow:
        invited = uow.connection.execute(select(func.count()).select_from(survey_invitations))
        assert invited.scalar() == 1
    refused = client.post(
        "/v1/surveys/leaving/invitations", headers=admin, json={"mode": "wave", "wave": "w1"}
    )
    assert refused.status_code == 422
    assert "exit survey" in refused.json()["error"]["message"]
    reasons = client.get(
        "/v1/subscriptions/reasons",
        headers={"Authorization": admin["Authorization"]},
        params={"by": "plan", "since": (today - timedelta(days=1)).isoformat()},
    )
    assert reasons.status_code == 200, reasons.text
    groups = {g["group"]: g for g in reasons.json()["groups"]}
    assert groups["5G"]["reasons"] == [groups["all"]["reasons"][0]]
    assert groups["5G"]["reasons"][0]["reason"] == "price"
    bad = client.get("/v1/subscriptions/reasons", headers=admin, params={"by": "colour"})
    assert bad.status_code == 422


def test_a_members_churn_scores_are_read_by_analysts(
    app: App, client: TestClient, pos: dict[str, str], analyst: dict[str, str]
) -> None:
    from regulars.services.subscriptions import scoring
    from tests.subscription_data import AS_OF, generate, load_store

    missing = client.get("/v1/subscriptions/members/M0001/scores", headers=analyst)
    assert missing.status_code == 404
    assert "regulars subscriptions score" in missing.json()["error"]["message"]
    load_store(app, generate(150, seed=9))
    with app.unit_of_work() as uow:
        run = scoring.score_subscriptions(
            uow, AS_OF, datetime(2026, 1, 1, tzinfo=UTC), timezone="Asia/Seoul"
        )
        uow.commit()
    member = str(run.outlook.scores["member_id"].iloc[0])
    answer = client.get(f"/v1/subscriptions/members/{member}/scores", headers=analyst)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["member"] == member
    expected = run.outlook.scores[run.outlook.scores["member_id"] == member]
    assert {s["subscription"] for s in body["subscriptions"]} == set(expected["subscription_id"])
    first = body["subscriptions"][0]
    row = expected.set_index("subscription_id").loc[first["subscription"]]
    assert abs(first["cancel_probability_90d"] - row["cancel_probability_90d"]) < 1e-12
    assert first["computed_at"] == "2026-01-01T00:00:00+00:00"
    assert first["as_of"] == AS_OF.isoformat()
    assert client.get(f"/v1/subscriptions/members/{member}/scores", headers=pos).status_code == 403
