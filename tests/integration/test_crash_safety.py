"""Crash safety, proven: a real ``regulars`` process is killed with SIGKILL half-way through
a purchase import, the accrual job and the expiry job; the same command is run again to
completion; the store is then the same as a twin store loaded the same way and never
interrupted — the same purchases, lines, ledger transactions, lots, balances and events,
nothing doubled — and ``ledger verify`` finds no drift.

"Half-way" is observed, not guessed: the test polls the store until the process has
committed some of its batches (the import and the accrual commit batch by batch) or, for
the jobs (one transaction), until it holds an open write transaction, and kills it then. It
asserts the process was still running and that part of the work was really missing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.engine import make_url

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.demo.programs import install_demo_programs
from regulars.domain.times import as_utc
from regulars.services.imports.files import import_file
from regulars.services.loyalty import accrual, jobs
from regulars.services.loyalty.verify import verify_ledger
from regulars.services.purchases.batch import BATCH_ROWS
from regulars.store.database import connect, migrate
from regulars.store.tables import (
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    loyalty_programs,
    members,
    outbox,
    points_lots,
    products,
    purchase_accruals,
    purchase_lines,
    purchases,
)

TZ = "Asia/Seoul"


# --- two stores of the same kind ------------------------------------------------------------


@pytest.fixture
def twin_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty, migrated store of the same kind as ``store_url``."""
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'twin.db'}"
        engine = connect(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    name = f"regulars_twin_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(store_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(store_url).set(database=name).render_as_string(hide_password=False)
    engine = connect(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _app(url: str) -> App:
    return build(Settings(database_url=url, timezone=TZ), migrate_schema=False)


def _write_files(folder: Path, members_count: int, lines: int) -> tuple[Path, Path]:
    """A members file and a purchases file of ``lines`` lines (two per purchase)."""
    rng = np.random.default_rng(12)
    member_ids = [f"M{i:05d}" for i in range(members_count)]
    pd.DataFrame({"member_id": member_ids}).to_csv(folder / "members.csv", index=False)
    purchase = np.arange(lines) // 2
    pd.DataFrame(
        {
            "purchase_id": [f"P{i:07d}" for i in purchase],
            "line_no": np.arange(lines) % 2 + 1,
            "member_id": [member_ids[i % members_count] for i in purchase],
            "occurred_at": pd.Timestamp("2025-01-01 08:00")
            + pd.to_timedelta(purchase % 400, unit="D")
            + pd.to_timedelta(purchase % 36_000, unit="s"),
            "product": np.where(np.arange(lines) % 2 == 0, "latte", "muffin"),
            "amount": rng.integers(10, 100, lines) * 100,
        }
    ).to_csv(folder / "purchases.csv", index=False)
    return folder / "members.csv", folder / "purchases.csv"


def _load(url: str, *files: Path) -> None:
    app = _app(url)
    for path in files:
        kind = "members" if path.stem == "members" else "purchases"
        report = import_file(kind, path, app.run_committed, timezone=TZ)
        assert not report.errors
    app.engine.dispose()


# --- the process and the moment it dies -------------------------------------------------------


def _start(url: str, cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "REGULARS_DATABASE_URL": url, "REGULARS_TIMEZONE": TZ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "regulars.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(url: str, cwd: Path, *args: str) -> None:
    process = _start(url, cwd, *args)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr


def _kill_when(
    process: subprocess.Popen[str], url: str, ready: Callable[[Connection], bool]
) -> None:
    """Poll the store until ``ready`` says the process is half-way, then SIGKILL it."""
    engine = create_engine(url)
    deadline = time.monotonic() + 240
    try:
        while True:
            with engine.connect() as connection:
                is_ready = ready(connection)
            if process.poll() is not None:
                _, stderr = process.communicate()
                pytest.fail(f"the process ended before it could be killed: {stderr}")
            if is_ready:
                break
            assert time.monotonic() < deadline, "the process never got half-way"
            time.sleep(0.02)
    finally:
        engine.dispose()
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def _count(connection: Connection, table: Any) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _writing(url: str) -> Callable[[Connection], bool]:
    """Whether another connection holds an open write transaction on the store."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path is not None

        def sqlite_writer(_: Connection) -> bool:
            probe = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True  # "database is locked": a writer is in its transaction
            finally:
                probe.close()

        return sqlite_writer

    def postgres_writer(connection: Connection) -> bool:
        return bool(
            connection.execute(
                text(
                    "select count(*) from pg_stat_activity where datname = current_database() "
                    "and pid <> pg_backend_pid() and backend_xid is not null"
                )
            ).scalar_one()
        )

    return postgres_writer


# --- what must be the same in both stores ----------------------------------------------------


def _utc(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


def _rows(connection: Connection, query: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(_utc(v) for v in row) for row in connection.execute(query)),
        key=repr,
    )


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The store by natural keys (surrogate ids differ between stores: a killed transaction
    on PostgreSQL consumes sequence values)."""
    m, p, a, t = members, purchases, loyalty_accounts, ledger_transactions
    account = loyalty_accounts.join(members, members.c.id == a.c.member_id).join(
        loyalty_programs, loyalty_programs.c.id == a.c.program_id
    )
    engine = create_engine(url)
    with engine.connect() as c:
        shot = {
            "members": _rows(c, select(m.c.external_id, m.c.name)),
            "purchases": _rows(
                c,
                select(
                    p.c.external_id, m.c.external_id, p.c.occurred_at, p.c.kind, p.c.total_amount
                ).select_from(p.outerjoin(m, m.c.id == p.c.member_id)),
            ),
            "lines": _rows(
                c,
                select(
                    p.c.external_id,
                    purchase_lines.c.line_no,
                    products.c.code,
                    purchase_lines.c.quantity,
                    purchase_lines.c.amount,
                ).select_from(
                    purchase_lines.join(p, p.c.id == purchase_lines.c.purchase_id).join(
                        products, products.c.id == purchase_lines.c.product_id
                    )
                ),
            ),
            "accrued": _rows(
                c,
                select(p.c.external_id).select_from(
                    purchase_accruals.join(p, p.c.id == purchase_accruals.c.purchase_id)
                ),
            ),
            "accounts": _rows(
                c,
                select(
                    m.c.external_id,
                    loyalty_programs.c.code,
                    a.c.available,
                    a.c.pending,
                    a.c.debt,
                    a.c.stamps,
                    a.c.tier,
                ).select_from(account),
            ),
            "transactions": _rows(
                c,
                select(
                    m.c.external_id,
                    loyalty_programs.c.code,
                    t.c.kind,
                    t.c.points,
                    t.c.source_key,
                    p.c.external_id,
                    t.c.occurred_at,
                ).select_from(
                    t.join(account, a.c.id == t.c.account_id).outerjoin(
                        p, p.c.id == t.c.purchase_id
                    )
                ),
            ),
            "books": _rows(
                c,
                select(
                    m.c.external_id,
                    loyalty_programs.c.code,
                    ledger_entries.c.book,
                    func.count(),
                    func.sum(ledger_entries.c.points),
                )
                .select_from(ledger_entries.join(account, a.c.id == ledger_entries.c.account_id))
                .group_by(m.c.external_id, loyalty_programs.c.code, ledger_entries.c.book),
            ),
            "lots": _rows(
                c,
                select(
                    m.c.external_id,
                    loyalty_programs.c.code,
                    p.c.external_id,
                    points_lots.c.points,
                    points_lots.c.remaining,
                    points_lots.c.released,
                    points_lots.c.closed,
                    points_lots.c.expires_at,
                ).select_from(
                    points_lots.join(account, a.c.id == points_lots.c.account_id).outerjoin(
                        p, p.c.id == points_lots.c.purchase_id
                    )
                ),
            ),
            "events": _rows(
                c,
                select(outbox.c.topic, m.c.external_id, func.count())
                .select_from(outbox.outerjoin(m, m.c.id == outbox.c.member_id))
                .group_by(outbox.c.topic, m.c.external_id),
            ),
        }
    engine.dispose()
    return shot


def assert_same_and_clean(url: str, twin: str) -> None:
    got, want = snapshot(url), snapshot(twin)
    for name in want:
        assert got[name] == want[name], f"{name} differ after the kill and the re-run"
    app = _app(url)
    with app.unit_of_work() as uow:
        report = verify_ledger(uow)
    app.engine.dispose()
    assert report["clean"], report


# --- the three jobs ---------------------------------------------------------------------------


def test_a_purchase_import_killed_half_way_then_rerun(
    store_url: str, twin_url: str, tmp_path: Path
) -> None:
    lines = 2 * BATCH_ROWS  # two batches: killed after the first commits
    member_file, purchase_file = _write_files(tmp_path, 2_000, lines)
    _load(store_url, member_file)
    _load(twin_url, member_file, purchase_file)

    process = _start(store_url, tmp_path, "import", "purchases", str(purchase_file))
    _kill_when(process, store_url, lambda c: _count(c, purchases) > 0)
    engine = create_engine(store_url)
    with engine.connect() as c:
        assert 0 < _count(c, purchases) < lines // 2  # whole batches only, and not all
        assert _count(c, purchase_lines) == 2 * _count(c, purchases)
    engine.dispose()

    _run(store_url, tmp_path, "import", "purchases", str(purchase_file))
    assert_same_and_clean(store_url, twin_url)


def _programs_and_purchases(
    url: str, tmp_path: Path, member_file: Path, purchase_file: Path
) -> None:
    _load(url, member_file, purchase_file)
    app = _app(url)
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        uow.commit()
    app.engine.dispose()


def test_the_accrual_job_killed_half_way_then_rerun(
    store_url: str, twin_url: str, tmp_path: Path
) -> None:
    member_file, purchase_file = _write_files(tmp_path, 300, 6_000)
    for url in (store_url, twin_url):
        _programs_and_purchases(url, tmp_path, member_file, purchase_file)
    twin = _app(twin_url)
    assert accrual.accrue_all(twin.run_committed, 50) == 3_000
    twin.engine.dispose()

    process = _start(store_url, tmp_path, "loyalty", "accrue", "--batch", "50")
    _kill_when(process, store_url, lambda c: _count(c, purchase_accruals) >= 600)
    engine = create_engine(store_url)
    with engine.connect() as c:
        done = _count(c, purchase_accruals)
        assert 600 <= done < 3_000
        assert done % 50 == 0  # whole batches only
    engine.dispose()

    _run(store_url, tmp_path, "loyalty", "accrue", "--batch", "50")
    assert_same_and_clean(store_url, twin_url)


def test_the_expiry_job_killed_half_way_then_rerun(
    store_url: str, twin_url: str, tmp_path: Path
) -> None:
    member_file, purchase_file = _write_files(tmp_path, 150, 3_000)
    for url in (store_url, twin_url):
        _programs_and_purchases(url, tmp_path, member_file, purchase_file)
        app = _app(url)
        accrual.accrue_all(app.run_committed, 500)
        app.engine.dispose()
    far = "2029-06-01T00:00:00"  # every lot released and expired
    twin = _app(twin_url)
    with twin.unit_of_work() as uow:
        result = jobs.run_all(uow, datetime(2029, 6, 1, tzinfo=UTC))
        uow.commit()
    twin.engine.dispose()
    assert result["expired"]["points"] > 0

    process = _start(store_url, tmp_path, "loyalty", "jobs", "--now", far)
    _kill_when(process, store_url, _writing(store_url))
    engine = create_engine(store_url)
    with engine.connect() as c:  # one transaction: nothing of it is left
        expired = select(func.count()).where(ledger_transactions.c.kind == "expire")
        assert c.execute(expired).scalar_one() == 0
    engine.dispose()

    _run(store_url, tmp_path, "loyalty", "jobs", "--now", far)
    assert_same_and_clean(store_url, twin_url)
