"""A small coffee chain for the console's tests, written through the API and the services
the way a business would: two stores, a points program with tiers and a stamp card, members
with Korean names and phones, purchases, and detractor answers that open cases at each store;
staff users of every role, one store manager scoped to S01; promoters' answers beside the
detractors' (one detractor's case is overdue); and two campaigns — ``visit-call`` running
(everyone, half held out, a staff call for the treated at their home store) and run once,
``winback`` still a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import update

from regulars.api import create_api
from regulars.bootstrap import App
from regulars.domain.engagement.campaigns import State
from regulars.services import api_keys
from regulars.services.audit import Actor
from regulars.services.engagement import campaign_runs, campaigns
from regulars.services.imports.catalogue import import_catalogue
from regulars.services.member_analytics import compute_member_analytics
from regulars.services.staff import accounts
from regulars.store.tables import feedback_cases

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


CAMPAIGN = {
    "code": "visit-call",
    "name": "Thank-you call",
    "trigger": {"daily": {}},
    "audience": {},
    "steps": [{"task": {"kind": "call", "title": "Thank-you call", "due_days": 2}}],
    "holdout_percent": 50,
    "seed": 7,
    "program": "beans",
}
DRAFT = {
    "code": "winback",
    "name": "Win-back gift",
    "trigger": {"daily": {}},
    "audience": {"field": "segment", "eq": "individual"},
    "steps": [{"gift": {"points": 300}}],
    "holdout_percent": 10,
    "program": "beans",
}
SCORES = {"R-1": 2, "R-2": 4, "R-3": 3, "R-4": 9, "R-5": 10, "R-6": 10, "R-7": 9}
"""Every NPS answer of the seed (three detractors, four promoters)."""
STORES = {"S01": "강남점", "S02": "Hongdae"}


@dataclass
class Seeded:
    case_s01: int
    case_s02: int
    case_overdue: int


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
        frame = pd.DataFrame({"code": list(STORES), "name": list(STORES.values())})
        assert not import_catalogue(uow, "stores", frame).errors
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
            ("R-1", "M-1001", "S01", SCORES["R-1"], "주문이 너무 늦게 나왔어요"),
            ("R-2", "M-1002", "S02", SCORES["R-2"], "커피가 식었어요"),
            ("R-3", "M-1004", "S01", SCORES["R-3"], "자리가 없었어요"),
            ("R-4", "M-1003", "S01", SCORES["R-4"], "친절해요"),
            ("R-5", "M-1002", "S02", SCORES["R-5"], "맛있어요"),
            ("R-6", "M-1001", "S01", SCORES["R-6"], "좋아요"),
            ("R-7", "M-1004", "S02", SCORES["R-7"], "괜찮아요"),
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
            if answered.json().get("case_id"):
                cases[response_id] = int(answered.json()["case_id"])
    overdue = cases["R-3"]
    with app.unit_of_work() as uow:  # the case of R-3 was due two days ago
        uow.connection.execute(
            update(feedback_cases)
            .where(feedback_cases.c.id == overdue)
            .values(due_at=datetime.now(UTC) - timedelta(days=2))
        )
        uow.commit()
    _campaigns(app)
    return Seeded(case_s01=cases["R-1"], case_s02=cases["R-2"], case_overdue=overdue)


def _campaigns(app: App) -> None:
    """The members' home stores (the analytics write-back), the two campaigns, one run."""
    now = datetime.now(UTC)
    zone = app.settings.timezone
    with app.unit_of_work() as uow:
        compute_member_analytics(uow, now, timezone=zone)
        campaigns.install(uow, CAMPAIGN, now)
        campaigns.install(uow, DRAFT, now)
        campaigns.move(uow, CAMPAIGN["code"], State.RUNNING, now)
        campaign_runs.run_campaigns(uow, now, timezone=zone)
        uow.commit()
