"""The in-memory unit of work behaves like the store for what the use cases rely on.

The same checks run on ``FakeUnitOfWork`` and on the real unit of work over SQLite and
PostgreSQL: if the store changes what a repository promises, the fake fails here with it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import _empty_postgres
from tests.unit.services.fake_unit_of_work import FakeUnitOfWork

from regulars.bootstrap import build
from regulars.config import Settings
from regulars.services.unit_of_work import UnitOfWork

Begin = Callable[[], UnitOfWork]
KST = timezone(timedelta(hours=9))
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=KST)


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def begin(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Begin]:
    """Opens a unit of work on one shared state: the fake, or a fresh store."""
    if request.param == "fake":
        fake = FakeUnitOfWork()
        yield lambda: fake
        return
    if request.param == "sqlite":
        path = tmp_path / "regulars.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
    app = build(Settings(database_url=url), migrate_schema=False)
    yield app.unit_of_work
    app.engine.dispose()
    if request.param == "postgresql":
        _empty_postgres(url)


def member(external_id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": external_id,
        "name": None,
        "email": None,
        "phone": None,
        "birth_date": None,
        "locale": "ko",
        "segment": "individual",
        "region": None,
        "signup_date": None,
        "acquisition_channel": None,
        "acquisition_cost": None,
        "card_id": None,
    }
    return {**row, **fields}


def test_api_keys_are_found_by_prefix_revoked_once_and_listed(begin: Begin) -> None:
    with begin() as uow:
        first = uow.api_keys.add(
            name="till-3",
            prefix="aaaa1111",
            secret_hash=b"h" * 32,
            salt=b"s" * 16,
            scopes="pos",
            created_at=T0,
        )
        uow.commit()
    with begin() as uow:
        uow.api_keys.add(
            name="gone",
            prefix="bbbb2222",
            secret_hash=b"x",
            salt=b"y",
            scopes="pos",
            created_at=T0,
        )  # never committed
    with begin() as uow:
        stored = uow.api_keys.by_prefix("aaaa1111")
        assert stored is not None
        assert (stored.id, stored.name, stored.scopes) == (first, "till-3", "pos")
        assert (stored.secret_hash, stored.salt) == (b"h" * 32, b"s" * 16)
        assert stored.created_at == T0
        assert stored.created_at.utcoffset() == timedelta(0)
        assert uow.api_keys.by_prefix("bbbb2222") is None
        uow.api_keys.revoke(first, T0 + timedelta(hours=1))
        uow.api_keys.revoke(first, T0 + timedelta(hours=2))
        with pytest.raises(Exception):  # noqa: B017, PT011 - one prefix per key
            uow.api_keys.add(
                name="twin",
                prefix="aaaa1111",
                secret_hash=b"x",
                salt=b"y",
                scopes="pos",
                created_at=T0,
            )
    with begin() as uow:
        assert uow.api_keys.all()[0].revoked_at is None  # the revocation was rolled back
        uow.api_keys.revoke(first, T0 + timedelta(hours=1))
        uow.api_keys.revoke(first, T0 + timedelta(hours=2))
        uow.commit()
    with begin() as uow:
        (only,) = uow.api_keys.all()
        assert only.revoked_at == T0 + timedelta(hours=1)


def test_members_upsert_read_page_consent_and_erase(begin: Begin) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with begin() as uow:
        added = uow.members.upsert([member("M1", name="Kim"), member("M2")], now)
        assert added == (2, 0)
        later = now + timedelta(days=1)
        again = uow.members.upsert([member("M1", name="Kim"), member("M2", segment="vip")], later)
        assert again == (0, 1)
        ids = uow.members.ids_by_external_id(["M2", "M1", "M9"])
        assert set(ids) == {"M1", "M2"}
        one = uow.members.get("M1")
        two = uow.members.get("M2")
        assert one is not None
        assert two is not None
        assert one["id"] == ids["M1"]
        assert (one["name"], one["locale"], one["erased_at"]) == ("Kim", "ko", None)
        assert (one["created_at"], one["updated_at"]) == (now, now)
        assert (two["segment"], two["updated_at"]) == ("vip", later)
        assert uow.members.get("M9") is None
        assert [r["external_id"] for r in uow.members.page(0, 1)] == ["M1"]
        assert [r["external_id"] for r in uow.members.page(ids["M1"], 5)] == ["M2"]
        uow.members.add_consent_events(
            [
                {
                    "member_id": ids["M1"],
                    "channel": "sms",
                    "granted": True,
                    "at": T0,
                    "source": "pos",
                },
                {
                    "member_id": ids["M1"],
                    "channel": "sms",
                    "granted": False,
                    "at": T0 - timedelta(days=1),
                    "source": "app",
                },
                {
                    "member_id": ids["M2"],
                    "channel": "email",
                    "granted": False,
                    "at": T0,
                    "source": "app",
                },
            ]
        )
        state = uow.members.consent_state([ids["M1"], ids["M2"]])
        assert state == {(ids["M1"], "sms"): True, (ids["M2"], "email"): False}
        history = uow.members.consent_history(ids["M1"])
        assert [(h["granted"], h["source"]) for h in history] == [(False, "app"), (True, "pos")]
        assert history[1]["at"] == T0
        assert history[1]["at"].utcoffset() == timedelta(0)
        pseudonym = uow.members.erase(ids["M1"], later)
        assert pseudonym is not None
        assert pseudonym.startswith("erased-")
        assert uow.members.get("M1") is None  # the old id is not kept
        erased = uow.members.get(pseudonym)
        assert erased is not None
        assert erased["id"] == ids["M1"]
        assert uow.members.erased_ids(["M1", "M2", pseudonym]) == {"M1"}
        uow.members.erase(ids["M1"], later)  # again: the same pseudonym, still remembered
        assert uow.members.get(pseudonym) is not None
        uow.members.forget_erased(["M1"])
        assert uow.members.erased_ids(["M1"]) == set()
        assert (erased["name"], erased["erased_at"], erased["updated_at"]) == (None, later, later)
        assert erased["locale"] == "ko"
        assert uow.members.consent_history(ids["M1"]) == []
        assert uow.members.consent_state([ids["M1"]]) == {}
        assert uow.members.purchases_of(ids["M2"]) == []
        uow.commit()
    with begin() as uow:
        assert uow.members.consent_state([ids["M2"]]) == {(ids["M2"], "email"): False}


def test_members_are_found_by_phone_email_card_and_id_but_not_once_erased(begin: Begin) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with begin() as uow:
        uow.members.upsert(
            [
                member("M1", phone="010-1234-5678", email="Kim@Example.com", card_id="C1"),
                member("M2", phone="+82 10 1234 5678"),  # the same number, another way
                member("M3", phone="02-555-0100", email="other@example.com"),
            ],
            now,
        )
        found = [r["external_id"] for r in uow.members.find(phone="01012345678")]
        assert found == ["M1", "M2"]
        assert [r["external_id"] for r in uow.members.find(phone="01012345678", limit=1)] == ["M1"]
        assert [r["external_id"] for r in uow.members.find(email="kim@example.com")] == ["M1"]
        assert [r["external_id"] for r in uow.members.find(card="C1")] == ["M1"]
        assert [r["external_id"] for r in uow.members.find(external_id="M3")] == ["M3"]
        assert uow.members.find(phone="01012345678", email="other@example.com") == []
        assert uow.members.card_holders(["C1", "C9"]) == {"C1": "M1"}
        uow.members.upsert([member("M1", phone="010-9999-0000", card_id="C1")], now)
        assert [r["external_id"] for r in uow.members.find(phone="01012345678")] == ["M2"]
        ids = uow.members.ids_by_external_id(["M2"])
        uow.members.erase(ids["M2"], now)
        assert uow.members.find(phone="01012345678") == []
        uow.commit()


def test_an_answer_is_remembered_once_and_seen_by_others_when_committed(begin: Begin) -> None:
    fields: dict[str, Any] = {
        "method": "POST",
        "path": "/v1/purchases",
        "request_hash": "abc",
        "status_code": 201,
        "response_body": '{"ok": true}',
        "at": T0,
    }
    with begin() as uow:
        assert uow.idempotency.find("k", 1) is None
        assert uow.idempotency.remember("k", 1, **fields)
        assert not uow.idempotency.remember("k", 1, **{**fields, "request_hash": "other"})
        found = uow.idempotency.find("k", 1)
        assert found is not None
        assert (found.request_hash, found.status_code, found.response_body) == (
            "abc",
            201,
            '{"ok": true}',
        )
        assert uow.idempotency.find("k", 2) is None
        assert uow.idempotency.find_committed("k", 1) is None
        uow.commit()
        assert uow.idempotency.find_committed("k", 1) == found
    with begin() as uow:
        assert uow.idempotency.find("k", 1) == found
        uow.idempotency.remember("k2", 1, **fields)
    with begin() as uow:
        assert uow.idempotency.find("k2", 1) is None
