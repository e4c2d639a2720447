"""``regulars import plans|subscriptions|plan-changes|bills`` and ``regulars subscriptions …``
run as a user runs them, on SQLite and PostgreSQL: imports that exit 3 with a rejects file,
a member's contracts, the exit survey's invitations, why members leave, and the churn
features and survival table from the store and from files (DuckDB)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.cli.boundary import EXIT_REJECTED, EXIT_USAGE
from regulars.store.tables import subscription_scores
from tests.e2e.test_cli import regulars
from tests.subscription_data import AS_OF, generate, load_store, write_files

TODAY = datetime.now(UTC).date()


def _write(folder: Path) -> None:
    (folder / "members.csv").write_text(
        "member_id,name,email,locale,segment,birth_date,consent_email\n"
        "M1,김민준,m1@example.com,ko,individual,1990-04-17,yes\n"
        "M2,Jane Lee,m2@example.com,en,business,,yes\n",
        encoding="utf-8",
    )
    (folder / "plans.csv").write_text(
        "code,name,monthly_fee\n5G,5G 무제한,69000\nLTE,LTE 10GB,33000\n", encoding="utf-8"
    )
    recent = (TODAY - timedelta(days=5)).isoformat()
    (folder / "subscriptions.csv").write_text(
        "subscription_id,member_id,plan,monthly_fee,started_on,cancelled_on,cancel_reason,"
        "competitor\n"
        f"L1,M1,5G,69000,2024-01-15,{recent},competitor,KT\n"
        "L2,M2,LTE,33000,2024-06-01,,,\n"
        "L3,M3,LTE,33000,2024-06-01,,,\n",
        encoding="utf-8",
    )
    (folder / "bills.csv").write_text(
        "subscription_id,month,amount,data_gb\nL1,2024-01,69000,20\nL1,2024-02,69000,12.5\n"
        "L2,2024-06,33000,3\n",
        encoding="utf-8",
    )


def test_a_telecoms_files_in_and_its_analyses_out(store_url: str, tmp_path: Path) -> None:
    _write(tmp_path)
    for kind in ("members", "plans", "bills"):
        if kind == "bills":
            done = regulars(store_url, "import", "subscriptions", "subscriptions.csv", cwd=tmp_path)
            assert done.returncode == EXIT_REJECTED, done.stderr
            assert "row 3, member_id = 'M3': no member with this id" in done.stdout
            assert (tmp_path / "subscriptions.rejects.csv").exists()
        done = regulars(store_url, "import", kind, f"{kind}.csv", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "3 rows read, 0 bills added"
        in regulars(store_url, "import", "bills", "bills.csv", cwd=tmp_path).stdout
    )
    define = tmp_path / "exit.yaml"
    define.write_text("code: leaving\nname: Before you go\nkind: exit\nnps: false\n", "utf-8")
    assert regulars(store_url, "feedback", "define", str(define), cwd=tmp_path).returncode == 0
    invited = regulars(store_url, "subscriptions", "invite-exits", "--show-links", cwd=tmp_path)
    assert invited.returncode == 0, invited.stderr
    assert invited.stdout.startswith("1 invited")
    assert "/s/" in invited.stdout
    again = regulars(store_url, "subscriptions", "invite-exits", cwd=tmp_path)
    assert again.stdout.startswith("0 invited; skipped: 1 already invited")

    shown = regulars(store_url, "subscriptions", "show", "M1", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "L1 5G at 69,000 a month since 2024-01-15" in shown.stdout
    assert "cancelled" in shown.stdout
    assert "2024-02" in shown.stdout
    as_json = json.loads(
        regulars(store_url, "subscriptions", "show", "M1", "--json", cwd=tmp_path).stdout
    )
    assert as_json["subscriptions"][0]["competitor"] == "KT"
    missing = regulars(store_url, "subscriptions", "show", "M9", cwd=tmp_path)
    assert missing.returncode == EXIT_USAGE
    assert "no member with id 'M9'" in missing.stderr

    reasons = regulars(store_url, "subscriptions", "reasons", "--by", "segment", cwd=tmp_path)
    assert reasons.returncode == 0, reasons.stderr
    assert "competitor named most: KT" in reasons.stdout
    assert "individual (1 of 1)" in reasons.stdout
    figures = json.loads(
        regulars(store_url, "subscriptions", "reasons", "--json", cwd=tmp_path).stdout
    )
    assert figures["groups"][0]["reasons"][0]["reason"] == "competitor"
    wrong = regulars(store_url, "subscriptions", "reasons", "--by", "colour", cwd=tmp_path)
    assert wrong.returncode == EXIT_USAGE
    assert "by: choose among" in wrong.stderr

    made = regulars(store_url, "subscriptions", "features", "--out", "f.parquet", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    features = pd.read_parquet(tmp_path / "f.parquet").set_index("subscription_id")
    assert list(features.index) == ["L1", "L2"]
    assert (features.loc["L1", "cancelled"], features.loc["L1", "months_billed"]) == (True, 2)
    survival = regulars(
        store_url,
        "subscriptions",
        "survival",
        "--out",
        "s.csv",
        "--as-of",
        "2025-12-31",
        cwd=tmp_path,
    )
    assert survival.returncode == 0, survival.stderr
    assert pd.read_csv(tmp_path / "s.csv")["active"].iloc[0] == 1


def test_features_from_files_need_no_store(tmp_path: Path) -> None:
    data = generate(40, seed=2)
    cases = pd.DataFrame({"member_id": ["M0001"], "opened_at": [datetime(2025, 5, 1, tzinfo=UTC)]})
    folder = write_files(data, cases, tmp_path / "files", ".parquet")
    url = f"sqlite:///{tmp_path}/never.db"
    done = regulars(
        url,
        "subscriptions",
        "features",
        "--from",
        str(folder),
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        "f.csv",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(tmp_path / "f.csv")["subscription_id"].nunique() > 40
    assert not (tmp_path / "never.db").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = regulars(
        url, "subscriptions", "features", "--from", str(empty), "--out", "x.csv", cwd=tmp_path
    )
    assert nothing.returncode == EXIT_USAGE
    assert "no subscriptions.parquet or .csv" in nothing.stderr
    wrong = regulars(url, "subscriptions", "survival", "--out", "x.xlsx", cwd=tmp_path)
    assert wrong.returncode == EXIT_USAGE
    assert "cannot write '.xlsx'" in wrong.stderr


def test_churn_scores_from_the_command_line(app: App, store_url: str, tmp_path: Path) -> None:
    empty = regulars(store_url, "subscriptions", "score", "--as-of", "2025-12-31", cwd=tmp_path)
    assert empty.returncode == EXIT_USAGE
    assert "no contract had started by 2025-12-31" in empty.stderr
    assert "Traceback" not in empty.stderr
    load_store(app, generate(120, seed=5))
    bad = regulars(store_url, "subscriptions", "score", "--as-of", "2025-13-01", cwd=tmp_path)
    assert bad.returncode == EXIT_USAGE
    assert "--as-of" in bad.stderr
    assert "Traceback" not in bad.stderr
    day = AS_OF.isoformat()
    done = regulars(store_url, "subscriptions", "score", "--as-of", day, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "churn scores of" in done.stdout
    assert "hazard ratio" in done.stdout
    with app.unit_of_work() as uow:
        scored = uow.connection.execute(select(func.count()).select_from(subscription_scores))
        assert scored.scalar_one() > 50
    again = regulars(store_url, "scores", "compute", "--as-of", "2026-01-01T00:00", cwd=tmp_path)
    assert "churn scores of" in again.stdout, again.stdout + again.stderr


def _churn_report(tmp_path: Path, folder: Path, out: str, *extra: str) -> dict[str, object]:
    url = f"sqlite:///{tmp_path}/never.db"
    done = regulars(
        url, "report", "--from", str(folder), "--as-of", AS_OF.isoformat(), "--language", "en",
        "--out", out, *extra, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "never.db").exists()
    html = (tmp_path / out / "report.html").read_text("utf-8")
    assert '<section id="churn"' in html
    assert "Subscribers and churn" in html
    churn = json.loads((tmp_path / out / "report.json").read_text("utf-8"))["churn"]
    assert isinstance(churn, dict)
    return churn


def test_the_report_of_subscription_files_needs_no_store(tmp_path: Path) -> None:
    data = generate(300)
    cases = pd.DataFrame({"member_id": ["M0001"], "opened_at": [datetime(2025, 5, 1, tzinfo=UTC)]})
    folder = write_files(data, cases, tmp_path / "files", ".parquet")
    churn = _churn_report(tmp_path, folder, "duck")
    assert churn["contracts"] == churn["active"] + churn["cancelled"]  # type: ignore[operator]
    assert 0.5 < churn["validation"]["concordance"] <= 1  # type: ignore[index]
    assert len(churn["to_call"]) == 20  # type: ignore[arg-type]
    url = f"sqlite:///{tmp_path}/never.db"
    alone = regulars(url, "report", "--spark", cwd=tmp_path)
    assert alone.returncode == EXIT_USAGE
    assert "give --from too" in alone.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = regulars(url, "report", "--from", str(empty), cwd=tmp_path)
    assert nothing.returncode == EXIT_USAGE
    assert "no subscriptions.parquet or .csv" in nothing.stderr
