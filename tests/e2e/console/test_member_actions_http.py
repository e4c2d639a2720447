"""What staff do on a member's page, over HTTP on both databases: a voucher by hand (once per
form), a consent change on the member's request (source "console:<e-mail>"), the export and
the erasure after their confirmation step — each audited."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from regulars.api import create_api
from regulars.bootstrap import App
from regulars.services import audit
from regulars.services import members as member_service
from regulars.services.loyalty import accounts as loyalty
from tests.e2e.console.seed import MANAGER_S01, OWNER, STAFF, seed
from tests.e2e.console.test_console_http import CSRF, sign_in

ONCE = re.compile(r'name="once" value="([^"]+)"')


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    seed(app)
    with TestClient(create_api(app), follow_redirects=False) as test_client:
        yield test_client


def _actions(app: App) -> list[str]:
    with app.unit_of_work() as uow:
        return [e["action"] for e in audit.entries(uow)]


def test_a_voucher_by_hand_is_issued_once_per_form(app: App, client: TestClient) -> None:
    csrf = sign_in(client, STAFF)
    page = client.get("/console/members/M-1002")
    once = ONCE.search(page.text)
    assert once is not None
    form = {"csrf": csrf, "once": once[1], "program": "coffee-card", "name": "", "valid_days": "30"}
    for _ in range(2):
        assert client.post("/console/members/M-1002/voucher", data=form).status_code == 303
    with app.unit_of_work() as uow:
        vouchers = loyalty.rewards(uow, "M-1002", "coffee-card")
    assert [(v["name"], v["state"]) for v in vouchers] == [("Free coffee", "issued")]
    assert _actions(app).count("voucher.issue") == 1
    shown = client.get("/console/members/M-1002?done=voucher_issued")
    assert vouchers[0]["code"] in shown.text
    assert "쿠폰을 발급했습니다" in shown.text


def test_a_consent_change_on_the_members_request(app: App, client: TestClient) -> None:
    csrf = sign_in(client, STAFF)
    answer = client.post(
        "/console/members/M-1001/consent",
        data={"csrf": csrf, "channel": "sms", "granted": "no", "note": "asked at the till"},
    )
    assert answer.status_code == 303
    with app.unit_of_work() as uow:
        member = member_service.get_member(uow, "M-1001")
        history = member_service.export_member(uow, "M-1001")["consent_history"]
        [entry] = [e for e in audit.entries(uow) if e["action"] == "consent.change"]
    assert member["consent"]["sms"] is False
    assert history[-1]["source"] == f"console:{STAFF}"
    assert entry["before"] == {"sms": True}
    assert entry["after"]["sms"] is False
    assert entry["after"]["note"] == "asked at the till"


def test_export_and_erase_need_a_manager_and_a_confirmation(app: App, client: TestClient) -> None:
    csrf = sign_in(client, MANAGER_S01)
    confirm = client.get("/console/members/M-1004/export")
    assert confirm.status_code == 200
    assert "Download the export" in confirm.text
    exported = client.post("/console/members/M-1004/export", data={"csrf": csrf})
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="member-M-1004.json"'
    assert json.loads(exported.text)["member"]["name"] == "Jane Lee"

    refused = client.post("/console/members/M-1004/erase", data={"csrf": csrf, "confirm_id": "x"})
    assert refused.status_code == 422  # the id was not typed: nothing erased
    with app.unit_of_work() as uow:
        assert member_service.get_member(uow, "M-1004")["name"] == "Jane Lee"
    erased = client.post(
        "/console/members/M-1004/erase", data={"csrf": csrf, "confirm_id": "M-1004"}
    )
    assert erased.status_code == 303
    assert erased.headers["location"] == "/console/members?done=erased"
    assert client.get("/console/members/M-1004").status_code == 404
    assert "No member matches." in client.get("/console/members?q=Jane").text
    assert {"member.export", "member.erase"} <= set(_actions(app))


def test_the_owner_reads_the_audit_log(app: App, client: TestClient) -> None:
    csrf = sign_in(client, OWNER)
    client.post("/console/programs/beans/pause", data={"csrf": csrf})
    page = client.get("/console/audit")
    assert page.status_code == 200
    assert "프로그램 일시 중지" in page.text
    assert OWNER in page.text
    assert CSRF.search(page.text) is not None
