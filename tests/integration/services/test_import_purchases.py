"""Importing purchases from files: bad rows, rejects, idempotency — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.services.imports.files import import_file
from regulars.store.tables import purchase_lines, purchases

TZ = "Asia/Seoul"

MEMBERS = """member_id,name,locale
M1,Kim,ko
M2,Lee,en
"""

PURCHASES = (
    "purchase_id,member_id,occurred_at,store,channel,product,category,quantity,amount,kind,"
    "original_purchase_id\n"
    """P1,M1,2026-01-02T09:00:00,S1,store,americano,coffee,2,9000,,
P1,M1,2026-01-02T09:00:00,S1,store,muffin,bakery,1,3500,,
P2,M9,2026-01-03T09:00:00,S1,store,latte,coffee,1,5000,,
P3,,2026-01-03 10:00,S2,web,latte,coffee,1,abc,,
P3,,2026-01-03 10:00,S2,web,muffin,bakery,1,3500,,
P4,M2,2026-01-04T10:00:00+09:00,S2,app,latte,coffee,1,5000,,
P5,,yesterday,S2,app,latte,coffee,1,5000,,
P6,M1,2026-01-04T10:00,S2,teleport,latte,coffee,1,5000,,
R1,M2,2026-01-05T10:00,S2,app,latte,coffee,1,5000,refund,P4
R2,M2,2026-01-05T10:00,S2,app,latte,coffee,1,5000,refund,
"""
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(app: App, table) -> int:  # type: ignore[no-untyped-def]
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_bad_rows_are_reported_good_rows_kept_and_reimport_adds_nothing(
    app: App, tmp_path: Path
) -> None:
    import_file("members", _write(tmp_path, "m.csv", MEMBERS), app.run_committed, timezone=TZ)
    source = _write(tmp_path, "p.csv", PURCHASES)
    rejects = tmp_path / "rejects.csv"

    report = import_file("purchases", source, app.run_committed, timezone=TZ, rejects=rejects)

    assert report.added == 3  # P1 (two lines), P4, R1
    reasons = {(e.row, e.field): e.reason for e in report.errors}
    assert reasons[(3, "member_id")].startswith("no member with this id")
    assert reasons[(4, "amount")] == "is not a whole number"
    # P3's good line is rejected with its bad sibling: a purchase is all or nothing.
    assert "row 4" in reasons[(5, "purchase_id")]
    assert reasons[(7, "occurred_at")].startswith("is not a date and time")
    assert reasons[(8, "channel")].startswith("must be one of store, web, app, phone")
    assert reasons[(10, "original_purchase_id")] == "is required for a refund or a return"
    assert report.rejected_rows == 6

    written = pd.read_csv(rejects)
    assert sorted(set(written["_row"])) == [3, 4, 5, 7, 8, 10]
    assert {"purchase_id", "amount", "_field", "_value", "_reason"} <= set(written.columns)

    assert _count(app, purchases) == 3
    assert _count(app, purchase_lines) == 4

    again = import_file("purchases", source, app.run_committed, timezone=TZ)
    assert again.added == 0
    assert again.already_present == 3
    assert _count(app, purchases) == 3
    assert _count(app, purchase_lines) == 4


def test_refund_is_stored_negative_and_linked_to_its_sale(app: App, tmp_path: Path) -> None:
    import_file("members", _write(tmp_path, "m.csv", MEMBERS), app.run_committed, timezone=TZ)
    # The refund comes first in the file; sales are written first all the same.
    text = (
        "purchase_id,member_id,occurred_at,product,amount,kind,original_purchase_id\n"
        "R1,M1,2026-02-02T10:00:00+09:00,latte,-5000,refund,S1\n"
        "S1,M1,2026-02-01T10:00:00+09:00,latte,5000,,\n"
    )
    import_file("purchases", _write(tmp_path, "p.csv", text), app.run_committed, timezone=TZ)
    with app.engine.connect() as connection:
        rows = {r.external_id: r for r in connection.execute(select(purchases))}
    assert rows["R1"].total_amount == -5000
    assert rows["R1"].original_id == rows["S1"].id
    assert rows["S1"].total_amount == 5000


def test_a_batch_is_all_or_nothing_and_a_rerun_finishes_the_job(app: App, tmp_path: Path) -> None:
    """Kill the import in its second batch: the first stays whole, a re-run completes it."""
    import_file("members", _write(tmp_path, "m.csv", MEMBERS), app.run_committed, timezone=TZ)
    lines = ["purchase_id,member_id,occurred_at,product,amount"]
    lines += [f"P{i},M1,2026-01-01T10:00:00,latte,{1000 + i}" for i in range(30)]
    source = _write(tmp_path, "p.csv", "\n".join(lines) + "\n")
    calls = {"n": 0}

    def die_on_second_batch(done: int, total: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # after the initial call and the first batch
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(
            "purchases",
            source,
            app.run_committed,
            timezone=TZ,
            batch_rows=10,
            progress=die_on_second_batch,
        )
    assert _count(app, purchases) in (10, 20)
    assert _count(app, purchase_lines) == _count(app, purchases)

    report = import_file("purchases", source, app.run_committed, timezone=TZ, batch_rows=10)
    assert _count(app, purchases) == 30
    assert report.added + report.already_present == 30


def test_parquet_is_read_like_csv(app: App, tmp_path: Path) -> None:
    import_file("members", _write(tmp_path, "m.csv", MEMBERS), app.run_committed, timezone=TZ)
    frame = pd.DataFrame(
        {
            "purchase_id": ["A", "A", "B"],
            "member_id": ["M1", "M1", None],
            "occurred_at": ["2026-03-01T08:00:00Z"] * 3,
            "product": ["latte", "cake", "latte"],
            "quantity": [1, 2, 1],
            "amount": [5000, 12000, 5000],
        }
    )
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    report = import_file("purchases", path, app.run_committed, timezone=TZ)
    assert report.added == 2
    assert report.errors == []


def test_amounts_beyond_the_bounds_or_badly_written_are_rejected_exactly(
    app: App, tmp_path: Path
) -> None:
    """Numbers are read exactly: nothing beyond the stated bounds is stored (int64 overflow
    used to store -9223372036854775808), badly grouped thousands are refused, and the good
    purchase beside them is kept with its exact amount."""
    import_file("members", _write(tmp_path, "m.csv", MEMBERS), app.run_committed, timezone=TZ)
    text = (
        "purchase_id,member_id,occurred_at,product,quantity,amount\n"
        "B1,M1,2026-01-02T09:00:00,latte,1,1e20\n"
        "B2,M1,2026-01-02T09:00:00,latte,1,100000000000000000000\n"
        "B3,M1,2026-01-02T09:00:00,latte,1,9223372036854775807\n"
        "B4,M1,2026-01-02T09:00:00,latte,1,9000000000000000000\n"
        "B4,M1,2026-01-02T09:00:00,muffin,1,9000000000000000000\n"
        "B5,M1,2026-01-02T09:00:00,latte,1,9007199254740993\n"
        'B6,M1,2026-01-02T09:00:00,latte,1,"12,34,5"\n'
        "B7,M1,2026-01-02T09:00:00,latte,2000000,4500\n"
        'G1,M1,2026-01-02T09:00:00,latte,1,"1,000,000,000,000"\n'
        "G1,M1,2026-01-02T09:00:00,muffin,1,4500.0\n"
        "G1,M1,2026-01-02T09:00:00,coupon,1,-500\n"  # a discount keeps its sign
    )
    report = import_file(
        "purchases", _write(tmp_path, "p.csv", text), app.run_committed, timezone=TZ
    )

    assert report.added == 1
    rejected = {e.value: e.reason for e in report.errors if e.field in ("amount", "quantity")}
    for value in ("100000000000000000000", "9223372036854775807", "9000000000000000000",
                  "9007199254740993"):  # fmt: skip
        assert rejected[value] == "must be between -1,000,000,000,000 and 1,000,000,000,000"
    assert rejected["1e20"] == rejected["12,34,5"] == "is not a whole number"
    assert rejected["2000000"] == "must be between -1,000,000 and 1,000,000"
    with app.engine.connect() as connection:
        amounts = sorted(connection.execute(select(purchase_lines.c.amount)).scalars())
        totals = list(connection.execute(select(purchases.c.external_id)).scalars())
    assert amounts == [-500, 4500, 10**12]
    assert totals == ["G1"]
