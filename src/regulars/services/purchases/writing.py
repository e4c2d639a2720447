"""Checked purchase lines into the store: the one write path of both runners.

The vectorised checks (:mod:`~regulars.services.purchases.batch`) and the row-by-row ones
(:mod:`~regulars.services.purchases.rows`) both hand their good lines here, column by
column, a batch at a time. Here the purchases' :data:`~regulars.domain.purchases.REFERENCES`
are resolved — a purchase whose member or original purchase is unknown is rejected whole,
every line saying why — and the rest goes to :func:`regulars.store.purchases.add`. Plain
Python over lists: a request of one purchase pays microseconds for it, and a file's batch
of 50,000 lines a few milliseconds (its columns become Python values for the driver
anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from regulars.domain.purchases import MEMBER, ORIGINAL, REFERENCES, Reference
from regulars.services.imports.checks import RowError
from regulars.services.imports.report import ImportReport
from regulars.store import members as member_store
from regulars.store import purchases as purchase_store
from regulars.store.unit_of_work import UnitOfWork

Lines = Mapping[str, Sequence[Any]]
"""Good lines column by column (``_row`` and :data:`~regulars.domain.purchases.COLUMNS`,
lists of Python values, blanks as None)."""

HEAD_COLUMNS = ("occurred_at", "store", "channel", "employee", "kind")
LINE_COLUMNS = ("line_no", "product", "category", "quantity", "amount")
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
    purchase = lines["purchase_id"]
    count = len(purchase)
    if not count:
        return
    starts = [0, *(i for i in range(1, count) if purchase[i] != purchase[i - 1])]
    ends = [*starts[1:], count]
    keep = [True] * len(starts)
    ids: dict[str, list[int | None]] = {}
    for reference in REFERENCES:
        column = lines[reference.field]
        given = [column[start] for start in starts]
        wanted = {g for g, kept in zip(given, keep, strict=True) if kept and g is not None}
        found = LOOKUPS[reference](uow.connection, sorted(wanted)) if wanted else {}
        ids[reference.field] = [None if g is None else found.get(g) for g in given]
        for head, g in enumerate(given):
            if keep[head] and g is not None and g not in found:
                keep[head] = False
                report.errors.extend(
                    RowError(lines["_row"][row], reference.field, str(g), reference.reason)
                    for row in range(starts[head], ends[head])
                )
    heads = [head for head, kept in enumerate(keep) if kept]
    if not heads:
        return
    owner: list[int] = []
    for position, head in enumerate(heads):
        owner += [position] * (ends[head] - starts[head])
    if len(heads) == len(starts):
        line: dict[str, Sequence[Any]] = {name: lines[name] for name in LINE_COLUMNS}
    else:
        taken = [row for head in heads for row in range(starts[head], ends[head])]
        line = {name: [lines[name][row] for row in taken] for name in LINE_COLUMNS}
    first = [starts[head] for head in heads]
    added = purchase_store.add(
        uow.connection,
        {
            "external_id": [purchase[row] for row in first],
            **{name: [lines[name][row] for row in first] for name in HEAD_COLUMNS},
            "member_id": [ids[MEMBER.field][head] for head in heads],
            "original_id": [ids[ORIGINAL.field][head] for head in heads],
        },
        {"purchase": owner, **line},
    )
    report.added += len(added)
    if report.added_ids is not None:
        report.added_ids.update(added)
    report.already_present += len(heads) - len(added)
