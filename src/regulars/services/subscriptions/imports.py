"""Plans, contracts, plan changes and bills from files, through the import machinery of
:mod:`regulars.services.imports.files` (the same row errors, rejects file and exit codes as
members and purchases): every row checked first, then written batch by batch, each batch a
transaction of its own (``run_committed``), so a killed import leaves whole batches and
running it again finishes the job.

File columns (required first; see README's "Data in"):

- ``plans``: code, name, monthly_fee; category, commitment_months
- ``subscriptions``: subscription_id, member_id, plan, monthly_fee, started_on; committed_until,
  cancelled_on, cancel_reason, competitor, channel, device
- ``plan-changes``: subscription_id, changed_on, from_plan, to_plan, fee_before, fee_after;
  change_id
- ``bills``: subscription_id, month, amount; member_id, data_gb, voice_minutes, usage
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pandas as pd

from regulars.services.imports.checks import RowError
from regulars.services.imports.report import ImportReport
from regulars.services.subscriptions import checks, writing
from regulars.services.unit_of_work import RunCommitted
from regulars.store.unit_of_work import UnitOfWork

SubscriptionKind = Literal["plans", "subscriptions", "plan-changes", "bills"]
Checks = Callable[[pd.DataFrame, str], tuple[pd.DataFrame, list[RowError]]]
Write = Callable[[UnitOfWork, pd.DataFrame, datetime, ImportReport], list[str] | None]


@dataclass(frozen=True)
class Kind:
    """One kind of subscription file: its columns, its checks, how a batch is written."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    check: Checks
    write: Write
    batch_rows: int


KINDS: dict[str, Kind] = {
    "plans": Kind(
        "plans",
        checks.PLAN_COLUMNS,
        ("code", "name", "monthly_fee"),
        checks.check_plans,
        lambda uow, batch, now, report: writing.write_plans(uow, batch, report),
        5_000,
    ),
    "subscriptions": Kind(
        "subscriptions",
        checks.CONTRACT_COLUMNS,
        ("subscription_id", "member_id", "plan", "monthly_fee", "started_on"),
        checks.check_contracts,
        writing.write_contracts,
        20_000,
    ),
    "plan-changes": Kind(
        "plan changes",
        checks.CHANGE_COLUMNS,
        ("subscription_id", "changed_on", "from_plan", "to_plan", "fee_before", "fee_after"),
        checks.check_changes,
        lambda uow, batch, now, report: writing.write_changes(uow, batch, report),
        50_000,
    ),
    "bills": Kind(
        "bills",
        checks.BILL_COLUMNS,
        ("subscription_id", "month", "amount"),
        checks.check_bills,
        lambda uow, batch, now, report: writing.write_bills(uow, batch, report),
        100_000,
    ),
}
"""The kinds, by the name ``regulars import`` gives them."""


def _batches(good: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(good), size):
        yield good.iloc[start : start + size]


def import_rows(
    kind: SubscriptionKind,
    source: pd.DataFrame,
    run_committed: RunCommitted,
    *,
    timezone: str,
    progress: Callable[[int, int], None] | None = None,
    batch_rows: int | None = None,
) -> tuple[ImportReport, list[str]]:
    """Check every row of ``source``, then write the good ones batch by batch; return the
    report and the ids of the contracts the import cancelled."""
    spec = KINDS[kind]
    report = ImportReport(kind=spec.name, rows=len(source))
    good, errors = spec.check(source, timezone)
    report.errors.extend(errors)
    done = report.rows - len(good)
    if progress:
        progress(done, report.rows)
    now = datetime.now(UTC)
    cancelled: list[str] = []
    for batch in _batches(good, batch_rows or spec.batch_rows):

        def write(uow: UnitOfWork, batch: pd.DataFrame = batch) -> None:
            cancelled.extend(spec.write(uow, batch, now, report) or [])

        run_committed(write)
        done += len(batch)
        if progress:
            progress(done, report.rows)
    return report, cancelled
