"""Members and purchases through the HTTP API: single, batch, idempotency, privacy."""

from __future__ import annotations

from fastapi.testclient import TestClient

SALE = {
    "purchase_id": "P1",
    "member_id": "M1",
    "occurred_at": "2026-03-01T09:30:00+09:00",
    "store": "S01",
    "channel": "store",
    "lines": [
        {"product": "latte", "category": "coffee", "quantity": 2, "amount": 10000},
        {"product": "muffin", "category": "bakery", "amount": 3500},
    ],
}


def enrol(client: TestClient, headers: dict[str, str], member_id: str = "M1") -> None:
    response = client.post(
        "/v1/members",
        headers=headers,
        json={"member_id": member_id, "name": "김민준", "locale": "ko", "consent_sms": True},
    )
    assert response.status_code in (200, 201), response.text


def test_member_is_created_then_updated_and_read_back(
    client: TestClient, pos: dict[str, str]
) -> None:
    created = client.post(
        "/v1/members", headers=pos, json={"member_id": "M1", "name": "Kim", "consent_email": True}
    )
    assert created.status_code == 201
    assert created.json()["consent"] == {"email": True, "sms": False, "push": False}
    updated = client.post(
        "/v1/members", headers=pos, json={"member_id": "M1", "name": "Kim", "segment": "vip"}
    )
    assert updated.status_code == 200
    assert client.get("/v1/members/M1", headers=pos).json()["segment"] == "vip"


def test_invalid_member_gets_field_level_422(client: TestClient, pos: dict[str, str]) -> None:
    response = client.post(
        "/v1/members", headers=pos, json={"member_id": "M1", "email": "nope", "locale": "fr"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert {d["field"] for d in error["details"]} == {"locale"}  # typed field, caught first
    response = client.post("/v1/members", headers=pos, json={"member_id": "M1", "email": "nope"})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "email", "value": "nope", "reason": "is not an e-mail address"}
    ]


def test_purchase_is_recorded_once_whatever_the_retries(
    client: TestClient, pos: dict[str, str]
) -> None:
    enrol(client, pos)
    first = client.post("/v1/purchases", headers=pos, json=SALE)
    assert first.status_code == 201
    assert first.json()["total_amount"] == 13500
    # ISO 8601 with offset, in the business's time zone: what the till sent comes back
    assert first.json()["occurred_at"] == "2026-03-01T09:30:00+09:00"
    assert [line["product"] for line in first.json()["lines"]] == ["latte", "muffin"]
    again = client.post("/v1/purchases", headers=pos, json=SALE)
    assert again.status_code == 200  # already present: nothing added
    assert again.json() == first.json()


def test_idempotency_key_replays_and_refuses_a_different_body(
    client: TestClient, pos: dict[str, str]
) -> None:
    enrol(client, pos)
    headers = {**pos, "Idempotency-Key": "till-3-0001"}
    first = client.post("/v1/purchases", headers=headers, json=SALE)
    replay = client.post("/v1/purchases", headers=headers, json=SALE)
    assert replay.status_code == first.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/purchases", headers=headers, json={**SALE, "purchase_id": "P2"})
    assert other.status_code == 409
    assert "different request body" in other.json()["error"]["message"]


def test_refund_references_its_sale(client: TestClient, pos: dict[str, str]) -> None:
    enrol(client, pos)
    client.post("/v1/purchases", headers=pos, json=SALE)
    refund = {
        **SALE,
        "purchase_id": "R1",
        "kind": "refund",
        "original_purchase_id": "P1",
        "lines": [{"product": "muffin", "amount": 3500}],
    }
    response = client.post("/v1/purchases", headers=pos, json=refund)
    assert response.status_code == 201
    assert response.json()["total_amount"] == -3500
    assert response.json()["original_purchase_id"] == "P1"
    unknown = client.post(
        "/v1/purchases",
        headers=pos,
        json={**refund, "purchase_id": "R2", "original_purchase_id": "P404"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["reason"] == "no purchase with this id"


def test_batch_accepts_the_good_and_reports_the_bad(
    client: TestClient, pos: dict[str, str]
) -> None:
    enrol(client, pos)
    batch = {
        "purchases": [
            SALE,
            {**SALE, "purchase_id": "P2", "member_id": "GHOST"},
            {**SALE, "purchase_id": "P3", "member_id": None},
        ]
    }
    response = client.post("/v1/purchases/batch", headers=pos, json=batch)
    assert response.status_code == 200
    body = response.json()
    assert (body["added"], body["rejected"]) == (2, 1)
    assert [r["status"] for r in body["results"]] == ["ok", "rejected", "ok"]
    assert body["results"][1]["errors"][0]["field"] == "member_id"
    assert client.get("/v1/purchases/P3", headers=pos).json()["member_id"] is None


def test_member_data_can_be_exported_and_erased(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    enrol(client, pos)
    client.post("/v1/purchases", headers=pos, json=SALE)
    exported = client.get("/v1/members/M1/export", headers=admin).json()
    assert exported["member"]["name"] == "김민준"
    assert exported["consent_history"][0]["channel"] == "sms"
    assert exported["purchases"][0]["purchase_id"] == "P1"
    assert client.delete("/v1/members/M1", headers=admin).status_code == 204
    # The id went with the person: nothing answers to it any more.
    assert client.get("/v1/members/M1", headers=admin).status_code == 404
    # The purchase stays in the books.
    assert client.get("/v1/purchases/P1", headers=pos).json()["total_amount"] == 13500


def test_members_are_paged(
    client: TestClient, pos: dict[str, str], analyst: dict[str, str]
) -> None:
    for i in range(5):
        enrol(client, pos, f"M{i}")
    first = client.get("/v1/members?limit=3", headers=analyst).json()
    assert [m["member_id"] for m in first["members"]] == ["M0", "M1", "M2"]
    rest = client.get(f"/v1/members?limit=3&after={first['next']}", headers=analyst).json()
    assert [m["member_id"] for m in rest["members"]] == ["M3", "M4"]
    assert rest["next"] is None


def test_both_batch_endpoints_answer_in_one_envelope(
    client: TestClient, pos: dict[str, str]
) -> None:
    members = client.post(
        "/v1/members/batch",
        headers=pos,
        json={"members": [{"member_id": "M1"}, {"member_id": "M2", "email": "bad"}]},
    )
    assert members.status_code == 200
    assert members.json() == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "results": [
            {"index": 1, "member_id": "M1", "status": "ok", "errors": []},
            {
                "index": 2,
                "member_id": "M2",
                "status": "rejected",
                "errors": [
                    {"field": "email", "value": "bad", "reason": "is not an e-mail address"}
                ],
            },
        ],
    }
    lines = [{"product": "latte", "amount": 5000}, {"product": "cake", "amount": 1, "quantity": 0}]
    batch = {"purchases": [SALE, {**SALE, "purchase_id": "P2", "lines": lines}]}
    purchases = client.post("/v1/purchases/batch", headers=pos, json=batch).json()
    assert list(purchases) == ["added", "already_present", "rejected", "results"]
    assert (purchases["added"], purchases["already_present"], purchases["rejected"]) == (1, 0, 1)
    ok, rejected = purchases["results"]
    assert ok == {"index": 1, "purchase_id": "P1", "status": "ok", "errors": []}
    assert (rejected["index"], rejected["purchase_id"], rejected["status"]) == (2, "P2", "rejected")
    # Each error names its line within the purchase.
    assert {"line": 2, "field": "quantity", "value": "0", "reason": "must not be zero"} in (
        rejected["errors"]
    )
    assert {e["line"] for e in rejected["errors"]} <= {1, 2}
