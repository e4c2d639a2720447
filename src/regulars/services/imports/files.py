"""Bulk imports from files: read, check everything, write batch by batch.

The file is read whole (:func:`read_source`) before the store is touched, so that a file that
cannot be read fails with nothing opened or written. Each batch is its own transaction, so
an import killed half-way leaves whole batches only; because every write skips what is
already there, running the same import again finishes the job and adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from regulars.services.imports import catalogue as catalogue_import
from regulars.services.imports import members as member_import
from regulars.services.imports.report import ImportReport
from regulars.services.imports.tabular import read_table, write_table
from regulars.services.purchases import batch as purchase_import
from regulars.services.subscriptions import imports as subscription_import
from regulars.services.unit_of_work import RunCommitted
from regulars.store.unit_of_work import UnitOfWork

Kind = Literal[
    "members",
    "purchases",
    "stores",
    "departments",
    "employees",
    "products",
    "plans",
    "subscriptions",
    "plan-changes",
    "bills",
]
CATALOGUE: tuple[Kind, ...] = ("stores", "departments", "employees", "products")
Progress = Callable[[int, int], None]
"""Called as ``progress(rows_done, rows_total)`` after each batch."""


def read_source(
    kind: Kind, path: Path, *, encoding: str | None = None, delimiter: str | None = None
) -> pd.DataFrame:
    """Read the file of ``kind`` and check that it has the required columns
    (:class:`~regulars.services.imports.tabular.UnreadableFile` otherwise)."""
    required: tuple[str, ...]
    if kind in CATALOGUE:
        required = catalogue_import.REQUIRED
    elif kind in subscription_import.KINDS:
        required = subscription_import.KINDS[kind].required
    else:
        required = member_import.REQUIRED if kind == "members" else purchase_import.REQUIRED
    return read_table(path, required, encoding=encoding, delimiter=delimiter)


def import_file(
    kind: Kind,
    path: Path,
    run_committed: RunCommitted,
    *,
    timezone: str,
    rejects: Path | None = None,
    progress: Progress | None = None,
    batch_rows: int | None = None,
) -> ImportReport:
    """Import a CSV or Parquet file of ``kind``; write rejected rows to ``rejects``."""
    return import_source(
        kind,
        read_source(kind, path),
        run_committed,
        timezone=timezone,
        rejects=rejects,
        progress=progress,
        batch_rows=batch_rows,
    )


def import_source(
    kind: Kind,
    source: pd.DataFrame,
    run_committed: RunCommitted,
    *,
    timezone: str,
    rejects: Path | None = None,
    progress: Progress | None = None,
    batch_rows: int | None = None,
) -> ImportReport:
    """Import the rows :func:`read_source` read; write rejected rows to ``rejects``.

    ``run_committed`` (``App.run_committed``) runs each batch in a unit of work of its own
    and commits it: the import itself never commits, and a kill leaves whole batches only."""
    if kind in ("stores", "departments", "employees", "products"):
        report = run_committed(lambda uow: catalogue_import.import_catalogue(uow, kind, source))
        if progress:
            progress(report.rows, report.rows)
        _write_rejects(report, source, rejects)
        return report
    if kind in ("plans", "subscriptions", "plan-changes", "bills"):
        report, _ = subscription_import.import_rows(
            kind,
            source,
            run_committed,
            timezone=timezone,
            progress=progress,
            batch_rows=batch_rows,
        )
        _write_rejects(report, source, rejects)
        return report
    report = ImportReport(kind=kind, rows=len(source))
    if kind == "members":
        good, errors = member_import.check_members(source, timezone)
        chunks = member_import.batches(good, batch_rows or member_import.BATCH_ROWS)
    else:
        good, errors = purchase_import.check_purchases(source, timezone)
        chunks = purchase_import.batches(good, batch_rows or purchase_import.BATCH_ROWS)
    report.errors.extend(errors)
    done = report.rows - len(good)
    if progress:
        progress(done, report.rows)
    now = datetime.now(UTC)
    for batch in chunks:

        def write(uow: UnitOfWork, batch: pd.DataFrame = batch) -> None:
            if kind == "members":
                member_import.write_members(uow, batch, now, report)
            else:
                purchase_import.write_purchases(uow, batch, report)

        run_committed(write)
        done += len(batch)
        if progress:
            progress(done, report.rows)
    _write_rejects(report, source, rejects)
    return report


def _write_rejects(report: ImportReport, source: pd.DataFrame, rejects: Path | None) -> None:
    """Write the rejected rows; with none, remove a rejects file left by an earlier run."""
    if rejects is None:
        return
    if report.errors:
        write_table(report.rejects(source), rejects)
    else:
        rejects.unlink(missing_ok=True)
