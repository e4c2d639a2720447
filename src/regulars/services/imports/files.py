"""Bulk imports from files: read, check everything, write batch by batch.

Each batch is its own transaction, so an import killed half-way leaves whole batches only;
because every write skips what is already there, running the same import again finishes
the job and adds nothing twice.

An import is a job, not a use case inside someone else's transaction: it is never handed a
unit of work. Its caller — ``regulars import`` (cli/data.py), the demo (cli/demo.py), a test
— hands it the factory of units of work (``app.unit_of_work``), and the import opens one
per batch from it and commits that batch; a unit of work opened by anyone else is never
committed here. The batch writers it calls (``write_members``, ``write_purchases``,
``import_catalogue``) take a unit of work and never commit, like every service.
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
from regulars.store.unit_of_work import UnitOfWork

Kind = Literal["members", "purchases", "stores", "departments", "employees", "products"]
Progress = Callable[[int, int], None]
"""Called as ``progress(rows_done, rows_total)`` after each batch."""


def import_file(
    kind: Kind,
    path: Path,
    unit_of_work: Callable[[], UnitOfWork],
    *,
    timezone: str,
    rejects: Path | None = None,
    progress: Progress | None = None,
    batch_rows: int | None = None,
) -> ImportReport:
    """Import a CSV or Parquet file of ``kind``; write rejected rows to ``rejects``.

    ``unit_of_work`` opens a unit of work (``app.unit_of_work``): one per batch, each
    committed when its batch is written.
    """
    if kind in ("stores", "departments", "employees", "products"):
        source = read_table(path, catalogue_import.REQUIRED)
        with unit_of_work() as uow:
            report = catalogue_import.import_catalogue(uow, kind, source)
            uow.commit()
        if progress:
            progress(report.rows, report.rows)
        _write_rejects(report, source, rejects)
        return report
    module = member_import if kind == "members" else purchase_import
    source = read_table(path, module.REQUIRED)
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
        with unit_of_work() as uow:
            if kind == "members":
                member_import.write_members(uow, batch, now, report)
            else:
                purchase_import.write_purchases(uow, batch, report)
            uow.commit()
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
