"""The answer of a batch write, in which each item is accepted or rejected alone.

``{<counts>, "rejected": n, "results": [{"index", <the item's id>, "status", "errors"}]}``:
``index`` is the item's 1-based place in the request, ``status`` is ``ok`` or ``rejected``,
and each error is ``{"field", "value", "reason"}`` — with ``"line"`` first, the 1-based line
within the item, when items have lines (a purchase's lines are the report's rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from regulars.services.imports.report import ImportReport

ItemErrors = dict[int, list[dict[str, Any]]]
"""Errors by the 1-based index of the item in the request."""


def item_errors(report: ImportReport, owner: Sequence[int] | None = None) -> ItemErrors:
    """The report's errors by item.

    Without ``owner`` every row of the report is an item. With it, ``owner[row - 1]`` is the
    item a row belongs to, and each error says on which of the item's lines it is.
    """
    first_row: dict[int, int] = {}
    for row, item in enumerate(owner or (), start=1):
        first_row.setdefault(item, row)
    errors: ItemErrors = {}
    for error in report.sorted_errors():
        detail: dict[str, Any] = {
            "field": error.field,
            "value": error.value,
            "reason": error.reason,
        }
        item = error.row
        if owner is not None:
            item = owner[error.row - 1]
            detail = {"line": error.row - first_row[item] + 1, **detail}
        errors.setdefault(item, []).append(detail)
    return errors


def batch_answer(
    counts: Mapping[str, int], id_field: str, ids: Sequence[str], errors: ItemErrors
) -> dict[str, Any]:
    """The answer: ``counts`` (added, updated…), how many items were rejected, and one
    result per item, named by its ``id_field``."""
    results = [
        {
            "index": index,
            id_field: item_id,
            "status": "rejected" if index in errors else "ok",
            "errors": errors.get(index, []),
        }
        for index, item_id in enumerate(ids, start=1)
    ]
    return {**counts, "rejected": len(errors), "results": results}


def in_request_order(errors: ItemErrors, places: Sequence[int], rejected: ItemErrors) -> ItemErrors:
    """The errors of the items a service was given (by their index among them, ``places[i-1]``
    being each one's index in the request) with the items rejected before it."""
    merged = {places[index - 1]: found for index, found in errors.items()}
    return dict(sorted({**merged, **rejected}.items()))
