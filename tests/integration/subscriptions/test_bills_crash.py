"""Crash safety of the bills import, proven as for purchases (tests/integration/
test_crash_safety.py): a real ``regulars import bills`` is killed with SIGKILL once some of
its batches are committed and others are not; run again, it finishes the job, and the store
holds exactly the bills of a twin store that was never interrupted — none missing, none
twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, create_engine, func, select
from tests.integration.test_crash_safety import (  # noqa: F401 - twin_url is a fixture
    _app,
    _count,
    _kill_when,
    _run,
    _start,
    twin_url,
)

from regulars.services.imports.files import import_file
from regulars.services.subscriptions.imports import KINDS
from regulars.store.tables import subscription_bills, subscriptions

CONTRACTS = 4_000
MONTHS = 75  # 300,000 bills: three batches


def _files(folder: Path) -> dict[str, Path]:
    ids = [f"L{i:05d}" for i in range(CONTRACTS)]
    pd.DataFrame({"member_id": ["M1"]}).to_csv(folder / "members.csv", index=False)
    pd.DataFrame(
        {
            "subscription_id": ids,
            "member_id": "M1",
            "plan": "5G",
            "monthly_fee": 55000,
            "started_on": "2019-01-01",
        }
    ).to_csv(folder / "subscriptions.csv", index=False)
    rng = np.random.default_rng(4)
    month = pd.period_range("2019-01", periods=MONTHS, freq="M").astype(str)
    pd.DataFrame(
        {
            "subscription_id": np.repeat(ids, MONTHS),
            "month": np.tile(month, CONTRACTS),
            "amount": rng.integers(30_000, 80_000, CONTRACTS * MONTHS),
            "data_gb": np.round(rng.gamma(2, 5, CONTRACTS * MONTHS), 2),
        }
    ).to_csv(folder / "bills.csv", index=False)
    return {kind: folder / f"{kind}.csv" for kind in ("members", "subscriptions", "bills")}


def _bills(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                subscriptions.c.external_id,
                subscription_bills.c.month,
                subscription_bills.c.amount,
                subscription_bills.c.data_gb,
            ).join(subscriptions, subscriptions.c.id == subscription_bills.c.subscription_id)
        ).all()
    engine.dispose()
    return sorted(tuple(r) for r in rows)


def test_a_killed_bills_import_run_again_leaves_what_an_uninterrupted_one_does(
    store_url: str,
    twin_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    files = _files(tmp_path)
    total = CONTRACTS * MONTHS
    assert total > 2 * KINDS["bills"].batch_rows
    for url in (store_url, twin_url):
        app = _app(url)
        for kind in ("members", "subscriptions"):
            assert not import_file(kind, files[kind], app.run_committed, timezone="UTC").errors  # type: ignore[arg-type]
        app.engine.dispose()
    app = _app(twin_url)
    assert not import_file("bills", files["bills"], app.run_committed, timezone="UTC").errors
    app.engine.dispose()

    def some_batches_committed(connection: Connection) -> bool:
        return 0 < _count(connection, subscription_bills) < total

    process = _start(store_url, tmp_path, "import", "bills", str(files["bills"]))
    _kill_when(process, store_url, some_batches_committed)
    engine = create_engine(store_url)
    with engine.connect() as connection:
        left = int(
            connection.execute(select(func.count()).select_from(subscription_bills)).scalar_one()
        )
    engine.dispose()
    assert 0 < left < total
    assert left % KINDS["bills"].batch_rows == 0
    _run(store_url, tmp_path, "import", "bills", str(files["bills"]))
    assert _bills(store_url) == _bills(twin_url)
    assert len(_bills(store_url)) == total
