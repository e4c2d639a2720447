"""Importing survey answers: bad rows are reported per row and field, good responses land
whole, re-imports add nothing, and every detractor opens a case."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from regulars.bootstrap import App
from regulars.services.feedback import cases
from regulars.services.imports.answers import import_answers_file
from regulars.store import outbox
from regulars.store.feedback import answers as feedback
from regulars.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # the business fixture's "now"

HEADER = "response_id,survey,member_id,question,driver,value,text,language,store,department,"
ANSWERS = (
    HEADER
    + """employee,collected_at
R1,phone-nps,M1,nps,,3,,ko,S01,support,,2026-10-18T10:00:00+09:00
R1,phone-nps,M1,nps_why,,,직원 응대가 너무 느렸어요,ko,S01,support,,2026-10-18T10:00:00+09:00
R1,phone-nps,M1,driver_rating,service,1,,ko,S01,support,,2026-10-18T10:00:00+09:00
R2,phone-nps,M2,nps,,10,,en,S01,,,2026-10-18T11:00:00+09:00
R2,phone-nps,M2,nps_why,,,Great coffee,en,S01,,,2026-10-18T11:00:00+09:00
R3,phone-nps,M4,nps,,11,,ko,S01,,,2026-10-18T12:00:00+09:00
R3,phone-nps,M4,nps_why,,,좋아요,ko,S01,,,2026-10-18T12:00:00+09:00
R4,phone-nps,M9,nps,,5,,en,S02,,,2026-10-18T12:00:00+09:00
R5,nope,M2,nps,,5,,en,S02,,,2026-10-18T12:00:00+09:00
R6,phone-nps,,driver_rating,,4,,en,S02,,,2026-10-18T12:00:00+09:00
R7,phone-nps,,nps,,8,,en,S02,,,not a time
R8,phone-nps,,nps,,7,,en,S02,,,2026-10-18T13:00:00+09:00
R8,phone-nps,,csat,,4,,en,,,E01,2026-10-18T13:00:00+09:00
"""
)


def test_an_import_with_bad_rows_keeps_the_good_responses(business: App, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    report = import_answers_file(
        path, business.run_committed, timezone="Asia/Seoul", rejects=rejects, now=NOW
    )
    reasons = {(e.row, e.field): e.reason for e in report.errors}
    assert reasons[(6, "value")] == "must be a whole number from 0 to 10"
    assert reasons[(7, "response_id")].startswith("not imported: row 6")
    assert reasons[(8, "member_id")].startswith("no member with this id")
    assert reasons[(9, "survey")] == "no survey with this code"
    assert reasons[(10, "driver")] == "is required here"
    assert reasons[(11, "collected_at")].startswith("is not a date and time")
    assert report.added == 7  # R1 (3 rows), R2 (2), R8 (2)
    assert report.rejected_rows == 6
    written = pd.read_csv(rejects)
    assert set(written["_row"]) == {6, 7, 8, 9, 10, 11}
    assert {"_field", "_value", "_reason"} <= set(written.columns)

    with business.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
    assert sorted(set(frame["response_id"])) == ["R1", "R2", "R8"]
    r1 = frame[frame["response_id"] == "R1"].set_index("question")
    assert r1.loc["nps", "collected_at"] == pd.Timestamp("2026-10-18 01:00", tz="UTC")
    assert r1.loc["nps", "department"] == "support"
    assert r1.loc["driver_rating", "driver"] == "service"
    assert set(frame["source"]) == {"import"}
    csat = frame[frame["question"] == "csat"].iloc[0]
    assert (csat["employee"], csat["store"]) == ("E01", None)


def test_reimporting_adds_nothing_and_opens_no_second_case(business: App, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    import_answers_file(path, business.run_committed, timezone="Asia/Seoul", now=NOW)
    again = import_answers_file(path, business.run_committed, timezone="Asia/Seoul", now=NOW)
    assert again.added == 0
    assert again.already_present == 7
    with business.unit_of_work() as uow:
        assert len(feedback.answers_frame(uow.connection)) == 7
        assert len(cases.list_cases(uow)) == 1


def test_a_detractor_opens_a_case_for_the_responsible_store_and_department(
    business: App, tmp_path: Path
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    import_answers_file(path, business.run_committed, timezone="Asia/Seoul", now=NOW)
    with business.unit_of_work() as uow:
        [case] = cases.list_cases(uow)
        events = outbox.topics(uow.connection)
    assert case["response_id"] == "R1"
    assert case["score"] == 3
    assert case["reason"] == "직원 응대가 너무 느렸어요"
    assert (case["store"], case["department"], case["member_id"]) == ("S01", "support", "M1")
    assert case["status"] == "open"
    assert case["due_at"] - case["opened_at"] == pd.Timedelta(hours=48)
    referral = next(e for e in events if e["topic"] == "feedback.referral_invite")
    assert json.loads(referral["payload"])["referral"] == {"referrer": "M2"}
    topics = sorted((e["topic"], e["channel"]) for e in events)
    # R2 is a promoter with SMS consent: invited to refer a friend. R8 is an anonymous
    # passive: nobody to ask. R1 is the detractor: a case, announced to the staff.
    assert topics == [("feedback.case_opened", None), ("feedback.referral_invite", "sms")]


def test_cases_are_updated_with_status_owner_and_notes(business: App, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    import_answers_file(path, business.run_committed, timezone="Asia/Seoul", now=NOW)
    with business.unit_of_work() as uow:
        [case] = cases.list_cases(uow, status=["open"])
        updated = cases.update_case(
            uow, case["id"], NOW, status="in_progress", owner="S01 manager", note="called back"
        )
        uow.commit()
    assert updated["status"] == "in_progress"
    assert updated["owner"] == "S01 manager"
    assert [n["text"] for n in updated["notes"]] == ["called back"]
    with business.unit_of_work() as uow:
        resolved = cases.update_case(uow, case["id"], NOW, status="resolved")
        uow.commit()
        assert resolved["closed_at"] is not None
        assert cases.list_cases(uow, status=["open", "in_progress"]) == []


def test_an_import_killed_half_way_keeps_whole_responses_and_a_rerun_finishes_it(
    business: App, tmp_path: Path
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    batches = 0

    def killed_in_the_second_batch(work: Callable[[UnitOfWork], object]) -> object:
        nonlocal batches
        batches += 1
        with business.unit_of_work() as uow:
            done = work(uow)
            if batches == 2:
                raise RuntimeError("killed before the commit")
            uow.commit()
        return done

    with pytest.raises(RuntimeError, match="killed"):
        import_answers_file(
            path, killed_in_the_second_batch, timezone="Asia/Seoul", batch_rows=2, now=NOW
        )
    with business.unit_of_work() as uow:
        kept = feedback.answers_frame(uow.connection)
    # batches of whole responses, in response order: R1 (3 rows), then R2, then R8
    assert sorted(kept["response_id"]) == ["R1", "R1", "R1"]
    again = import_answers_file(
        path, business.run_committed, timezone="Asia/Seoul", batch_rows=2, now=NOW
    )
    assert (again.added, again.already_present) == (4, 3)
    with business.unit_of_work() as uow:
        assert len(cases.list_cases(uow)) == 1


def test_overdue_cases_are_found_whatever_the_offset_of_the_time_asked(
    business: App, tmp_path: Path
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    import_answers_file(path, business.run_committed, timezone="Asia/Seoul", now=NOW)
    seoul = timezone(timedelta(hours=9))
    with business.unit_of_work() as uow:
        # the case is due 48 hours after NOW; in Seoul's wall clock that moment reads 9 later
        assert cases.list_cases(uow, overdue_at=(NOW + timedelta(hours=47)).astimezone(seoul)) == []
        [late] = cases.list_cases(uow, overdue_at=(NOW + timedelta(hours=49)).astimezone(seoul))
    assert late["response_id"] == "R1"
