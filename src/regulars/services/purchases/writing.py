"""Checked purchase lines into the store: the one write path of both runners.

The vectorised checks (:mod:`~regulars.services.purchases.batch`) and the row-by-row ones
(:mod:`~regulars.services.purchases.rows`) both hand their good lines here, column by
column, a batch at a time. Here the purchases' :data:`~regulars.domain.purchases.REFERENCES`
are resolved — a purchase whose member or original purchase is unknown is rejected whole,
every line saying why — and the rest goes to :func:`regulars.store.purchases.add`. No
pandas here (numpy, and Python loops over a batch's purchases), so that a request of one
purchase pays microseconds for it and a file's batch of 50,000 lines little more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from regulars.domain.purchases import HEAD, MEMBER, ORIGINAL, REFERENCES, Reference
from regulars.services.imports.checks import RowError
from regulars.services.imports.report import ImportReport
from regulars.store import members as member_store
from regulars.store import purchases as purchase_store
from regulars.store.unit_of_work import UnitOfWork

Lines = Mapping[str, "Sequence[Any] | np.ndarray[Any, Any]"]
"""Good lines column by column (``_row`` and :data:`~regulars.domain.purchases.COLUMNS`,
blanks as None), as the checks return them."""

TEXT = frozenset((*HEAD, "product", "category"))
LOOKUPS: dict[Reference, Callable[[Any, Iterable[str]], dict[str, int]]] = {
    MEMBER: member_store.ids_by_external_id,
    ORIGINAL: purchase_store.ids_by_external_id,
}


def write_purchases(uow: UnitOfWork, lines: Lines, report: ImportReport) -> None:
    """Write one batch of good lines in the caller's transaction; count it in ``report``.

    The lines of a purchase come together (sorted by purchase id, then line number), and a
    batch holds either sales or refunds and returns, sales written first
    (:func:`~regulars.domain.purchases.written_after_sales`).
    """
    column = {
        name: np.asarray(values, dtype=object if name in TEXT else None)
        for name, values in lines.items()
    }
    purchase = column["purchase_id"]
    if not len(purchase):
        return
    starts = np.flatnonzero(np.concatenate(([True], purchase[1:] != purchase[:-1])))
    owner = np.repeat(
        np.arange(len(starts)), np.concatenate((starts[1:], [len(purchase)])) - starts
    )
    keep = np.ones(len(starts), dtype=bool)
    ids: dict[str, np.ndarray[Any, Any]] = {}
    for reference in REFERENCES:
        given = column[reference.field][starts]
        wanted = {g for g in given[keep] if g is not None}
        found = LOOKUPS[reference](uow.connection, sorted(wanted)) if wanted else {}
        ids[reference.field] = np.array([found.get(g) for g in given], dtype=object)
        unknown = keep & np.array([g is not None and g not in found for g in given], dtype=bool)
        if unknown.any():
            rejected = np.flatnonzero(unknown[owner])
            report.errors.extend(
                RowError(int(r), reference.field, str(v), reference.reason)
                for r, v in zip(
                    column["_row"][rejected], column[reference.field][rejected], strict=True
                )
            )
            keep &= ~unknown
    if not keep.any():
        return
    heads = starts[keep]
    kept = keep[owner]
    added = purchase_store.add(
        uow.connection,
        {
            "external_id": purchase[heads],
            "member_id": ids[MEMBER.field][keep],
            "occurred_at": column["occurred_at"][heads],
            "store": column["store"][heads],
            "channel": column["channel"][heads],
            "employee": column["employee"][heads],
            "kind": column["kind"][heads],
            "original_id": ids[ORIGINAL.field][keep],
        },
        {
            "purchase": (np.cumsum(keep) - 1)[owner[kept]],
            **{
                name: column[name][kept]
                for name in ("line_no", "product", "category", "quantity", "amount")
            },
        },
    )
    report.added += len(added)
    report.already_present += int(keep.sum()) - len(added)
