"""An access request answers with everything held on the member, as JSON: every section the
store has about them, each with the member's own rows and nobody else's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.integration.privacy.conftest import (
    COMMENT,
    EMAIL,
    EXIT_COMMENT,
    EXTERNAL_ID,
    NOTE,
    REASON,
    Business,
)

from regulars.services.retention import apply_retention
from regulars.store.tables import outbox


def test_the_export_holds_every_section_with_the_members_rows(business: Business) -> None:
    answer = business.client.get(f"/v1/members/{EXTERNAL_ID}/export", headers=business.admin)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert json.loads(json.dumps(data)) == data  # plain JSON all the way down
    assert data["format"] == "regulars.member-export/1"
    assert data["member"]["email"] == EMAIL
    assert {h["channel"] for h in data["consent_history"]} == {"email", "sms"}
    purchases = [p["purchase_id"] for p in data["purchases"]]
    assert purchases[:3] == ["P1", "P2", "P4"]  # P4 was voided at the till: its refund too
    assert purchases[3].startswith("void:")
    assert len(purchases) == 4
    assert data["purchases"][0]["lines"][0] == {
        "line_no": 1,
        "product": "beans",
        "quantity": 1,
        "amount": 18000,
    }
    assert {a["program"] for a in data["loyalty_accounts"]} == {"instant", "stamps"}
    kinds = [t["kind"] for t in data["ledger"] if t["program"] == "instant"]
    assert sorted(kinds) == [  # bonus: a campaign's gift; reverse and void: the till's voids
        "adjust",
        "bonus",
        "earn",
        "earn",
        "earn",
        "redeem",
        "redeem",
        "reverse",
        "void",
    ]
    assert any(t["reason"] == REASON for t in data["ledger"])
    assert all(t["entries"] for t in data["ledger"] if t["points"])
    assert sum(lot["remaining"] for lot in data["lots"] if lot["program"] == "instant") == (
        1800 + 500 + 100 - 500 + 10
    )
    assert [v["name"] for v in data["vouchers"]] == ["Free coffee"]
    assert data["referrals"][0]["referrer"] == "FRIEND-1"
    assert [i["survey"] for i in data["survey_invitations"]] == ["kiosk"]
    assert COMMENT in [a["text"] for a in data["survey_answers"]]
    (case,) = data["feedback_cases"]
    assert case["score"] == 2
    assert [n["text"] for n in case["notes"]] == [NOTE]
    topics = {m["topic"] for m in data["messages"]}
    assert "survey.invitation" in topics
    assert all(m["created_at"].endswith("+00:00") for m in data["messages"])
    assert data["scores"][0]["clv"] == 50000
    assert data["analytics"][0]["purchase_days"] >= 1
    assert [(c["campaign"], c["arm"]) for c in data["campaigns"]] == [("everyone", "treated")]
    assert [t["title"] for t in data["staff_tasks"]] == ["Call the member"]
    assert "campaign.message" in topics
    (line,) = data["subscriptions"]
    assert (line["subscription_id"], line["plan"], line["device"]) == ("LINE-1", "5G", "Galaxy S24")
    assert line["started_on"] == "2025-01-10"
    assert [b["amount"] for b in line["bills"]] == [55000]
    assert [c["to_plan"] for c in line["plan_changes"]] == ["LTE"]
    assert [(e["reason"], e["comment"]) for e in line["exit_answers"]] == [("price", EXIT_COMMENT)]
    # Nothing of the friend's.
    assert "P3" not in {p["purchase_id"] for p in data["purchases"]}
    assert "P3" not in {t["purchase_id"] for t in data["ledger"]}
    assert "Friend" not in json.dumps(data)


def test_retention_clears_old_comments_notes_and_sent_payloads_only(business: Business) -> None:
    app = business.app
    with app.unit_of_work() as uow:
        uow.connection.execute(outbox.update().values(sent_at=datetime.now(UTC)))
        uow.commit()
    soon = datetime.now(UTC) + timedelta(days=3)
    with app.unit_of_work() as uow:
        report = apply_retention(uow, soon, free_text_days=7, delivery_days=7)
        assert report.removed == {
            "answer_texts": 0,
            "case_reasons": 0,
            "case_notes": 0,
            "exit_comments": 0,
            "sent_payloads": 0,
        }
        later = datetime.now(UTC) + timedelta(days=8)
        report = apply_retention(uow, later, free_text_days=7, delivery_days=7)
        assert report.removed["answer_texts"] == 1
        assert report.removed["case_notes"] == 1
        assert report.removed["exit_comments"] == 1
        assert report.removed["sent_payloads"] > 0
        assert report.kept == []
        again = apply_retention(uow, later, free_text_days=7, delivery_days=7)
        assert set(again.removed.values()) == {0}
        uow.commit()
    data = business.client.get(f"/v1/members/{EXTERNAL_ID}/export", headers=business.admin).json()
    assert COMMENT not in [a["text"] for a in data["survey_answers"]]
    assert {a["value"] for a in data["survey_answers"]} == {2.0, 1.0}  # the scores stay
    assert NOTE not in json.dumps(data, ensure_ascii=False)
    assert EXIT_COMMENT not in json.dumps(data, ensure_ascii=False)
    assert data["subscriptions"][0]["exit_answers"][0]["reason"] == "price"  # the reason stays
    assert all(m["payload"] == {"removed": "retention"} for m in data["messages"])
