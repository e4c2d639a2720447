"""Purchase use cases for the API: write through the import checks, read back."""

from __future__ import annotations

from typing import Any

from regulars.services.errors import NotFound
from regulars.services.imports.report import ImportReport
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.members import text_frame
from regulars.services.purchases import batch as purchase_import
from regulars.services.purchases import rows as purchase_rows
from regulars.store import purchases as purchase_store
from regulars.store.unit_of_work import UnitOfWork

HEAD_FIELDS = (
    "purchase_id",
    "member_id",
    "occurred_at",
    "store",
    "channel",
    "employee",
    "kind",
    "original_purchase_id",
)
LINE_FIELDS = ("line_no", "product", "category", "quantity", "amount")


def record_purchases(
    uow: UnitOfWork, records: list[dict[str, Any]], timezone: str
) -> tuple[ImportReport, list[int]]:
    """Write purchases given as ``{head fields..., "lines": [{...}, ...]}``.

    Returns the report (errors numbered by line row) and, for each row, the 1-based index of
    the purchase it came from, so the caller can say which purchase an error belongs to.
    """
    owner = [i for i, r in enumerate(records, start=1) for _ in r.get("lines") or [{}]]
    report = ImportReport(kind="purchases", rows=len(owner))
    if not purchase_rows.write_if_plain(uow, records, report):
        report = _record_checked(uow, records, timezone)
    # Purchases recorded through the API earn in the same transaction (idempotent per purchase).
    loyalty_accrual.accrue_purchases(
        uow, [str(r["purchase_id"]) for r in records if r.get("purchase_id")]
    )
    return report, owner


def _record_checked(uow: UnitOfWork, records: list[dict[str, Any]], timezone: str) -> ImportReport:
    """The import path: every line through the checks of :mod:`purchase_import`."""
    rows: list[dict[str, Any]] = []
    for record in records:
        for position, line in enumerate(record.get("lines") or [{}], start=1):
            rows.append(
                {
                    **{f: record.get(f) for f in HEAD_FIELDS},
                    **{f: line.get(f) for f in LINE_FIELDS},
                    "line_no": line.get("line_no") or position,
                }
            )
    frame = text_frame(rows, purchase_import.COLUMNS)
    report = ImportReport(kind="purchases", rows=len(frame))
    good, errors = purchase_import.check_purchases(frame, timezone)
    report.errors.extend(errors)
    for batch in purchase_import.batches(good):
        purchase_import.write_purchases(uow, batch, report)
    return report


def get_purchase(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    found = purchase_store.with_codes(uow.connection, external_id)
    if found is None:
        raise NotFound(f"no purchase with id {external_id!r}")
    return found
