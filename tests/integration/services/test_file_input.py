"""Files as users bring them — from Excel in Korea, with semicolons or tabs, with a huge cell,
with placeholder dates — imported on SQLite and PostgreSQL: the good rows are kept, each bad
one is reported with its row, field, value and reason, and a file that cannot be read says
where and what to pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.domain.bounds import DATE_RANGE
from regulars.services.imports.files import import_file, read_source
from regulars.services.imports.tabular import UnreadableFile
from regulars.store.tables import members, purchases

TZ = "Asia/Seoul"
MEMBERS = "member_id,name,email\nM1,김민준,kim@example.com\nM2,윤지호,yoon@example.com\n"


def _names(app: App) -> list[tuple[str, str | None]]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            select(members.c.external_id, members.c.name).order_by(members.c.external_id)
        ).all()
    return [(r.external_id, r.name) for r in rows]


IMPORTED = [("M1", "김민준"), ("M2", "윤지호")]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("excel-korea.csv", MEMBERS.encode("cp949")),  # what Korean Excel saves as "CSV"
        ("euc-kr.csv", MEMBERS.encode("euc-kr")),
        ("bom.csv", MEMBERS.encode("utf-8-sig")),  # Excel's "CSV UTF-8"
        ("semicolons.csv", MEMBERS.replace(",", ";").encode()),
        ("tabs.csv", MEMBERS.replace(",", "\t").encode()),
        ("unicode-text.csv", MEMBERS.replace(",", "\t").encode("utf-16")),
    ],
)
def test_a_file_in_the_encoding_and_delimiter_it_came_in_is_imported(
    app: App, tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = import_file("members", path, app.run_committed, timezone=TZ)
    assert (report.added, report.errors) == (2, [])
    assert _names(app) == IMPORTED


def test_a_short_korean_file_is_read_as_cp949_not_as_chinese(app: App, tmp_path: Path) -> None:
    # Three Hangul syllables fit Big5-HKSCS as well as CP949; Korean Excel means CP949.
    path = tmp_path / "one.csv"
    path.write_bytes("member_id,name\nM1,윤지호\n".encode("cp949"))
    import_file("members", path, app.run_committed, timezone=TZ)
    assert _names(app) == [("M1", "윤지호")]


def test_a_korean_line_after_a_long_ascii_start_is_still_detected(app: App, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    text = "member_id,name\n" + "".join(f"A{i},Kim\n" for i in range(8000)) + "M1,윤지호\n"
    path.write_bytes(text.encode("cp949"))
    report = import_file("members", path, app.run_committed, timezone=TZ)
    assert report.added == 8001
    assert ("M1", "윤지호") in _names(app)


def test_the_options_override_detection_and_a_wrong_one_says_where_and_what_to_pass(
    tmp_path: Path,
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(MEMBERS.encode("cp949"))
    assert read_source("members", path, encoding="cp949")["name"].tolist() == ["김민준", "윤지호"]
    with pytest.raises(UnreadableFile) as wrong:
        read_source("members", path, encoding="utf-8")
    message = str(wrong.value)
    assert "line 2, column 'name'" in message  # the header is line 1
    assert "cannot be read as utf-8" in message
    assert "--encoding cp949" in message

    semicolons = tmp_path / "semi.csv"
    semicolons.write_text(MEMBERS.replace(",", ";"), encoding="utf-8")
    assert len(read_source("members", semicolons, delimiter=";")) == 2
    with pytest.raises(UnreadableFile) as forced:
        read_source("members", semicolons, delimiter=",")
    assert "the file has member_id;name;email" in str(forced.value)
    assert "--delimiter" in str(forced.value)
    with pytest.raises(UnreadableFile, match="unknown encoding 'klingon'"):
        read_source("members", path, encoding="klingon")


def test_a_row_with_too_many_fields_is_named_by_its_row(tmp_path: Path) -> None:
    path = tmp_path / "fields.csv"
    path.write_text("member_id,name\nM1,Kim\nM2,Lee,extra\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"row 3 \(the header is row 1\)"):
        read_source("members", path)


def test_a_50_mb_line_is_rejected_alone_and_the_row_beside_it_kept(
    app: App, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"member_id,name\nM1,")
        handle.write(b"x" * (50 << 20))
        handle.write("\nM2,윤지호\n".encode())
    report = import_file("members", path, app.run_committed, timezone=TZ)
    assert report.added == 1
    assert [(e.row, e.field, e.reason) for e in report.errors] == [
        (1, "name", "is longer than 200 characters")
    ]
    assert _names(app) == [("M2", "윤지호")]


def test_dates_in_year_1_and_9999_are_rejected_with_the_accepted_range(
    app: App, tmp_path: Path
) -> None:
    people = tmp_path / "m.csv"
    people.write_text(
        "member_id,name,birth_date,signup_date\n"
        "M1,Kim,0001-01-01,\nM2,Lee,1990-02-03,9999-12-31\nM3,Park,1985-07-01,2026-01-05\n",
        encoding="utf-8",
    )
    report = import_file("members", people, app.run_committed, timezone=TZ)
    reason = f"is outside the accepted dates {DATE_RANGE}"
    assert [(e.row, e.field, e.value, e.reason) for e in report.errors] == [
        (1, "birth_date", "0001-01-01", reason),
        (2, "signup_date", "9999-12-31", reason),
    ]
    assert [name for name, _ in _names(app)] == ["M3"]

    sales = tmp_path / "p.csv"
    sales.write_text(
        "purchase_id,member_id,occurred_at,product,amount\n"
        "P1,M3,0001-01-01T00:00:00,latte,5000\n"
        "P2,M3,9999-12-31T23:59:59+09:00,latte,5000\n"
        "P3,M3,2026-01-06T09:00:00,latte,5000\n",
        encoding="utf-8",
    )
    report = import_file("purchases", sales, app.run_committed, timezone=TZ)
    assert [(e.row, e.field, e.reason) for e in report.errors] == [
        (1, "occurred_at", reason),
        (2, "occurred_at", reason),
    ]
    with app.engine.connect() as connection:
        kept = connection.execute(select(purchases.c.external_id)).scalars().all()
    assert kept == ["P3"]
