"""The console's member lookup on the real stores: a phone in any Korean format, an e-mail,
a card number, a member id, part of a name (Korean included); the name bigrams follow every
member write and erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.services import members as member_service
from regulars.services.member_search import search_members
from regulars.store.tables import member_name_grams

MEMBERS = [
    {"member_id": "M-1", "name": "김민준", "phone": "01012345678", "email": "Minjun@Example.com",
     "card_id": "9410 1000 0001"},
    {"member_id": "M-2", "name": "박민준", "phone": "+82 10 4444 5555"},
    {"member_id": "M-3", "name": "이서연", "phone": "010-2222-3333"},
    {"member_id": "M-4", "name": "Jane Lee", "email": "jane@example.com"},
    {"member_id": "01099998888", "name": "준민김"},  # a member id that looks like a phone
]  # fmt: skip


def _enrol(app: App, rows: list[dict[str, str]]) -> None:
    with app.unit_of_work() as uow:
        report = member_service.upsert_members(uow, rows, "Asia/Seoul")
        assert not report.errors, report.errors
        uow.commit()


def _found(app: App, text: str) -> list[str]:
    with app.unit_of_work() as uow:
        return [m["member_id"] for m in search_members(uow, text).members]


def test_phone_email_card_and_id_in_the_ways_people_type_them(app: App) -> None:
    _enrol(app, MEMBERS)
    for typed in ("010-1234-5678", "01012345678", "+82 10 1234 5678", "+82-10-1234-5678"):
        assert _found(app, typed) == ["M-1"], typed
    assert _found(app, "010 4444 5555") == ["M-2"]
    assert _found(app, "MINJUN@example.COM ") == ["M-1"]
    assert _found(app, "9410-1000-0001") == ["M-1"]
    assert _found(app, "M-3") == ["M-3"]
    assert _found(app, "01099998888") == ["01099998888"]  # no phone matches: the member id
    with app.unit_of_work() as uow:
        assert search_members(uow, "010-1234-5678").members[0]["matched"] == "phone"


def test_part_of_a_name_korean_included(app: App) -> None:
    _enrol(app, MEMBERS)
    assert _found(app, "민준") == ["M-1", "M-2"]
    assert _found(app, "김민준") == ["M-1"]  # 준민김 holds both bigrams but not the name
    assert _found(app, "ane l") == ["M-4"]
    assert _found(app, "서연") == ["M-3"]
    assert _found(app, "없는이름") == []
    with app.unit_of_work() as uow:
        short = search_members(uow, "민")
    assert short.members == []
    assert short.too_short


def test_the_name_index_follows_renames_and_erasure(app: App) -> None:
    _enrol(app, MEMBERS)
    _enrol(app, [{"member_id": "M-3", "name": "이하윤", "phone": "010-2222-3333"}])
    assert _found(app, "서연") == []
    assert _found(app, "하윤") == ["M-3"]
    with app.unit_of_work() as uow:
        member_service.erase_member(uow, "M-1", datetime.now(UTC))
        uow.commit()
    assert _found(app, "민준") == ["M-2"]
    assert _found(app, "010-1234-5678") == []
    with app.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(member_name_grams))
        assert count.scalar_one() == sum(
            len(g)
            for g in (
                {"박민", "민준"},
                {"이하", "하윤"},
                {"ja", "an", "ne", "el", "le", "ee"},
                {"준민", "민김"},
            )
        )
