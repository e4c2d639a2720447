"""A small coffee chain for the console's tests, written through the API and the services
the way a business would: two stores, a points program with tiers and a stamp card, members
with Korean names and phones, purchases, and detractor answers that open cases at each store;
staff users of every role, one store manager scoped to S01."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from regulars.api import create_api
from regulars.bootstrap import App
from regulars.services import api_keys
from regulars.services.audit import Actor
from regulars.services.staff import accounts

PASSWORD = "correct horse battery staple"
OWNER = "owner@coffee.example"
MANAGER_S01 = "manager.s01@coffee.example"
STAFF = "barista@coffee.example"
ANALYST = "analyst@coffee.example"
POINTS = {
    "code": "beans",
    "name": "Bean points",
    "kind": "points",
    "points": {"earn": {"points": 5, "per_amount": 100}, "redeem": {"max_share_percent": 50}},
    "tiers": {
        "measure": "spend",
        "window_months": 12,
        "levels": [
            {"code": "green", "name": "Green", "threshold": 0},
            {
                "code": "gold",
                "name": "Gold",
                "threshold": 50000,
                "discount_percent": "5",
                "privileges": ["priority_service"],
            },
        ],
    },
}
STAMPS = {
    "code": "coffee-card",
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {
        "every": 6,
        "count": "items",
        "category": "coffee",
        "reward": {"name": "Free coffee", "product": "americano", "valid_days": 60},
    },
}
MEMBERS = [
    {"member_id": "M-1001", "name": "김민준", "phone": "01012345678", "email": "minjun@example.com",
     "card_id": "9410 1000 0001", "locale": "ko", "consent_email": True, "consent_sms": True},
    {"member_id": "M-1002", "name": "이서연", "phone": "010-2222-3333", "locale": "ko",
     "consent_sms": True},
    {"member_id": "M-1003", "name": "박민준", "phone": "+82 10 4444 5555", "locale": "ko"},
    {"member_id": "M-1004", "name": "Jane Lee", "email": "jane@example.com", "locale": "en",
     "consent_email": True},
]  # fmt: skip


@dataclass
class Seeded:
    case_s01: int
    case_s02: int


def _sale(purchase_id: str, member: str, store: str, amount: int, hours_ago: int) -> Any:
    return {
        "purchase_id": purchase_id,
        "member_id": member,
        "occurred_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(),
        "store": store,
        "lines": [{"product": "latte", "category": "coffee", "quantity": 1, "amount": amount}],
    }


def seed(app: App) -> Seeded:
    with app.unit_of_work() as uow:
        token, _ = api_keys.create(uow, "seed", "admin")
        cli = Actor("cli", None, "seed")
        now = datetime.now(UTC)
        accounts.add_staff(uow, OWNER, "owner", PASSWORD, now, cli, name="오너", language="ko")
        accounts.add_staff(
            uow, MANAGER_S01, "manager", PASSWORD, now, cli, name="Mina (S01)", store="S01",
            language="en",
        )  # fmt: skip
        accounts.add_staff(uow, STAFF, "staff", PASSWORD, now, cli, name="바리스타")
        accounts.add_staff(uow, ANALYST, "analyst", PASSWORD, now, cli, language="en")
        uow.commit()
    admin = {"Authorization": f"Bearer {token}"}
    with TestClient(create_api(app)) as client:
        for program in (POINTS, STAMPS):
            assert client.post("/v1/programs", headers=admin, json=program).status_code == 200
        survey = {"name": "After your visit", "csat": ["touchpoint"]}
        assert client.put("/v1/surveys/visit", json=survey, headers=admin).status_code == 201
        for member in MEMBERS:
            answer = client.post("/v1/members", headers=admin, json=member)
            assert answer.status_code == 201, answer.text
        for body in (
            _sale("P-1", "M-1001", "S01", 5000, 30),
            _sale("P-2", "M-1001", "S01", 4500, 20),
            _sale("P-3", "M-1002", "S02", 6000, 10),
            _sale("P-4", "M-1004", "S01", 3000, 5),
        ):
            answer = client.post("/v1/purchases", headers=admin, json=body)
            assert answer.status_code == 201, answer.text
        cases = {}
        for response_id, member, store, score, why in (
            ("R-1", "M-1001", "S01", 2, "주문이 너무 늦게 나왔어요"),
            ("R-2", "M-1002", "S02", 4, "커피가 식었어요"),
        ):
            answered = client.post(
                "/v1/surveys/visit/responses",
                headers=admin,
                json={
                    "response_id": response_id,
                    "member_id": member,
                    "store": store,
                    "channel": "store",
                    "answers": [
                        {"question": "nps", "value": score},
                        {"question": "nps_why", "text": why},
                    ],
                },
            )
            assert answered.status_code == 201, answered.text
            cases[store] = int(answered.json()["case_id"])
    return Seeded(case_s01=cases["S01"], case_s02=cases["S02"])
