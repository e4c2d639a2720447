"""Small API writes without pandas: the rules of :mod:`regulars.domain.purchases`, run one
line at a time.

A till posts one sale at a time, and for a few lines the vectorised checks of
:mod:`~regulars.services.purchases.batch` cost far more than the write itself (pandas' fixed
cost per operation, some forty of them). This runner applies the very same rule data —
:data:`~regulars.domain.purchases.FIELDS`, ``LINE_RULES``, ``SHARED``, line numbering, whole
purchases, the sign rule — in the same order, giving the same good lines and the same
errors, and writes through the same
:func:`~regulars.services.purchases.writing.write_purchases`. It states no rule of its own.

What it does not do is read text as numbers or times: only the vectorised parsers do that.
So it takes a request only when :func:`readable` — at most :data:`MAX_LINES` lines, whole
numbers given as ``int`` and times as ``datetime`` with an offset, which both runners
read alike — and the caller sends any other request to the vectorised runner.
``tests/integration/services/test_purchase_rows.py`` holds the two runners to the same
lines, errors and stored rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from regulars.domain import purchases as rules
from regulars.domain.fields import (
    OUTSIDE_DATES,
    REQUIRED,
    Check,
    checks_in_order,
    not_one_of,
    outside_dates,
    text_value,
    too_long,
)
from regulars.domain.purchases import COLUMNS
from regulars.domain.times import as_utc
from regulars.services.imports.checks import RowError
from regulars.services.imports.report import ImportReport
from regulars.services.purchases import writing
from regulars.store.unit_of_work import UnitOfWork

MAX_LINES = 200
"""Requests with more lines than this take the vectorised runner (pandas wins on volume)."""
EXACT = 2**53
"""The vectorised parser reads numbers as float64: exact up to here."""
STORED = "%Y-%m-%d %H:%M:%S.%f"
"""How the store is handed a time (UTC), as the vectorised runner writes it."""
EARLIEST, LATEST = 1678, 2261
"""Years the vectorised parser holds whole (pandas' nanosecond range)."""


def readable(lines: list[dict[str, Any]]) -> bool:
    """Whether this runner reads every value of ``lines`` exactly as the vectorised one."""
    whole = [f.name for f in rules.FIELDS if f.whole]
    moments = [f.name for f in rules.FIELDS if f.moment]
    return len(lines) <= MAX_LINES and all(
        all(_exact_number(line.get(name)) for name in whole)
        and all(_exact_moment(line.get(name)) for name in moments)
        for line in lines
    )


def _exact_number(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= EXACT


def _exact_moment(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, datetime):
        return False
    offset = value.utcoffset()
    return (
        offset is not None
        and offset % timedelta(minutes=1) == timedelta(0)  # written +HH:MM
        and EARLIEST <= value.year <= LATEST
    )


class _Lines:
    """The lines being checked: their cells (text, as a file would hold them), which are
    rejected, and why, in the order the rules were run."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self.given = lines
        self.cells = [{name: text_value(line.get(name)) for name in COLUMNS} for line in lines]
        self.purchase = [cell["purchase_id"] for cell in self.cells]
        self.bad = [False] * len(lines)
        self.errors: list[RowError] = []

    def flag(self, row: int, field: str, reason: str) -> None:
        self.bad[row] = True
        self.errors.append(RowError(row + 1, field, self.cells[row][field], reason))


def check_lines(lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The good lines and every error, as :func:`~regulars.services.purchases.batch.
    check_purchases` gives them for the same lines (rows numbered from 1)."""
    checking = _Lines(lines)
    checked = _fields(checking)
    seen = [
        {**cell, **{f.name: checked[f.name][row] for f in rules.FIELDS if f.choices}}
        for row, cell in enumerate(checking.cells)
    ]
    for rule in rules.LINE_RULES:
        for row, line in enumerate(seen):
            if rule.when.holds(line):
                checking.flag(row, rule.field, rule.reason)
    _shared(checking)
    numbered = _numbered(checking, checked["line_no"])
    _whole_purchases(checking)
    good = []
    for row, cell in enumerate(checking.cells):
        if checking.bad[row]:
            continue
        kind = checked["kind"][row]
        good.append(
            {
                "_row": row + 1,
                **cell,
                "occurred_at": as_utc(checked["occurred_at"][row]).strftime(STORED),
                "channel": checked["channel"][row],
                "kind": kind,
                "line_no": numbered[row],
                "quantity": rules.signed(kind, checked["quantity"][row]),
                "amount": rules.signed_amount(kind, checked["amount"][row]),
            }
        )
    return good, checking.errors


def _fields(checking: _Lines) -> dict[str, list[Any]]:
    """Each field's own rules, pass by pass; the checked values of choices (chosen),
    whole numbers (blanks given their default) and times."""
    cells = checking.cells
    checked: dict[str, list[Any]] = {}
    for check, spec in checks_in_order(rules.FIELDS):
        name = spec.name
        if check is Check.REQUIRED:
            for row, cell in enumerate(cells):
                if cell[name] is None:
                    checking.flag(row, name, REQUIRED)
        elif check is Check.LENGTH:
            for row, cell in enumerate(cells):
                if spec.is_too_long(cell[name]):
                    checking.flag(row, name, too_long(spec.max_length or 0))
        elif check is Check.CHOICE:
            checked[name] = [spec.chosen(cell[name]) for cell in cells]
            for row, chosen in enumerate(checked[name]):
                if not spec.is_choice(chosen):
                    checking.flag(row, name, not_one_of(spec.choices))
        elif check is Check.WHOLE:  # readable: ints or None, never text
            numbers: list[int | None] = [line.get(name) for line in checking.given]
            for reason, broken_by in spec.bounds():
                for row, number in enumerate(numbers):
                    if number is not None and broken_by(number):
                        checking.flag(row, name, reason)
            checked[name] = [spec.default if n is None else n for n in numbers]
        else:  # readable: datetimes with an offset, or None
            moments: list[datetime | None] = [line.get(name) for line in checking.given]
            for row, moment in enumerate(moments):
                if moment is not None and outside_dates(as_utc(moment).date()):
                    checking.flag(row, name, OUTSIDE_DATES)
                    moments[row] = None
            checked[name] = moments
    return checked


def _shared(checking: _Lines) -> None:
    """Every line of a purchase gives the shared fields as its first line does."""
    leader: dict[str | None, int] = {}
    for row, pid in enumerate(checking.purchase):
        leader.setdefault(pid, row)
    cells = checking.cells
    for name in rules.SHARED:
        for row, pid in enumerate(checking.purchase):
            if pid is not None and cells[row][name] != cells[leader[pid]][name]:
                checking.flag(row, name, rules.DIFFERS)


def _numbered(checking: _Lines, given: list[int | None]) -> list[int]:
    """Line numbers (a line without one takes its position in its purchase), each once."""
    numbered: list[int] = []
    positions: dict[str | None, int] = {}
    taken: set[tuple[str, int]] = set()
    for row, pid in enumerate(checking.purchase):
        positions[pid] = positions.get(pid, 0) + 1
        number = given[row]
        numbered.append(positions[pid] if number is None else number)
        if pid is not None:
            if (pid, numbered[row]) in taken:
                checking.flag(row, "line_no", rules.REPEATED_LINE)
            taken.add((pid, numbered[row]))
    return numbered


def _whole_purchases(checking: _Lines) -> None:
    """Reject every line of a purchase one of whose lines was rejected."""
    first_bad: dict[str, int] = {}
    for row, pid in enumerate(checking.purchase):
        if checking.bad[row] and pid is not None:
            first_bad.setdefault(pid, row + 1)
    siblings = [
        row
        for row, pid in enumerate(checking.purchase)
        if not checking.bad[row] and pid in first_bad
    ]
    for row in siblings:
        pid = checking.purchase[row]
        assert pid is not None
        reason = rules.sibling_rejected(first_bad[pid])
        checking.errors.append(RowError(row + 1, "purchase_id", pid, reason))
        checking.bad[row] = True


def record_lines(
    uow: UnitOfWork,
    lines: list[dict[str, Any]],
    report: ImportReport | None = None,
    kept: list[dict[str, Any]] | None = None,
) -> ImportReport:
    """Check and write :func:`readable` purchase lines in the caller's transaction (into
    ``report`` if given); ``kept`` receives the good lines as they were written."""
    report = report or ImportReport(kind="purchases", rows=len(lines))
    good, errors = check_lines(lines)
    if kept is not None:
        kept += good
    report.errors.extend(errors)
    for later in (False, True):  # sales first, as the vectorised runner writes them
        group = [g for g in good if rules.written_after_sales(g["kind"]) == later]
        group.sort(key=lambda g: (g["purchase_id"], g["line_no"]))
        if group:
            writing.write_purchases(
                uow, {name: [g[name] for g in group] for name in ("_row", *COLUMNS)}, report
            )
    return report
