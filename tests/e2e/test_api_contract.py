"""The API's contract under bad input, on SQLite and PostgreSQL (issue 12, "Serving").

No input answers a server error: numbers past the stated bounds (domain/bounds.py) and NUL
bytes are refused with 422 in the one error shape, naming the field; a bad item of a batch
is rejected alone; unparseable bodies, unknown routes and methods answer in the same shape;
the OpenAPI document declares every status; every answer carries the security headers; a
partial member update keeps what it leaves out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.bootstrap import App
from regulars.domain.bounds import MAX_AMOUNT, MAX_ID, MAX_LINE_NO, MAX_POINTS, MAX_QUANTITY
from regulars.services.feedback import surveys
from regulars.services.feedback.dispatch import invite_after_purchases
from regulars.services.members import upsert_members
from regulars.services.purchases.recording import record_purchases

BEYOND_INT64 = 2**63
BEYOND_INT32 = 2**31


def _purchase(purchase_id: str, **line: Any) -> dict[str, Any]:
    return {
        "purchase_id": purchase_id,
        "member_id": "M1",
        "occurred_at": "2026-03-01T10:00:00+09:00",
        "lines": [{"product": "latte", "amount": 4500, **line}],
    }


def _refused(response: Any, field: str) -> dict[str, Any]:
    """The answer is a 422 in the documented shape whose details name ``field``."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in [d["field"] for d in error["details"]], error
    return error  # type: ignore[no-any-return]


@pytest.fixture
def member(client: TestClient, pos: dict[str, str]) -> str:
    answer = client.post("/v1/members", json={"member_id": "M1", "name": "Kim"}, headers=pos)
    assert answer.status_code == 201, answer.text
    return "M1"


def test_ids_beyond_int64_are_refused_naming_the_field(
    client: TestClient, analyst: dict[str, str], pos: dict[str, str]
) -> None:
    _refused(
        client.get("/v1/cases", params={"after": BEYOND_INT64}, headers=analyst), "query.after"
    )
    _refused(client.get(f"/v1/cases/{BEYOND_INT64}", headers=analyst), "path.case_id")
    _refused(client.patch(f"/v1/cases/{BEYOND_INT64}", json={}, headers=pos), "path.case_id")
    assert client.get(f"/v1/cases/{MAX_ID}", headers=analyst).status_code == 404


def test_amounts_beyond_the_bound_are_refused(
    client: TestClient, pos: dict[str, str], member: str
) -> None:
    for cost in (BEYOND_INT64, MAX_AMOUNT + 1):
        body = {"member_id": "M2", "acquisition_cost": cost}
        _refused(client.post("/v1/members", json=body, headers=pos), "acquisition_cost")
    for amount in (BEYOND_INT64, -BEYOND_INT64, MAX_AMOUNT + 1, 10**20):
        answer = client.post("/v1/purchases", json=_purchase("P1", amount=amount), headers=pos)
        _refused(answer, "lines.0.amount")
    assert client.get("/v1/purchases/P1", headers=pos).status_code == 404
    at_bound = client.post("/v1/purchases", json=_purchase("P2", amount=MAX_AMOUNT), headers=pos)
    assert at_bound.status_code == 201, at_bound.text
    assert at_bound.json()["total_amount"] == MAX_AMOUNT


