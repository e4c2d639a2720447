"""A command that does little starts at once: what makes a start slow is importing the heavy
libraries (and Alembic), so these tests read ``python -X importtime`` of a real ``regulars``
process and name what it must not load. They time nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory

from regulars.store.database import MIGRATIONS
from regulars.store.revisions import newest_revisions
from tests.e2e.test_cli import regulars

HEAVY = {"pandas", "numpy", "scipy", "plotly", "pyarrow", "duckdb", "kiwipiepy"}
"""The libraries that took a plain ``regulars --help`` to more than a second of CPU."""


def imported(
    store_url: str, *args: str, cwd: Path
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``regulars ARGS`` under ``-X importtime``; the top-level packages it imported."""
    result = regulars(store_url, *args, cwd=cwd, python=("-X", "importtime"))
    packages = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "regulars" in packages, result.stderr  # the output was read
    return result, packages


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    result, packages = imported(f"sqlite:///{tmp_path}/x.db", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "loyalty" in result.stdout
    assert packages & HEAVY == set()
    assert {"sqlalchemy", "alembic", "fastapi", "uvicorn"} & packages == set()
    assert not (tmp_path / "x.db").exists()  # and touches no store


def test_a_balance_on_an_up_to_date_store_loads_neither_data_frames_nor_alembic(
    store_url: str, tmp_path: Path
) -> None:
    result, packages = imported(store_url, "loyalty", "balance", "M404", cwd=tmp_path)
    assert result.returncode == 2
    assert "no member with id 'M404'" in result.stderr
    assert packages & HEAVY == set()
    assert "alembic" not in packages


def test_a_new_store_is_still_migrated(tmp_path: Path) -> None:
    result, packages = imported(f"sqlite:///{tmp_path}/new.db", "keys", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "alembic" in packages
    again, packages = imported(f"sqlite:///{tmp_path}/new.db", "keys", "list", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "alembic" not in packages


def test_the_newest_revision_is_the_one_alembic_finds() -> None:
    assert newest_revisions() == set(ScriptDirectory(str(MIGRATIONS)).get_heads())
