"""A till or the console finds a member by phone, e-mail, card number or id."""

from __future__ import annotations

from fastapi.testclient import TestClient


def enrol(client: TestClient, headers: dict[str, str], **fields: object) -> None:
    response = client.post("/v1/members", headers=headers, json=fields)
    assert response.status_code in (200, 201), response.text


def found(client: TestClient, headers: dict[str, str], query: str) -> list[str]:
    response = client.get(f"/v1/members/lookup?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [m["member_id"] for m in response.json()["members"]]


def test_a_member_is_found_by_a_phone_number_written_any_korean_way(
    client: TestClient, pos: dict[str, str]
) -> None:
    enrol(client, pos, member_id="M1", name="김민준", phone="010-1234-5678", consent_sms=True)
    enrol(client, pos, member_id="M2", phone="010-9876-5432")
    written_ways = (
        "010-1234-5678",
        "01012345678",
        "%2B82%2010%201234%205678",
        "%2B82-10-1234-5678",
    )
    for written in written_ways:
        assert found(client, pos, f"phone={written}") == ["M1"]
    member = client.get("/v1/members/lookup?phone=01012345678", headers=pos).json()["members"][0]
    assert member["name"] == "김민준"
    assert member["consent"]["sms"] is True
    assert found(client, pos, "phone=010-0000-0000") == []


def test_a_member_is_found_by_email_card_or_id_and_every_criterion_must_match(
    client: TestClient, pos: dict[str, str]
) -> None:
    enrol(client, pos, member_id="M1", email="Kim@Example.com", card_id="9410 0000 0001")
    enrol(client, pos, member_id="M2", email="lee@example.com")
    assert found(client, pos, "email=kim@example.COM") == ["M1"]
    assert found(client, pos, "card=941000000001") == ["M1"]
    assert found(client, pos, "card=9410-0000-0001") == ["M1"]
    assert found(client, pos, "member_id=M2") == ["M2"]
    assert found(client, pos, "email=lee@example.com&card=941000000001") == []
    assert client.get("/v1/members/M1", headers=pos).json()["card_id"] == "941000000001"


def test_a_card_number_belongs_to_one_member_at_a_time(
    client: TestClient, pos: dict[str, str]
) -> None:
    enrol(client, pos, member_id="M1", card_id="C-100")
    taken = client.post("/v1/members", headers=pos, json={"member_id": "M2", "card_id": "C 100"})
    assert taken.status_code == 422
    assert taken.json()["error"]["details"] == [
        {"field": "card_id", "value": "C100", "reason": "is held by member 'M1'"}
    ]
    enrol(client, pos, member_id="M1", card_id=None)  # M1 gives the card up
    enrol(client, pos, member_id="M2", card_id="C100")
    assert found(client, pos, "card=C100") == ["M2"]


def test_an_erased_member_is_not_found_and_a_lookup_needs_a_criterion(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    enrol(client, pos, member_id="M1", phone="010-1234-5678", card_id="C1")
    assert client.delete("/v1/members/M1", headers=admin).status_code == 204
    assert found(client, pos, "phone=01012345678") == []
    assert found(client, pos, "card=C1") == []
    empty = client.get("/v1/members/lookup", headers=pos)
    assert empty.status_code == 422
    assert "phone" in empty.json()["error"]["message"]
    nothing = client.get("/v1/members/lookup?phone=--", headers=pos)
    assert nothing.status_code == 422


def test_a_query_parameter_an_operation_does_not_take_is_refused_not_ignored(
    client: TestClient, analyst: dict[str, str]
) -> None:
    response = client.get("/v1/members?phone=01012345678", headers=analyst)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["field"] == "query.phone"
    assert "after" in error["message"]  # says what the operation takes
    assert client.get("/v1/members?limit=5", headers=analyst).status_code == 200
