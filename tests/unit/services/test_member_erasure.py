"""Erasure and re-enrolment as use cases, on the in-memory unit of work: the id goes with
the person, comes back only by an explicit re-enrolment, and then as a new member."""

from __future__ import annotations

import pytest
from tests.unit.services.fake_unit_of_work import FakeUnitOfWork

from regulars.services import members
from regulars.services.errors import NotFound

TZ = "Asia/Seoul"


def test_an_erased_id_is_refused_until_re_enrolled_then_is_a_new_member() -> None:
    uow = FakeUnitOfWork()
    members.upsert_members(uow, [{"member_id": "M1", "name": "김민준", "consent_sms": True}], TZ)
    old_id = uow.members.ids_by_external_id(["M1"])["M1"]
    pseudonym = members.erase_member(uow, "M1")
    with pytest.raises(NotFound):
        members.get_member(uow, "M1")

    refused = members.upsert_members(uow, [{"member_id": "M1", "name": "김민준"}], TZ)
    assert [(e.row, e.field) for e in refused.errors] == [(1, "member_id")]
    assert "re_enrol" in refused.errors[0].reason
    assert refused.added == refused.updated == 0
    with pytest.raises(NotFound):
        members.get_member(uow, "M1")

    again = members.upsert_members(uow, [{"member_id": "M1", "name": "New", "re_enrol": True}], TZ)
    assert (again.errors, again.added) == ([], 1)
    assert uow.members.ids_by_external_id(["M1"])["M1"] != old_id
    assert members.get_member(uow, "M1")["consent"]["sms"] is False
    assert members.get_member(uow, pseudonym)["name"] is None
    updated = members.upsert_members(uow, [{"member_id": "M1", "name": "Newer"}], TZ)
    assert (updated.errors, updated.updated) == ([], 1)
    assert uow.committed is False


def test_a_bad_re_enrol_value_is_reported() -> None:
    uow = FakeUnitOfWork()
    report = members.upsert_members(uow, [{"member_id": "M1", "re_enrol": "maybe"}], TZ)
    assert [(e.row, e.field) for e in report.errors] == [(1, "re_enrol")]
