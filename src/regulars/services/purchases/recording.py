"""Purchase use cases for the API: record purchases through the domain's rules, read back.

A request's purchases become one record per line (:func:`lines_of`), and one of the two
runners of the rules in :mod:`regulars.domain.purchases` checks and writes them: the
row-by-row one for a small request it can read (:func:`regulars.services.purchases.rows.
readable`), the vectorised one for anything else. Both give the same report and rows.
"""

from __future__ import annotations

from typing import Any

from regulars.domain.purchases import HEAD, LINE
from regulars.domain.times import wire
from regulars.services.errors import NotFound
from regulars.services.imports.report import ImportReport
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.purchases import batch, rows
from regulars.store import purchases as purchase_store
from regulars.store.unit_of_work import UnitOfWork


def lines_of(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Purchases given as ``{head fields..., "lines": [{...}, ...]}`` as one record per line
    (a purchase without lines as one empty line, which the checks reject), and for each
    line the 1-based index of the purchase it came from. A line without a number is
    numbered by its place in its purchase."""
    lines: list[dict[str, Any]] = []
    owner: list[int] = []
    for index, record in enumerate(records, start=1):
        head = {f: record.get(f) for f in HEAD}
        for position, line in enumerate(record.get("lines") or [{}], start=1):
            given = {f: line.get(f) for f in LINE}
            lines.append({**head, **given, "line_no": given["line_no"] or position})
            owner.append(index)
    return lines, owner


def record_purchases(
    uow: UnitOfWork, records: list[dict[str, Any]], timezone: str
) -> tuple[ImportReport, list[int]]:
    """Write purchases given as ``{head fields..., "lines": [{...}, ...]}``.

    Returns the report (errors numbered by line row) and, for each row, the 1-based index of
    the purchase it came from, so the caller can say which purchase an error belongs to.
    """
    lines, owner = lines_of(records)
    report = record_lines(uow, lines, timezone)
    # Purchases recorded through the API earn in the same transaction (idempotent per purchase).
    loyalty_accrual.accrue_purchases(
        uow, [str(r["purchase_id"]) for r in records if r.get("purchase_id")]
    )
    return report, owner


def record_lines(uow: UnitOfWork, lines: list[dict[str, Any]], timezone: str) -> ImportReport:
    """Check and write purchase lines by the runner that suits them."""
    if rows.readable(lines):
        return rows.record_lines(uow, lines)
    return batch.record_lines(uow, lines, timezone)


def get_purchase(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    """A purchase with its lines, as the API shows it (times in ISO 8601 with offset)."""
    found = purchase_store.with_codes(uow.connection, external_id)
    if found is None:
        raise NotFound(f"no purchase with id {external_id!r}")
    return {**found, "occurred_at": wire(found["occurred_at"])}
