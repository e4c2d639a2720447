"""Small API writes without pandas: the import path's happy path, row by row.

A till posts one sale at a time, and for one row the vectorised checks of
:mod:`regulars.services.purchases.batch` cost far more than the write itself (pandas' fixed
cost per operation, some forty of them). So when every purchase of a small request is
plainly valid — its id unique in the request, times with an offset, nothing the checks
would reject, every member and original purchase already known — it is normalised and
written here, into exactly the rows the import path writes (a property test holds the two
to that). Anything else returns ``False`` before writing, and the caller takes the import
path, whose checks say precisely what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from regulars.domain.purchases import PurchaseKind, SalesChannel
from regulars.services.imports.report import ImportReport
from regulars.services.members import text_value
from regulars.store import catalogue
from regulars.store import members as member_store
from regulars.store import purchases as purchase_store
from regulars.store.unit_of_work import UnitOfWork

MAX_LINES = 200
"""Requests with more lines than this take the import path (pandas wins on volume)."""
TEXT_FIELDS = ("purchase_id", "member_id", "store", "employee", "original_purchase_id")
KINDS = {k.value for k in PurchaseKind}
CHANNELS = {c.value for c in SalesChannel}
UNDO = ("refund", "return")


def write_if_plain(uow: UnitOfWork, records: list[dict[str, Any]], report: ImportReport) -> bool:
    """Write ``records`` (as
    :func:`regulars.services.purchases.recording.record_purchases` takes them)
    and count them in ``report`` if all are plainly valid; else write nothing, return False."""
    rows = _plain_rows(records)
    if rows is None:
        return False
    connection = uow.connection
    members = _resolved(member_store.ids_by_external_id, connection, {r["member_id"] for r in rows})
    originals = _resolved(
        purchase_store.ids_by_external_id, connection, {r["original_purchase_id"] for r in rows}
    )
    if members is None or originals is None:
        return False
    for undo in (False, True):  # sales first, as the import writes them
        group = [r for r in rows if (r["kind"] in UNDO) == undo]
        group.sort(key=lambda r: (r["purchase_id"], r["line_no"]))
        if group:
            _write(connection, group, members, originals, report)
    return True


def _plain_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """One normalised row per line, as ``purchase_import.check_purchases`` returns them, or
    None if any purchase is not plainly valid."""
    if sum(len(r.get("lines") or ()) for r in records) > MAX_LINES:
        return None
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for record in records:
        head = {f: text_value(record.get(f)) for f in TEXT_FIELDS}
        kind = (text_value(record.get("kind")) or "sale").lower()
        channel = (text_value(record.get("channel")) or "store").lower()
        at = record.get("occurred_at")
        pid, original = head["purchase_id"], head["original_purchase_id"]
        if (
            pid is None
            or pid in seen
            or any(v is not None and len(v) > 64 for v in head.values())
            or kind not in KINDS
            or channel not in CHANNELS
            or (kind in UNDO) != (original is not None)
            or original == pid
            or not isinstance(at, datetime)
            or at.utcoffset() is None
            or not 1678 <= at.year <= 2261  # pandas' range: the import path rejects the rest
            or not record.get("lines")
        ):
            return None
        seen.add(pid)
        sign = -1 if kind in UNDO else 1
        when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        numbers: set[int] = set()
        for position, line in enumerate(record["lines"], start=1):
            product = text_value(line.get("product"))
            category = text_value(line.get("category"))
            quantity = 1 if line.get("quantity") is None else line["quantity"]
            amount, number = line.get("amount"), line.get("line_no") or position
            if (
                product is None
                or len(product) > 64
                or (category is not None and len(category) > 64)
                or not all(_whole(v) for v in (quantity, amount, number))
                or quantity == 0
                or number < 1
                or number in numbers
            ):
                return None
            numbers.add(number)
            rows.append(
                {
                    **head,
                    "occurred_at": when,
                    "kind": kind,
                    "channel": channel,
                    "line_no": number,
                    "product": product,
                    "category": category,
                    "quantity": abs(quantity) * sign,
                    "amount": abs(amount) * sign,
                }
            )
    return rows


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _resolved(lookup: Any, connection: Connection, given: set[str | None]) -> dict[str, int] | None:
    """External id -> id for the ids given; None if one of them is unknown."""
    wanted = {g for g in given if g is not None}
    found: dict[str, int] = lookup(connection, sorted(wanted)) if wanted else {}
    return found if len(found) == len(wanted) else None


def _write(
    connection: Connection,
    rows: list[dict[str, Any]],
    members: dict[str, int],
    originals: dict[str, int],
    report: ImportReport,
) -> None:
    """``purchase_import.write_purchases`` for one group of checked, resolved rows."""
    stores = catalogue.ensure_codes(connection, catalogue.stores, _given(rows, "store"))
    employees = catalogue.ensure_codes(connection, catalogue.employees, _given(rows, "employee"))
    categories = catalogue.ensure_codes(connection, catalogue.categories, _given(rows, "category"))
    first_category: dict[str, str | None] = {}
    for r in rows:
        first_category.setdefault(r["product"], r["category"])
    products = catalogue.ensure_products(
        connection, {p: categories.get(c) if c else None for p, c in first_category.items()}
    )
    heads: dict[str, dict[str, Any]] = {}
    totals: dict[str, int] = {}
    for r in rows:
        heads.setdefault(r["purchase_id"], r)
        totals[r["purchase_id"]] = totals.get(r["purchase_id"], 0) + r["amount"]
    added = purchase_store.insert_purchases(
        connection,
        {
            "external_id": list(heads),
            "member_id": [_id(members, h["member_id"]) for h in heads.values()],
            "occurred_at": [h["occurred_at"] for h in heads.values()],
            "store_id": [_id(stores, h["store"]) for h in heads.values()],
            "channel": [h["channel"] for h in heads.values()],
            "employee_id": [_id(employees, h["employee"]) for h in heads.values()],
            "kind": [h["kind"] for h in heads.values()],
            "original_id": [_id(originals, h["original_purchase_id"]) for h in heads.values()],
            "total_amount": [totals[p] for p in heads],
        },
    )
    report.added += len(added)
    report.already_present += len(heads) - len(added)
    lines = [r for r in rows if r["purchase_id"] in added]
    if lines:
        purchase_store.insert_lines(
            connection,
            {
                "purchase_id": [added[r["purchase_id"]] for r in lines],
                "line_no": [r["line_no"] for r in lines],
                "product_id": [products[r["product"]] for r in lines],
                "category_id": [_id(categories, r["category"]) for r in lines],
                "quantity": [r["quantity"] for r in lines],
                "amount": [r["amount"] for r in lines],
            },
        )


def _given(rows: list[dict[str, Any]], field: str) -> set[str]:
    return {r[field] for r in rows if r[field] is not None}


def _id(ids: dict[str, int], code: str | None) -> int | None:
    return None if code is None else ids.get(code)
