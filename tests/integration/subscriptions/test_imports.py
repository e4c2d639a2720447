"""Plans, contracts, plan changes and bills from files, on SQLite and PostgreSQL: the same
row errors, rejects file and idempotent re-import as members and purchases, and the rules
that need the store (the member or contract named, a contract's life)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from regulars.bootstrap import App
from regulars.services.imports.files import import_file
from regulars.services.imports.tabular import read_table
from regulars.services.subscriptions import recording

MEMBERS = "member_id,segment\nM1,individual\nM2,business\n"
PLANS = """code,name,monthly_fee,category,commitment_months
5G-L,5G Large,69000,mobile,24
5G-S,5G Small,39000,mobile,
"""
SUBSCRIPTIONS = """subscription_id,member_id,plan,monthly_fee,started_on,committed_until,\
cancelled_on,cancel_reason,competitor,channel,device
L1,M1,5G-L,69000,2024-01-31,2026-01-31,,,,store,iPhone 15
L2,M2,5G-S,"39,000",2024-03-01,,2025-06-30,competitor,SKT,web,
L3,M9,5G-S,39000,2024-03-01,,,,,,
L4,M1,LTE,29000,2025-02-30,,,,,,
L5,M1,LTE,29000,2025-02-01,2025-01-01,,price,,shop,
L1,M1,5G-L,69000,2024-01-31,,,,,,
L6,M2,LTE,-5,2024-01-01,,2023-12-31,,,,
L7,M2,VIP,99000,2024-05-01,,,,,,
"""
CHANGES = """subscription_id,changed_on,from_plan,to_plan,fee_before,fee_after,change_id
L1,2025-01-15,5G-L,5G-S,69000,39000,
L2,2025-07-01,5G-S,5G-L,39000,69000,
L1,2023-01-01,5G-L,5G-S,69000,39000,
L1,2025-03-01,5G-S,5G-S,39000,39000,
L2,2025-06-30,5G-S,5G-L,39000,69000,ch-last-day
L9,2025-01-01,5G-S,5G-L,39000,69000,
"""
BILLS = """subscription_id,month,amount,data_gb,voice_minutes,member_id
L1,2024-01,69000,10.5,300,M1
L1,2024-02-15,69000,"1,200.5",,
L1,2023-12,69000,1,,
L1,2024-13,1,,,
L2,2024-03,39000,abc,,
L9,2024-03,1,,,
L1,2024-01,5,,,
L2,2024-04,39000,1e3,,
L2,2024-05,39000,,,M1
L2,2025-07,39000,0.5,,
"""


def _import(app: App, tmp_path: Path, kind: str, text: str) -> tuple[object, list[str]]:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    rejects = tmp_path / f"{kind}.rejects.csv"
    report = import_file(kind, path, app.run_committed, timezone="Asia/Seoul", rejects=rejects)  # type: ignore[arg-type]
    return report, [str(e) for e in report.sorted_errors()]


@pytest.fixture
def loaded(app: App, tmp_path: Path) -> App:
    for kind, text in (("members", MEMBERS), ("plans", PLANS)):
        _report, errors = _import(app, tmp_path, kind, text)
        assert errors == []
    return app


def test_contracts_are_checked_row_by_row_and_the_good_ones_kept(
    loaded: App, tmp_path: Path
) -> None:
    report, errors = _import(loaded, tmp_path, "subscriptions", SUBSCRIPTIONS)
    assert errors == [
        "row 3, member_id = 'M9': no member with this id (import members first)",
        "row 4, started_on = '2025-02-30': is not a date (expected YYYY-MM-DD)",
        "row 5, channel = 'shop': must be one of store, web, app, phone",
        "row 5, committed_until = '2025-01-01': is before the contract's start",
        "row 5, cancel_reason = 'price': is only for a cancelled contract (give cancelled_on)",
        "row 6, subscription_id = 'L1': appears more than once in the file; the first is kept",
        "row 7, monthly_fee = '-5': must be at least 0",
        "row 7, cancelled_on = '2023-12-31': is before the contract's start",
    ]
    assert (report.added, report.rejected_rows) == (3, 5)  # type: ignore[attr-defined]
    rejects = read_table(tmp_path / "subscriptions.rejects.csv")
    assert sorted(set(rejects["subscription_id"])) == ["L1", "L3", "L4", "L5", "L6"]
    assert {"_field", "_value", "_reason"} <= set(rejects.columns)
    with loaded.unit_of_work() as uow:
        l1 = recording.get_subscription(uow, "L1")
        l2 = recording.get_subscription(uow, "L2")
        l7 = recording.get_subscription(uow, "L7")
    assert (l1["plan"], l1["monthly_fee"], l1["started_on"], l1["status"]) == (
        "5G-L",
        69000,
        date(2024, 1, 31),
        "active",
    )
    assert (l1["committed_until"], l1["channel"], l1["device"]) == (
        date(2026, 1, 31),
        "store",
        "iPhone 15",
    )
    assert (l2["monthly_fee"], l2["cancelled_on"], l2["cancel_reason"], l2["competitor"]) == (
        39000,
        date(2025, 6, 30),
        "competitor",
        "SKT",
    )
    # a plan named for the first time is registered, named after its code, at its first fee
    assert (l7["plan"], l7["plan_name"]) == ("VIP", "VIP")


def test_a_re_import_changes_nothing_and_a_stale_file_undoes_no_cancellation(
    loaded: App, tmp_path: Path
) -> None:
    _import(loaded, tmp_path, "subscriptions", SUBSCRIPTIONS)
    again, _ = _import(loaded, tmp_path, "subscriptions", SUBSCRIPTIONS)
    assert (again.added, again.updated, again.already_present) == (0, 0, 3)  # type: ignore[attr-defined]
    stale = (
        "subscription_id,member_id,plan,monthly_fee,started_on,device\n"
        "L2,M2,5G-S,39000,2024-03-01,Galaxy\n"
        "L1,M2,5G-L,69000,2024-01-31,\n"
    )
    report, errors = _import(loaded, tmp_path, "subscriptions", stale)
    assert errors == [
        "row 2, member_id = 'M2': belongs to another member: a contract does not change hands"
    ]
    assert report.updated == 1  # type: ignore[attr-defined]
    with loaded.unit_of_work() as uow:
        l2 = recording.get_subscription(uow, "L2")
    assert (l2["device"], l2["cancelled_on"], l2["cancel_reason"], l2["competitor"]) == (
        "Galaxy",
        date(2025, 6, 30),
        "competitor",
        "SKT",
    )


def test_plan_changes_fall_within_their_contract_and_add_nothing_twice(
    loaded: App, tmp_path: Path
) -> None:
    _import(loaded, tmp_path, "subscriptions", SUBSCRIPTIONS)
    report, errors = _import(loaded, tmp_path, "plan-changes", CHANGES)
    assert errors == [
        "row 2, changed_on = '2025-07-01': is after the contract was cancelled on 2025-06-30",
        "row 3, changed_on = '2023-01-01': is before the contract's start",
        "row 4, to_plan = '5G-S': changes nothing: the same plan at the same fee",
        "row 6, subscription_id = 'L9': no contract with this id (import subscriptions first)",
    ]
    assert report.added == 2  # type: ignore[attr-defined]
    again, _ = _import(loaded, tmp_path, "plan-changes", CHANGES)
    assert (again.added, again.already_present) == (0, 2)  # type: ignore[attr-defined]
    with loaded.unit_of_work() as uow:
        changes = recording.get_subscription(uow, "L1")["plan_changes"]
        last_day = recording.get_subscription(uow, "L2")["plan_changes"]
    assert [(c["change_id"], c["fee_after"]) for c in changes] == [("L1:2025-01-15:5G-S", 39000)]
    assert [c["change_id"] for c in last_day] == ["ch-last-day"]  # on the cancellation day


def test_bills_are_one_per_contract_and_month_within_its_life(loaded: App, tmp_path: Path) -> None:
    _import(loaded, tmp_path, "subscriptions", SUBSCRIPTIONS)
    report, errors = _import(loaded, tmp_path, "bills", BILLS)
    assert errors == [
        "row 3, month = '2023-12': is before the contract's first month (2024-01)",
        "row 4, month = '2024-13': is not a month (expected YYYY-MM, e.g. 2026-03)",
        "row 5, data_gb = 'abc': is not a number",
        "row 6, subscription_id = 'L9': no contract with this id (import subscriptions first)",
        "row 7, month = '2024-01': appears more than once in the file; the first is kept",
        "row 8, data_gb = '1e3': is not a number",
        "row 9, member_id = 'M1': is not the member of this contract",
    ]
    assert report.added == 3  # type: ignore[attr-defined]  # a bill after the cancellation is kept
    again, _ = _import(loaded, tmp_path, "bills", BILLS)
    assert (again.added, again.already_present) == (0, 3)  # type: ignore[attr-defined]
    with loaded.unit_of_work() as uow:
        bills = recording.get_subscription(uow, "L1")["bills"]
    assert [(str(b["month"]), b["amount"], b["data_gb"], b["voice_minutes"]) for b in bills] == [
        ("2024-02-01", 69000, 1200.5, None),
        ("2024-01-01", 69000, 10.5, 300.0),
    ]


def test_a_parquet_file_is_judged_as_a_csv_file_is(loaded: App, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "code": ["LTE", "X"],
            "name": ["LTE 10", None],
            "monthly_fee": [29000, 5],
        }
    )
    frame.to_parquet(tmp_path / "plans.parquet")
    report = import_file("plans", tmp_path / "plans.parquet", loaded.run_committed, timezone="UTC")
    assert [str(e) for e in report.errors] == ["row 2, name = (blank): is required"]
    assert report.added == 1
