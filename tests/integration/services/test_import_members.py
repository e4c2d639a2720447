"""Importing members: upsert by external id, consent as a history — on both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from regulars.bootstrap import App
from regulars.services.imports.files import import_file
from regulars.store.tables import member_consents, members

TZ = "Asia/Seoul"
HEADER = "member_id,name,email,birth_date,locale,segment,acquisition_cost,consent_sms,consent_at\n"


def write(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def test_first_import_adds_second_updates_only_what_changed(app: App, tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "M1,김민준,kim@example.com,1990-01-02,ko,individual,9000,yes,"
        "2026-01-01T10:00:00+09:00\nM2,Emma Hall,,,en,vip,,,\n",
    )
    report = import_file("members", first, app.run_committed, timezone=TZ)
    assert (report.added, report.updated, report.already_present) == (2, 0, 0)

    same = import_file("members", first, app.run_committed, timezone=TZ)
    assert (same.added, same.updated, same.already_present) == (0, 0, 2)

    changed = write(
        tmp_path,
        "M1,김민준,kim@example.com,1990-01-02,ko,business,9000,no,"
        "2026-02-01T10:00:00+09:00\nM2,Emma Hall,,,en,vip,,,\n",
        "m2.csv",
    )
    report = import_file("members", changed, app.run_committed, timezone=TZ)
    assert (report.added, report.updated, report.already_present) == (0, 1, 1)

    with app.engine.connect() as connection:
        row = connection.execute(select(members).where(members.c.external_id == "M1")).one()
        history = connection.execute(
            select(
                member_consents.c.channel, member_consents.c.granted, member_consents.c.source
            ).order_by(member_consents.c.at)
        ).all()
    assert row.segment == "business"
    assert row.name == "김민준"
    assert row.acquisition_cost == 9000
    # Consent is a history: the grant and the later withdrawal are both kept.
    assert [tuple(h) for h in history] == [("sms", True, "import"), ("sms", False, "import")]


def test_bad_member_rows_go_to_the_rejects_file_and_the_rest_is_kept(
    app: App, tmp_path: Path
) -> None:
    # Which rows are bad and why is tested on the use case in
    # tests/unit/services/test_member_consent.py; here, the file path around it.
    path = write(
        tmp_path,
        "M1,Kim,not-an-email,,ko,,,,\nM2,Lee,,1985-13-01,fr,,-5,maybe,\n"
        ",Nobody,,,,,,,\nM3,Park,,,,,,,\nM3,Park again,,,,,,,\n",
    )
    rejects = tmp_path / "rejects.csv"
    report = import_file("members", path, app.run_committed, timezone=TZ, rejects=rejects)
    assert {e.row for e in report.errors} == {1, 2, 3, 5}
    assert len(report.errors) == 7
    assert report.added == 1  # M3, first occurrence
    assert rejects.read_text(encoding="utf-8").count("\n") == 1 + len(report.errors)
    with app.engine.connect() as connection:
        kept = connection.execute(select(members.c.external_id, members.c.name)).all()
    assert [tuple(r) for r in kept] == [("M3", "Park")]
