"""A member with distinctive personal data in every corner of the store, written through the
API the way a business would write it: enrolment (with an Idempotency-Key), consents,
purchases that earn points and a stamp voucher, a manual adjustment whose reason names them,
a redemption, a sale and a redemption voided at the till for a reason that names them, a
referral, a kiosk answer with a comment, the case it opened with a staff
note, a survey invitation and its message, and a score."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.api import create_api
from regulars.bootstrap import App
from regulars.domain.engagement.campaigns import State
from regulars.services import api_keys, audit, member_analytics
from regulars.services.audit import Actor
from regulars.services.engagement import campaign_runs, campaigns
from regulars.store import scores as score_store

EXTERNAL_ID = "CARD-8143-7558"
NAME = "윤지호"
EMAIL = "jiho.yoon.4417@example.com"
PHONE = "010-8143-7558"
PHONE_KEY = "01081437558"  # how the phone is stored to be looked up by
CARD = "9410-4417-2290"
CARD_KEY = "941044172290"  # how the card number is stored
BIRTH = "1991-04-17"
REGION = "망원동 4417번지"
COMMENT = "커피가 식어서 나왔어요 — marker-comment-4417"
NOTE = f"called {NAME} on {PHONE}"
REASON = f"goodwill for {NAME}, marker-reason-4417"
EXIT_COMMENT = "요금이 너무 올랐어요 — marker-exit-4417"
MARKERS = (
    EXTERNAL_ID,
    NAME,
    EMAIL,
    PHONE,
    PHONE_KEY,
    CARD_KEY,
    BIRTH,
    REGION,
    "marker-comment-4417",
    "marker-reason-4417",
    "marker-exit-4417",
)

POINTS = {
    "code": "instant",
    "kind": "points",
    "points": {"earn": {"points": 10, "per_amount": 100}, "redeem": {"max_share_percent": 50}},
}
STAMPS = {
    "code": "stamps",
    "kind": "stamps",
    "stamps": {
        "every": 1,
        "count": "items",
        "category": "coffee",
        "reward": {"name": "Free coffee", "product": "americano", "valid_days": 60},
    },
}
TEMPLATE = {"subject": "Hello {{ name }}", "text": "Hello {{ name }}", "sms": "Hello"}
CAMPAIGN = {
    "code": "everyone",
    "trigger": {"daily": {}},
    "holdout_percent": 0,
    "program": "instant",
    "steps": [
        {"gift": {"points": 10}},
        {"task": {"kind": "personal call", "title": "Call the member"}},
        {"message": {"templates": {"ko": TEMPLATE, "en": TEMPLATE}}},
    ],
}
SURVEY = {"name": "Kiosk NPS", "csat": ["touchpoint"], "drivers": True}


def make_key(app: App, scopes: str) -> dict[str, str]:
    with app.unit_of_work() as uow:
        token, _ = api_keys.create(uow, f"test-{scopes}", scopes)
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Business:
    app: App
    client: TestClient
    pos: dict[str, str]
    admin: dict[str, str]
    voucher: str


def sale(purchase_id: str, member: str, product: str, category: str, amount: int) -> Any:
    return {
        "purchase_id": purchase_id,
        "member_id": member,
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "store": "S01",
        "lines": [{"product": product, "category": category, "quantity": 1, "amount": amount}],
    }


@pytest.fixture
def business(app: App) -> Iterator[Business]:
    with TestClient(create_api(app)) as client:
        pos, admin = make_key(app, "pos"), make_key(app, "admin")
        for program in (POINTS, STAMPS):
            assert client.post("/v1/programs", headers=admin, json=program).status_code == 200
        assert client.put("/v1/surveys/kiosk", json=SURVEY, headers=admin).status_code == 201
        member = {
            "member_id": EXTERNAL_ID,
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "card_id": CARD,
            "birth_date": BIRTH,
            "region": REGION,
            "locale": "ko",
            "consent_email": True,
            "consent_sms": True,
        }
        enrolled = client.post(
            "/v1/members", headers={**pos, "Idempotency-Key": "enrol-1"}, json=member
        )
        assert enrolled.status_code == 201, enrolled.text
        other = {"member_id": "FRIEND-1", "name": "Friend", "consent_email": True}
        assert client.post("/v1/members", headers=pos, json=other).status_code == 201
        for body in (
            sale("P1", EXTERNAL_ID, "beans", "beans", 18000),
            sale("P2", EXTERNAL_ID, "latte", "coffee", 5000),
            sale("P3", "FRIEND-1", "latte", "coffee", 5000),
        ):
            keyed = {**pos, "Idempotency-Key": f"sale-{body['purchase_id']}"}
            answer = client.post("/v1/purchases", headers=keyed, json=body)
            assert answer.status_code == 201, answer.text
        adjusted = client.post(
            "/v1/loyalty/adjustments",
            headers=admin,
            json={"member_id": EXTERNAL_ID, "program": "instant", "points": 100, "reason": REASON},
        )
        assert adjusted.status_code == 201, adjusted.text
        redeemed = client.post(
            "/v1/loyalty/redeem",
            headers={**pos, "Idempotency-Key": "order-1"},
            json={"member_id": EXTERNAL_ID, "program": "instant", "points": 500},
        )
        assert redeemed.status_code == 201, redeemed.text
        # The till's cancel key, with a reason that names the member: a sale and a redemption.
        voided_sale = sale("P4", EXTERNAL_ID, "beans", "beans", 2000)
        assert client.post("/v1/purchases", headers=pos, json=voided_sale).status_code == 201
        void = client.post("/v1/purchases/P4/void", headers=pos, json={"reason": REASON})
        assert void.status_code == 201, void.text
        again = client.post(
            "/v1/loyalty/redeem",
            headers={**pos, "Idempotency-Key": "order-voided-1"},
            json={"member_id": EXTERNAL_ID, "program": "instant", "points": 500},
        )
        assert again.status_code == 201, again.text
        void = client.post(
            f"/v1/loyalty/redemptions/{again.json()['transaction_id']}/void",
            headers=pos,
            json={"reason": REASON},
        )
        assert void.status_code == 201, void.text
        referral = {"referrer": "FRIEND-1", "referee": EXTERNAL_ID}
        assert client.post("/v1/loyalty/referrals", headers=pos, json=referral).status_code == 200
        response = {
            "response_id": "kiosk-1",
            "member_id": EXTERNAL_ID,
            "store": "S01",
            "channel": "store",
            "answers": [
                {"question": "nps", "value": 2},
                {"question": "nps_why", "text": COMMENT},
                {"question": "csat", "target": "touchpoint", "value": 1},
            ],
        }
        answered = client.post("/v1/surveys/kiosk/responses", json=response, headers=pos)
        assert answered.status_code == 201, answered.text
        case_id = answered.json()["case_id"]
        noted = client.patch(
            f"/v1/cases/{case_id}",
            json={"status": "in_progress", "owner": "Store manager", "note": NOTE},
            headers=pos,
        )
        assert noted.status_code == 200, noted.text
        invited = client.post(
            "/v1/surveys/kiosk/invitations",
            json={"mode": "wave", "wave": "2026-Q4", "cooldown_days": 0},
            headers=admin,
        )
        assert invited.status_code == 200, invited.text
        assert invited.json()["invited"] == 2, invited.json()
        vouchers = client.get(f"/v1/members/{EXTERNAL_ID}/loyalty/stamps/rewards", headers=pos)
        (voucher,) = vouchers.json()
        with app.unit_of_work() as uow:
            ids = uow.members.ids_by_external_id([EXTERNAL_ID, "FRIEND-1"])
            now = datetime.now(UTC)
            score_store.replace_all(
                uow.connection,
                [
                    (ids[EXTERNAL_ID], now, "bgnbd", 2, 1, 30, 0.9, 1.5, 365, 50000, 5000, None),
                    (ids["FRIEND-1"], now, "bgnbd", 1, 1, 30, 0.8, 1.0, 365, 20000, 4000, None),
                ],
            )
            actor = Actor("staff", None, "manager@coffee.example")
            for action, before, after in (
                ("points.adjust", {"balance": 100}, {"balance": 200, "reason": REASON}),
                ("consent.change", {"sms": True}, {"sms": False, "note": f"{NAME} called"}),
            ):
                audit.record(
                    uow, actor, action, "member", EXTERNAL_ID, now,
                    member_id=ids[EXTERNAL_ID], before=before, after=after,
                )  # fmt: skip
            uow.commit()
        # Campaigns (issue 14): analytics written back, an assignment, a message, a gift
        # and a staff task about the member.
        with app.unit_of_work() as uow:
            member_analytics.compute_member_analytics(uow, datetime.now(UTC), timezone="UTC")
            campaigns.install(uow, CAMPAIGN)
            campaigns.move(uow, "everyone", State.RUNNING)
            campaign_runs.run_campaigns(uow, datetime.now(UTC), timezone="UTC")
            uow.commit()
        _subscription(client, pos)
        yield Business(app, client, pos, admin, voucher["code"])


def _subscription(client: TestClient, pos: dict[str, str]) -> None:
    """A phone line, cancelled, with a bill and a downgrade, and why the member left."""
    today = datetime.now(UTC).date().isoformat()
    writes = [
        (
            "/v1/subscriptions/plans",
            {"plans": [{"code": "5G", "name": "5G", "monthly_fee": 55000}]},
        ),
        (
            "/v1/subscriptions",
            {
                "subscription_id": "LINE-1",
                "member_id": EXTERNAL_ID,
                "plan": "5G",
                "monthly_fee": 55000,
                "started_on": "2025-01-10",
                "cancelled_on": today,
                "cancel_reason": "competitor",
                "competitor": "KT",
                "device": "Galaxy S24",
            },
        ),
        (
            "/v1/subscriptions/bills",
            {"bills": [{"subscription_id": "LINE-1", "month": "2025-01", "amount": 55000}]},
        ),
        (
            "/v1/subscriptions/plan-changes",
            {
                "changes": [
                    {
                        "subscription_id": "LINE-1",
                        "changed_on": "2025-06-01",
                        "from_plan": "5G",
                        "to_plan": "LTE",
                        "fee_before": 55000,
                        "fee_after": 33000,
                    }
                ]
            },
        ),
        (
            "/v1/subscriptions/LINE-1/exit",
            {"reason": "price", "competitor": "KT", "comment": EXIT_COMMENT},
        ),
    ]
    for path, body in writes:
        answer = client.post(path, headers=pos, json=body)
        assert answer.status_code in (200, 201), (path, answer.text)
        assert answer.json().get("rejected", 0) == 0, answer.text
