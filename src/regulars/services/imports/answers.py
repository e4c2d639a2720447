"""Survey answers from files (phone or SMS survey results, another tool's export) and frames.

The format is :mod:`regulars.services.feedback.answers`'s, one row per answered question.
Rejected rows are reported per row and field, and written to a rejects file on request.
Each batch of whole responses is written in a transaction of its own, which the caller
opens and commits (``run_committed``, e.g. :meth:`regulars.bootstrap.App.run_committed`):
an import killed half-way keeps whole responses only, and running it again finishes the
job and adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd

from regulars.domain.feedback.surveys import AnswerSource
from regulars.services.feedback import answers as survey_answers
from regulars.services.imports.report import ImportReport
from regulars.services.imports.tabular import ROW, read_table, write_table
from regulars.services.unit_of_work import RunCommitted

Progress = Callable[[int, int], None]


def import_answers_frame(
    frame: pd.DataFrame,
    run_committed: RunCommitted,
    *,
    timezone: str,
    source: str = AnswerSource.IMPORT.value,
    progress: Progress | None = None,
    batch_rows: int = survey_answers.BATCH_ROWS,
    now: datetime | None = None,
) -> ImportReport:
    """Import answers held in a frame of the answers format (any cell types: they are read
    as text, as from a file)."""
    frame = frame.drop(columns=[ROW], errors="ignore").astype(object)
    frame = frame.where(frame.notna(), None)
    for name in frame.columns:
        frame[name] = [
            None if v is None or str(v).strip() == "" else str(v).strip() for v in frame[name]
        ]
    frame[ROW] = range(1, len(frame) + 1)
    return _import(frame, run_committed, timezone, source, progress, batch_rows, now)


def import_answers_file(
    path: Path,
    run_committed: RunCommitted,
    *,
    timezone: str,
    rejects: Path | None = None,
    progress: Progress | None = None,
    batch_rows: int = survey_answers.BATCH_ROWS,
    now: datetime | None = None,
) -> ImportReport:
    """Import a CSV or Parquet file of answers; write rejected rows to ``rejects``."""
    source = read_table(path, survey_answers.REQUIRED)
    report = _import(
        source, run_committed, timezone, AnswerSource.IMPORT.value, progress, batch_rows, now
    )
    if rejects is not None:
        write_table(report.rejects(source), rejects)
    return report


def _import(
    frame: pd.DataFrame,
    run_committed: RunCommitted,
    timezone: str,
    source: str,
    progress: Progress | None,
    batch_rows: int,
    now: datetime | None,
) -> ImportReport:
    now = now or datetime.now(UTC)
    report = ImportReport(kind="answers", rows=len(frame))
    good, errors = survey_answers.check_answers(frame, timezone)
    report.errors.extend(errors)
    done = report.rows - len(good)
    if progress:
        progress(done, report.rows)
    for batch in survey_answers.batches(good, batch_rows):
        run_committed(
            partial(
                survey_answers.write_answers, batch=batch, source=source, now=now, report=report
            )
        )
        done += len(batch)
        if progress:
            progress(done, report.rows)
    return report


def summary(report: ImportReport) -> str:
    return (
        f"{report.rows:,} rows read, {report.added:,} answers added, "
        f"{report.already_present:,} already present, {report.rejected_rows:,} rows rejected"
    )
