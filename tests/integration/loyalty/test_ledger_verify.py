"""``regulars ledger verify``: a clean ledger passes with a one-line summary; one cached
number changed behind the ledger's back (a direct ``UPDATE``) is reported, with exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from regulars.bootstrap import App
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty.programs import install_program
from regulars.services.loyalty.verify import verify_ledger
from regulars.services.members import upsert_members
from regulars.store.tables import loyalty_accounts, points_lots

PROGRAM = {
    "code": "cash",
    "kind": "points",
    "points": {"earn": {"points": 1, "per_amount": 100}, "redeem": {"min_points": 1}},
}


def _ledger(app: App) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with app.unit_of_work() as uow:
        install_program(uow, PROGRAM)
        upsert_members(uow, [{"member_id": "M1"}, {"member_id": "M2"}], "UTC")
        uow.commit()
    with app.unit_of_work() as uow:
        for member in ("M1", "M2"):
            for points in (400, 350):
                loyalty.adjust(uow, member, "cash", points, "opening balance", "test", now=now)
        loyalty.redeem_points(uow, "M1", "cash", 500, "order-1", now=now)
        uow.commit()


def _verify_cli(app: App, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    url = app.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "REGULARS_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "regulars.cli", "ledger", "verify"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_clean_ledger_passes_with_one_line(app: App, tmp_path: Path) -> None:
    _ledger(app)
    result = _verify_cli(app, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [
        "ledger clean: 2 accounts, 4 lots, 11 entries, no drift"
    ]


def test_a_corrupted_balance_is_reported_and_fails(app: App, tmp_path: Path) -> None:
    _ledger(app)
    with app.engine.begin() as connection:
        connection.execute(
            update(loyalty_accounts)
            .where(loyalty_accounts.c.id == 2)
            .values(available=loyalty_accounts.c.available + 1000)
        )
    result = _verify_cli(app, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    row = next(line for line in result.stdout.splitlines() if " M2 " in f" {line} ")
    assert [cell.strip() for cell in row.split("│")[1:-1]] == [
        "2",
        "M2",
        "cash",
        "available",
        "1,750",
        "750",
        "750",
    ]
    assert "M1" not in result.stdout
    assert "ledger drift: 1 account(s)" in result.stderr
    with app.unit_of_work() as uow:
        report = verify_ledger(uow)
    assert report["account_drift"] == [
        {
            "account_id": 2,
            "member": "M2",
            "program": "cash",
            "field": "available",
            "cached": 1750,
            "ledger": 750,
            "lots": 750,
        }
    ]
    assert report["lot_drift"] == []
    assert report["unbalanced"] == []


def test_a_lot_changed_behind_the_ledger_is_reported(app: App) -> None:
    _ledger(app)
    with app.engine.begin() as connection:
        connection.execute(update(points_lots).where(points_lots.c.id == 3).values(remaining=1))
    with app.unit_of_work() as uow:
        report = verify_ledger(uow)
    assert not report["clean"]
    assert report["lot_drift"] == [
        {"lot_id": 3, "account_id": 2, "remaining": 1, "ledger": 400, "closed": False}
    ]
    # The account's cached balance no longer matches what its lots hold.
    assert [(d["member"], d["field"], d["lots"]) for d in report["account_drift"]] == [
        ("M2", "available", 351)
    ]
