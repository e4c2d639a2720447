"""Members' use cases on the in-memory unit of work: upsert, consent history and state,
export, erasure, paging; every time in an answer is ISO 8601 with its offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from tests.unit.services.fake_unit_of_work import FakeUnitOfWork

from regulars.services import members
from regulars.services.errors import Invalid, NotFound

TZ = "Asia/Seoul"
KST = timezone(timedelta(hours=9))


def enrolled(*records: dict[str, object]) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    report = members.upsert_members(uow, list(records), TZ)
    assert report.errors == []
    return uow


def test_a_member_is_added_once_and_updated_only_when_changed() -> None:
    uow = FakeUnitOfWork()
    first = members.upsert_members(uow, [{"member_id": "M1", "name": "Kim"}], TZ)
    same = members.upsert_members(uow, [{"member_id": "M1", "name": "Kim"}], TZ)
    changed = members.upsert_members(
        uow, [{"member_id": "M1", "name": "Kim", "segment": "vip"}], TZ
    )
    assert (first.added, same.already_present, changed.updated) == (1, 1, 1)
    member = members.get_member(uow, "M1")
    assert (member["segment"], member["locale"]) == ("vip", "ko")
    assert member["consent"] == {"email": False, "sms": False, "push": False}
    assert datetime.fromisoformat(member["created_at"]).utcoffset() == timedelta(0)
    assert member["updated_at"] >= member["created_at"]
    assert uow.committed is False


def test_bad_member_records_are_rejected_with_reasons_and_the_rest_kept() -> None:
    uow = FakeUnitOfWork()
    report = members.upsert_members(
        uow,
        [
            {"member_id": "M1", "email": "not-an-email"},
            {"member_id": "M2", "birth_date": "1985-13-01", "locale": "fr"},
            {"member_id": "M2b", "acquisition_cost": -5, "consent_sms": "maybe"},
            {"name": "Nobody"},
            {"member_id": "M3", "name": "Park"},
            {"member_id": "M3", "name": "Park again"},
        ],
        TZ,
    )
    assert {(e.row, e.field) for e in report.errors} == {
        (1, "email"),
        (2, "birth_date"),
        (2, "locale"),
        (3, "acquisition_cost"),
        (3, "consent_sms"),
        (4, "member_id"),
        (6, "member_id"),
    }
    assert report.added == 1
    assert members.get_member(uow, "M3")["name"] == "Park"


def test_consent_recorded_appends_history_and_sets_the_state() -> None:
    uow = enrolled({"member_id": "M1"})
    morning = datetime(2026, 3, 1, 9, 0, tzinfo=KST)
    members.record_consent(uow, "M1", "sms", True, "pos", morning)
    after = members.record_consent(uow, "M1", "email", True, "app", morning + timedelta(hours=1))
    assert after["consent"] == {"email": True, "sms": True, "push": False}
    later = members.record_consent(uow, "M1", "sms", False, "call centre", morning + timedelta(1))
    assert later["consent"] == {"email": True, "sms": False, "push": False}
    history = members.export_member(uow, "M1")["consent_history"]
    assert [(h["channel"], h["granted"], h["source"]) for h in history] == [
        ("sms", True, "pos"),
        ("email", True, "app"),
        ("sms", False, "call centre"),
    ]
    assert history[0]["at"] == "2026-03-01T00:00:00+00:00"  # kept in UTC, shown with offset


def test_the_latest_consent_by_time_is_the_one_in_force() -> None:
    uow = enrolled({"member_id": "M1"})
    now = datetime(2026, 3, 1, tzinfo=UTC)
    members.record_consent(uow, "M1", "push", True, "app", now)
    members.record_consent(uow, "M1", "push", False, "app", now - timedelta(days=1))
    assert members.get_member(uow, "M1")["consent"]["push"] is True
    history = members.export_member(uow, "M1")["consent_history"]
    assert [h["granted"] for h in history] == [False, True]


def test_importing_the_same_consent_again_adds_no_event() -> None:
    uow = enrolled({"member_id": "M1", "consent_sms": True})
    members.upsert_members(uow, [{"member_id": "M1", "consent_sms": True}], TZ)
    assert len(members.export_member(uow, "M1")["consent_history"]) == 1
    members.upsert_members(uow, [{"member_id": "M1", "consent_sms": False}], TZ)
    assert [h["granted"] for h in members.export_member(uow, "M1")["consent_history"]] == [
        True,
        False,
    ]


def test_an_unknown_channel_or_member_is_refused_and_nothing_recorded() -> None:
    uow = enrolled({"member_id": "M1"})
    with pytest.raises(Invalid, match="must be one of email, sms, push"):
        members.record_consent(uow, "M1", "fax", True, "app")
    with pytest.raises(NotFound, match="no member with id 'M9'"):
        members.record_consent(uow, "M9", "sms", True, "app")
    assert members.export_member(uow, "M1")["consent_history"] == []


def test_export_holds_purchases_and_erasure_keeps_only_the_books() -> None:
    uow = enrolled(
        {"member_id": "M1", "name": "김민준", "email": "kim@example.com", "consent_sms": True}
    )
    member_id = uow.members.ids_by_external_id(["M1"])["M1"]
    uow.members.add_purchase(
        member_id,
        {
            "purchase_id": "P1",
            "occurred_at": datetime(2026, 3, 1, 0, 30),  # naive: UTC, as SQLite hands it back
            "kind": "sale",
            "channel": "store",
            "total_amount": 13500,
            "lines": [{"line_no": 1, "quantity": 2, "amount": 13500}],
        },
    )
    exported = members.export_member(uow, "M1")
    assert exported["member"]["email"] == "kim@example.com"
    assert exported["purchases"][0]["occurred_at"] == "2026-03-01T00:30:00+00:00"
    assert exported["purchases"][0]["lines"][0]["amount"] == 13500
    pseudonym = members.erase_member(uow, "M1")
    assert pseudonym.startswith("erased-")
    with pytest.raises(NotFound):  # the id is gone with the person
        members.get_member(uow, "M1")
    after = members.get_member(uow, pseudonym)
    assert (after["name"], after["email"], after["erased"]) == (None, None, True)
    assert after["consent"] == {"email": False, "sms": False, "push": False}
    assert members.export_member(uow, pseudonym)["purchases"] == exported["purchases"]


def test_members_are_paged_by_external_id_cursor() -> None:
    uow = enrolled(*({"member_id": f"M{i}"} for i in range(5)))
    first = members.list_members(uow, None, 3)
    assert [m["member_id"] for m in first["members"]] == ["M0", "M1", "M2"]
    rest = members.list_members(uow, first["next"], 3)
    assert ([m["member_id"] for m in rest["members"]], rest["next"]) == (["M3", "M4"], None)
    with pytest.raises(NotFound):
        members.list_members(uow, "nobody", 3)