def test_points_beyond_the_bound_are_refused_and_the_next_adjustment_works(
    client: TestClient, admin: dict[str, str], member: str
) -> None:
    program = {
        "code": "beans",
        "kind": "points",
        "points": {"earn": {"points": 10, "per_amount": 100}, "redeem": {"max_share_percent": 50}},
    }
    installed = client.post("/v1/programs", json=program, headers=admin)
    assert installed.status_code == 200, installed.text
    for points in (9 * 10**18, BEYOND_INT64, MAX_POINTS + 1, -(MAX_POINTS + 1)):
        body = {"member_id": member, "program": "beans", "points": points, "reason": "fix"}
        _refused(client.post("/v1/loyalty/adjustments", json=body, headers=admin), "points")
    body = {"member_id": member, "program": "beans", "points": 500, "reason": "goodwill"}
    answer = client.post("/v1/loyalty/adjustments", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    balances = client.get(f"/v1/members/{member}/loyalty", headers=admin).json()["programs"]
    assert [p["balance"] for p in balances if p["program"] == "beans"] == [500]
    redeem = {"member_id": member, "program": "beans", "points": BEYOND_INT64}
    headers = {**admin, "Idempotency-Key": "r1"}
    _refused(client.post("/v1/loyalty/redeem", json=redeem, headers=headers), "points")


def test_a_quantity_or_line_number_past_int32_rejects_its_purchase_only(
    client: TestClient, pos: dict[str, str], member: str
) -> None:
    batch = {
        "purchases": [
            _purchase("P1", quantity=BEYOND_INT32),
            _purchase("P2"),
            _purchase("P3", line_no=BEYOND_INT32),
            _purchase("P4", quantity=MAX_QUANTITY, line_no=MAX_LINE_NO),
        ]
    }
    answer = client.post("/v1/purchases/batch", json=batch, headers=pos)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["added"], found["rejected"]) == (2, 2)
    status = {r["purchase_id"]: r["status"] for r in found["results"]}
    assert status == {"P1": "rejected", "P2": "ok", "P3": "rejected", "P4": "ok"}
    first, third = found["results"][0], found["results"][2]
    assert first["errors"][0]["line"] == 1
    assert first["errors"][0]["field"] == "quantity"
    assert third["errors"][0]["field"] == "line_no"
    assert client.get("/v1/purchases/P2", headers=pos).status_code == 200
    assert client.get("/v1/purchases/P1", headers=pos).status_code == 404
    single = client.post("/v1/purchases", json=_purchase("P5", quantity=BEYOND_INT32), headers=pos)
    _refused(single, "lines.0.quantity")


def test_a_bad_member_of_a_batch_is_rejected_alone(client: TestClient, pos: dict[str, str]) -> None:
    batch = {
        "members": [
            {"member_id": "A", "acquisition_cost": BEYOND_INT64},
            {"member_id": "B", "name": "Lee"},
            {"member_id": "C", "name": "a\u0000b"},
        ]
    }
    answer = client.post("/v1/members/batch", json=batch, headers=pos)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["added"], found["rejected"]) == (1, 2)
    assert [r["status"] for r in found["results"]] == ["rejected", "ok", "rejected"]
    assert found["results"][0]["errors"][0]["field"] == "acquisition_cost"
    assert found["results"][2]["errors"][0]["field"] == "name"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/members", {"member_id": "M\u0000"}, "member_id"),
        ("/v1/members", {"member_id": "M9", "name": "Kim\u0000"}, "name"),
        (
            "/v1/members/M1/consents",
            {"channel": "email", "granted": True, "source": "\u0000"},
            "source",
        ),
        ("/v1/purchases", _purchase("P\u0000"), "purchase_id"),
        ("/v1/purchases", _purchase("P9", product="lat\u0000te"), "lines.0.product"),
        (
            "/v1/loyalty/quote",
            {"lines": [{"product": "x", "amount": 1, "category": "\u0000"}]},
            "lines.0.category",
        ),
        ("/v1/loyalty/referrals", {"referrer": "M1", "referee": "\u0000"}, "referee"),
        ("/v1/programs", {"code": "p", "kind": "points", "name": "\u0000"}, "body"),
    ],
)
def test_a_nul_byte_in_any_text_field_is_refused_naming_it(
    client: TestClient, admin: dict[str, str], member: str, path: str, body: Any, field: str
) -> None:
    error = _refused(client.post(path, json=body, headers=admin), field)
    assert "NUL" in error["message"]


def test_a_nul_byte_in_a_path_or_query_parameter_is_refused_naming_it(
    client: TestClient, admin: dict[str, str], member: str
) -> None:
    _refused(client.get("/v1/members/M%001", headers=admin), "path.member_id")
    _refused(client.get("/v1/purchases/P%00", headers=admin), "path.purchase_id")
    _refused(client.get("/v1/members", params={"after": "M\u0000"}, headers=admin), "query.after")
    _refused(client.get("/v1/analytics/nps", params={"by": "\u0000"}, headers=admin), "query.by")
    put = client.put("/v1/surveys/s%00", json={"name": "x"}, headers=admin)
    _refused(put, "path.code")
    survey = client.put("/v1/surveys/s1", json={"name": "N\u0000"}, headers=admin)
    _refused(survey, "body")


