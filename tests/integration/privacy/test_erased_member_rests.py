"""After erasure the member's account rests: nothing earns, nothing is spent, no voucher is
used, and enrolling or importing the old id again makes a new member with no link to the
erased history (the old id was freed: the store no longer knows it)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from tests.integration.privacy.conftest import (
    EMAIL,
    EXTERNAL_ID,
    NAME,
    PHONE,
    Business,
    sale,
)

from regulars.services.imports.files import import_file
from regulars.store.tables import ledger_entries, members


def erase(business: Business) -> tuple[int, str]:
    with business.app.unit_of_work() as uow:
        member_id = uow.members.ids_by_external_id([EXTERNAL_ID])[EXTERNAL_ID]
    assert (
        business.client.delete(f"/v1/members/{EXTERNAL_ID}", headers=business.admin).status_code
        == 204
    )
    with business.app.engine.connect() as connection:
        pseudonym = connection.execute(
            select(members.c.external_id).where(members.c.id == member_id)
        ).scalar_one()
    assert pseudonym.startswith("erased-")
    return member_id, pseudonym


def ledger_total(business: Business) -> int:
    with business.app.engine.connect() as connection:
        return int(connection.execute(select(func.sum(ledger_entries.c.points))).scalar_one())


def test_an_erased_member_neither_earns_nor_redeems(business: Business) -> None:
    client, pos, admin = business.client, business.pos, business.admin
    _, pseudonym = erase(business)
    total = ledger_total(business)
    # By the old id: there is no such member any more.
    gone = client.post(
        "/v1/loyalty/redeem",
        headers={**pos, "Idempotency-Key": "order-2"},
        json={"member_id": EXTERNAL_ID, "program": "instant", "points": 100},
    )
    assert gone.status_code == 404
    refused = client.post(
        "/v1/purchases", headers=pos, json=sale("P9", EXTERNAL_ID, "beans", "beans", 9000)
    )
    assert refused.status_code == 422
    # By the pseudonym (the only handle left): a clear refusal, nothing moves.
    redeem = client.post(
        "/v1/loyalty/redeem",
        headers={**pos, "Idempotency-Key": "order-3"},
        json={"member_id": pseudonym, "program": "instant", "points": 100},
    )
    assert redeem.status_code == 409, redeem.text
    assert redeem.json()["error"]["code"] == "member_erased"
    assert "erased" in redeem.json()["error"]["message"]
    adjust = client.post(
        "/v1/loyalty/adjustments",
        headers=admin,
        json={"member_id": pseudonym, "program": "instant", "points": 100, "reason": "test"},
    )
    assert adjust.status_code == 409
    voucher = client.post(
        f"/v1/loyalty/rewards/{business.voucher}/redeem",
        headers={**pos, "Idempotency-Key": "voucher-1"},
    )
    assert voucher.status_code == 409
    assert voucher.json()["error"]["code"] == "member_erased"
    recorded = client.post(
        "/v1/purchases", headers=pos, json=sale("P10", pseudonym, "beans", "beans", 9000)
    )
    assert recorded.status_code == 201  # the sale is the shop's record ...
    assert ledger_total(business) == total  # ... but it earns nothing
    assert client.get(f"/v1/members/{pseudonym}/loyalty", headers=pos).status_code == 200


def test_the_old_id_comes_back_only_by_an_explicit_new_enrolment(
    business: Business, tmp_path: Path
) -> None:
    client, pos, admin = business.client, business.pos, business.admin
    member_id, pseudonym = erase(business)
    enrolment = {"member_id": EXTERNAL_ID, "name": "New", "email": EMAIL}
    refused = client.post("/v1/members", headers=pos, json=enrolment)
    assert refused.status_code == 422, refused.text
    assert "erased on request" in refused.json()["error"]["message"]
    assert "re_enrol" in refused.json()["error"]["message"]
    assert client.get(f"/v1/members/{EXTERNAL_ID}", headers=pos).status_code == 404

    # Re-importing yesterday's members file restores nothing: the row is refused.
    (tmp_path / "members.csv").write_text(
        "member_id,name,email,phone,birth_date,consent_email,consent_sms\n"
        f"{EXTERNAL_ID},{NAME},{EMAIL},{PHONE},1991-04-17,yes,yes\n"
        "FRIEND-1,Friend,,,,yes,\n",
        encoding="utf-8",
    )
    report = import_file(
        "members",
        tmp_path / "members.csv",
        business.app.run_committed,  # type: ignore[arg-type]
        timezone="Asia/Seoul",
    )
    assert [(e.row, e.field, e.value) for e in report.errors] == [(1, "member_id", EXTERNAL_ID)]
    assert "re_enrol" in report.errors[0].reason
    assert client.get(f"/v1/members/{EXTERNAL_ID}", headers=pos).status_code == 404
    old = client.get(f"/v1/members/{pseudonym}", headers=admin).json()
    assert (old["name"], old["email"], old["phone"], old["birth_date"]) == (None,) * 4
    assert old["erased"] is True
    assert old["consent"] == {"email": False, "sms": False, "push": False}

    # An explicit new enrolment: a new member, with none of the erased history.
    again = client.post("/v1/members", headers=pos, json={**enrolment, "re_enrol": True})
    assert again.status_code == 201, again.text
    assert (again.json()["name"], again.json()["erased"]) == ("New", False)
    fresh = client.get(f"/v1/members/{EXTERNAL_ID}/export", headers=admin).json()
    assert fresh["purchases"] == fresh["ledger"] == fresh["survey_answers"] == []
    assert fresh["loyalty_accounts"] == fresh["consent_history"] == []
    assert client.get(f"/v1/members/{EXTERNAL_ID}/loyalty", headers=pos).json()["programs"] == []
    with business.app.unit_of_work() as uow:
        assert uow.members.ids_by_external_id([EXTERNAL_ID])[EXTERNAL_ID] != member_id
    # Once enrolled again, an update is an ordinary update.
    update = client.post("/v1/members", headers=pos, json={**enrolment, "name": "Newer"})
    assert update.status_code == 200, update.text
