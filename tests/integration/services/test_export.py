"""Export writes the import format: exporting and importing elsewhere gives the same data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.demo.business import generate
from regulars.services.imports import export as exporting
from regulars.services.imports.files import import_file


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_then_import_into_an_empty_store_round_trips(
    app: App, tmp_path: Path, suffix: str, sqlite_template: Path
) -> None:
    business = generate(members=60, seed=3)
    for kind in ("members", "purchases"):
        path = tmp_path / f"{kind}.csv"
        getattr(business, kind).to_csv(path, index=False)
        assert not import_file(kind, path, app.run_committed, timezone="Asia/Seoul").errors

    with app.unit_of_work() as uow:
        exported = {k: tmp_path / f"out-{k}{suffix}" for k in ("members", "purchases")}
        for kind, path in exported.items():
            exporting.export(uow, kind, path)  # type: ignore[arg-type]
        before = {
            "members": exporting.members_frame(uow),
            "purchases": exporting.purchases_frame(uow),
        }

    other_path = tmp_path / "other.db"
    other_path.write_bytes(sqlite_template.read_bytes())
    other = build(Settings(database_url=f"sqlite:///{other_path}"), migrate_schema=False)
    for kind, path in exported.items():
        report = import_file(kind, path, other.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
        assert report.errors == []
    with other.unit_of_work() as uow:
        after = {
            "members": exporting.members_frame(uow),
            "purchases": exporting.purchases_frame(uow),
        }
    for kind in before:
        pd.testing.assert_frame_equal(before[kind], after[kind], check_dtype=False)
    assert len(before["purchases"]) == len(business.purchases)
