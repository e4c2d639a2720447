"""Every time in an API answer is ISO 8601 with its offset, on SQLite (which hands times back
naive) as on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

SALE = {
    "purchase_id": "P1",
    "member_id": "M1",
    "occurred_at": "2026-03-01T09:30:00+09:00",
    "lines": [{"product": "latte", "amount": 5000}],
}
INSTANT = {
    "code": "instant",
    "kind": "points",
    "points": {"earn": {"points": 10, "per_amount": 100}},
}


def times(answer: Any) -> list[str]:
    """Every string in ``answer`` that reads as a moment (a date and a time)."""
    if isinstance(answer, dict):
        return [t for value in answer.values() for t in times(value)]
    if isinstance(answer, list):
        return [t for value in answer for t in times(value)]
    if isinstance(answer, str) and len(answer) > 10 and answer[10:11] == "T":
        try:
            datetime.fromisoformat(answer)
        except ValueError:
            return []
        return [answer]
    return []


def test_times_in_answers_carry_their_offset(
    client: TestClient, pos: dict[str, str], admin: dict[str, str], analyst: dict[str, str]
) -> None:
    assert client.post("/v1/programs", headers=admin, json=INSTANT).status_code == 200
    answers = [client.post("/v1/members", headers=pos, json={"member_id": "M1"}).json()]
    answers.append(client.post("/v1/purchases", headers=pos, json=SALE).json())
    for path in (
        "/v1/members/M1",
        "/v1/members",
        "/v1/purchases/P1",
        "/v1/members/M1/loyalty/instant/history",
        "/v1/members/M1/loyalty/instant/lots",
    ):
        answers.append(client.get(path, headers=admin).json())
    answers.append(client.get("/v1/members/M1/export", headers=admin).json())
    found = times(answers)
    assert "2026-03-01T00:30:00+00:00" in found  # the purchase's moment, in UTC
    assert len(found) >= 6
    assert all(datetime.fromisoformat(t).tzinfo is not None for t in found), found
