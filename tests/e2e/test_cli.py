"""The command line, run as a user runs it: a real ``regulars`` process on a real store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def regulars(
    store_url: str,
    *args: str,
    cwd: Path,
    python: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``regulars ARGS`` on the store (``python``: options for the interpreter; ``env``:
    more environment variables)."""
    environ = {
        **os.environ,
        "REGULARS_DATABASE_URL": store_url,
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, *python, "-m", "regulars.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = regulars(f"sqlite:///{tmp_path}/x.db", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("import", "export", "keys", "serve", "demo"):
        assert command in result.stdout


def test_import_with_bad_rows_writes_rejects_and_reimport_adds_nothing(
    store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "members.csv").write_text(
        "member_id,name,email\nM1,Kim,kim@example.com\nM2,Lee,lee-at-example\n", encoding="utf-8"
    )
    (tmp_path / "purchases.csv").write_text(
        "purchase_id,member_id,occurred_at,product,amount\n"
        "P1,M1,2026-01-02T09:00:00,latte,5000\n"
        "P2,M2,2026-01-02T09:00:00,latte,5000\n"
        "P3,M1,2026-01-02T09:00:00,latte,five\n",
        encoding="utf-8",
    )
    members = regulars(store_url, "import", "members", "members.csv", cwd=tmp_path)
    assert members.returncode == 3, members.stderr  # good rows kept, some rejected
    assert "1 members added" in members.stdout
    assert "row 2, email = 'lee-at-example': is not an e-mail address" in members.stdout

    rejects = tmp_path / "bad.csv"
    first = regulars(
        store_url, "import", "purchases", "purchases.csv", "--rejects", str(rejects), cwd=tmp_path
    )
    assert first.returncode == 3, first.stderr
    assert "1 purchases added" in first.stdout
    assert "row 2, member_id = 'M2': no member with this id" in first.stdout
    assert "row 3, amount = 'five': is not a whole number" in first.stdout
    assert pd.read_csv(rejects)["_row"].tolist() == [2, 3]

    again = regulars(store_url, "import", "purchases", "purchases.csv", cwd=tmp_path)
    assert "0 purchases added, 1 already present" in again.stdout


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("purchase_id,amount\nP1,5\n", encoding="utf-8")
    result = regulars(f"sqlite:///{tmp_path}/x.db", "import", "purchases", "p.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert "missing column(s) occurred_at, product" in result.stderr
    missing = regulars(f"sqlite:///{tmp_path}/x.db", "import", "members", "nope.csv", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr


def test_keys_are_created_listed_and_revoked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    created = regulars(url, "keys", "create", "till-1", "--scopes", "pos,analyst", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    prefix = token.split("_")[1]
    listed = regulars(url, "keys", "list", cwd=tmp_path)
    assert prefix in listed.stdout
    assert "analyst,pos" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout
    assert regulars(url, "keys", "revoke", prefix, cwd=tmp_path).returncode == 0
    bad = regulars(url, "keys", "create", "x", "--scopes", "root", cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown scope 'root'" in bad.stderr


def test_demo_ends_with_a_report_a_person_can_open(tmp_path: Path) -> None:
    result = regulars(
        f"sqlite:///{tmp_path}/demo.db", "demo", "--members", "400", "--seed", "3", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "400" in out
    assert "loyalty as of 2026-10-31" in out
    assert "members spent" in out
    assert "free coffees used" in out
    assert "survey answers:" in out
    assert "0 rows rejected" in out
    assert "NPS " in out
    # the monthly table: no month can have more active members than the 400 there are
    months = re.findall(r"│ (\d{4}-\d\d) +│ ([\d,]+) +│ ([\d,]+) +│[ █]*₩([\d,]+)", out)
    assert len(months) >= 20, out
    assert all(0 < int(active.replace(",", "")) <= 400 for _, _, active, _ in months)
    assert all(int(revenue.replace(",", "")) > 100_000 for *_, revenue in months[2:])
    page = tmp_path / "demo-output" / "report" / "report.html"
    assert f"open the report: {page}" in out.replace("\n", "")
    html = page.read_text(encoding="utf-8")
    assert "Plotly" in html
    assert '<script src="http' not in html
    assert (tmp_path / "demo-output" / "report" / "report.json").exists()
    # everything the demo decided was delivered: events to its webhook receiver, member
    # messages to the mailbox folder, nothing failed
    received = dict(re.findall(r"│ ([a-z_.]+) +│ +([\d,]+) │", out))
    assert int(received["points.earned"].replace(",", "")) > 1000
    assert "reward.issued" in received
    mailbox = tmp_path / "demo-output" / "mailbox"
    assert len(list((mailbox / "email").glob("*.txt"))) > 100
    assert re.search(r"webhook [\d,]+\s+sent / 0 failed", out), out


def test_telecom_demo_shows_the_truth_recovered_and_ends_with_the_report(tmp_path: Path) -> None:
    result = regulars(
        f"sqlite:///{tmp_path}/tel.db",
        "demo",
        "--business",
        "telecom",
        "--members",
        "600",
        "--seed",
        "5",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hanbit Mobile: 600 contracts" in out
    assert "answered “why are you leaving?”" in out
    for covariate in ("driver_network", "driver_price", "fee_10k", "segment=business"):
        assert re.search(rf"│ {re.escape(covariate)} +│ [\d.]+ +│ [\d.]+ +│ [\d.]+–[\d.]+ ", out)
    assert re.search(r"│ alpha +│ 0\.90 │ [\d.]+ ± [\d.]+ ", out)
    assert "truth: 2025-05, Nuri Mobile" in out
    assert "call this week" in out
    truth = tmp_path / "demo-output" / "ground_truth.json"
    assert '"competitor": "Nuri Mobile"' in truth.read_text(encoding="utf-8")
    page = tmp_path / "demo-output" / "report" / "report.html"
    assert out.replace("\n", "").rstrip().endswith(f"open the report: {page}")
    assert page.exists()


def test_demo_refuses_an_unknown_business(tmp_path: Path) -> None:
    result = regulars(f"sqlite:///{tmp_path}/x.db", "demo", "--business", "bakery", cwd=tmp_path)
    assert result.returncode == 2
    assert "bakery" in result.stderr
    assert "coffee" in result.stderr
    assert "telecom" in result.stderr
    assert "Traceback" not in result.stderr