def test_the_answer_page_refuses_a_nul_byte_with_a_page(app: App, client: TestClient) -> None:
    now = datetime.now(UTC)
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, {"code": "after", "name": "After", "drivers": False}, now)
        uow.commit()
    with app.unit_of_work() as uow:
        upsert_members(uow, [{"member_id": "M1", "locale": "en", "consent_email": True}], "UTC")
        purchase = _purchase("P1")
        purchase["occurred_at"] = (now - timedelta(hours=2)).isoformat()
        record_purchases(uow, [purchase], "UTC")
        report = invite_after_purchases(
            uow, "after", now, secret=app.settings.secret_key, base_url="http://testserver"
        )
        uow.commit()
    link = report.links[0].removeprefix("http://testserver")
    page = client.post(link, content=b"nps=9&nps_why=ok%00", headers=_form())
    assert page.status_code == 400, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text.lower()
    assert client.get(link).status_code == 200  # the link still works: nothing was recorded
    answered = client.post(link, content=b"nps=9&nps_why=ok", headers=_form())
    assert answered.status_code == 200, answered.text
    forged = client.get("/s/abc%00def")
    assert forged.status_code == 404


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_partial_member_update_keeps_what_it_leaves_out(
    client: TestClient, pos: dict[str, str]
) -> None:
    full = {
        "member_id": "M7",
        "name": "윤지호",
        "email": "jiho@example.com",
        "phone": "010-1234-5678",
        "birth_date": "1990-12-02",
        "locale": "en",
        "region": "Seoul",
        "acquisition_cost": 3000,
    }
    assert client.post("/v1/members", json=full, headers=pos).status_code == 201
    moved = client.post("/v1/members", json={"member_id": "M7", "region": "Busan"}, headers=pos)
    assert moved.status_code == 200, moved.text
    shown = client.get("/v1/members/M7", headers=pos).json()
    assert shown["region"] == "Busan"
    for name in ("name", "email", "phone", "birth_date", "locale", "acquisition_cost"):
        assert shown[name] == full[name], name
    cleared = client.post("/v1/members", json={"member_id": "M7", "phone": None}, headers=pos)
    assert cleared.status_code == 200
    shown = client.get("/v1/members/M7", headers=pos).json()
    assert (shown["phone"], shown["name"], shown["region"]) == (None, "윤지호", "Busan")
    batch = {"members": [{"member_id": "M7", "email": "new@example.com"}]}
    assert client.post("/v1/members/batch", json=batch, headers=pos).json()["updated"] == 1
    shown = client.get("/v1/members/M7", headers=pos).json()
    assert (shown["email"], shown["name"], shown["birth_date"]) == (
        "new@example.com",
        "윤지호",
        "1990-12-02",
    )


def test_unparseable_bodies_unknown_routes_and_methods_answer_the_error_shape(
    client: TestClient, pos: dict[str, str]
) -> None:
    broken = client.post(
        "/v1/members", content=b"{not json", headers={**pos, "Content-Type": "application/json"}
    )
    assert broken.status_code in (400, 422)
    assert broken.json()["error"]["details"][0]["field"] == "body"
    unknown = client.get("/v1/nothing-here", headers=pos)
    assert unknown.status_code == 404
    assert set(unknown.json()) == {"error"}
    assert unknown.json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/v1/purchases", headers=pos)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "detail" not in broken.json() | unknown.json() | wrong_method.json()


def test_the_openapi_document_declares_every_status_and_the_error_shape(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"ErrorBody", "ErrorDetail"} <= set(schemas)
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "details"}
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "403", "422"):
                assert status in responses, (method, path, status)
                assert responses[status]["content"]["application/json"]["schema"] == error_ref
            if "{" in path:
                assert "404" in responses, (method, path)
    paths = document["paths"]
    for path, method in [
        ("/v1/members", "post"),
        ("/v1/purchases", "post"),
        ("/v1/surveys/{code}", "put"),
        ("/v1/surveys/{code}/responses", "post"),
        ("/v1/loyalty/redeem", "post"),
        ("/v1/loyalty/adjustments", "post"),
    ]:
        assert "201" in paths[path][method]["responses"], (method, path)
    for path, method in [
        ("/v1/members", "post"),
        ("/v1/purchases", "post"),
        ("/v1/purchases/batch", "post"),
        ("/v1/loyalty/redeem", "post"),
    ]:
        assert "409" in paths[path][method]["responses"], (method, path)


def test_security_headers_on_pages_and_answers(client: TestClient, pos: dict[str, str]) -> None:
    page = client.get("/s/not-a-link")
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy or "'unsafe-inline'" not in policy.split("script-src")[1]
    assert "default-src 'none'" in policy  # hence no script of any kind
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    for answer in (
        client.get("/health"),
        client.get("/v1/members/nobody", headers=pos),
        client.get("/v1/nothing"),
        client.get("/openapi.json"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/docs")
    assert docs.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
