"""Purchases in bulk: the rules of :mod:`regulars.domain.purchases`, run on whole columns.

File columns (required: purchase_id, occurred_at, product, amount): purchase_id,
member_id (blank: an anonymous purchase), occurred_at, store, channel (store | web | app |
phone, default store), employee, kind (sale | refund | return, default sale),
original_purchase_id (required for refunds and returns), line_no, product, category,
quantity (default 1), amount (minor units; refunds may be written either sign).

A purchase is all or nothing: if one of its lines is rejected, none is written, and every
line says why. Stores, employees, categories and products seen for the first time are
registered under their code. Sales are written before refunds and returns, so a refund may
come before its sale in the file. Purchases already in the store are skipped, never changed.

This runner is for files and big API batches: each rule is one operation on a whole column
(pandas, Arrow), which is what keeps an import of a million lines fast. It states no rule of
its own — the rules are the domain's data, read here — and writes through
:func:`regulars.services.purchases.writing.write_purchases`, as the row runner does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from regulars.domain import purchases as rules
from regulars.domain.purchases import (
    COLUMNS,
    REQUIRED,
    All,
    Among,
    Condition,
    Given,
    Not,
    PurchaseKind,
    Same,
)
from regulars.services.imports.checks import RowChecks, RowError, sql_timestamps, text_frame
from regulars.services.imports.report import ImportReport
from regulars.services.purchases import writing
from regulars.store.unit_of_work import UnitOfWork

__all__ = [
    "BATCH_ROWS",
    "COLUMNS",
    "REQUIRED",
    "batches",
    "check_purchases",
    "record_lines",
    "write_purchases",
]

BATCH_ROWS = 50_000
KINDS = frozenset(k.value for k in PurchaseKind)
BLANKABLE = ("member_id", "store", "employee", "original_purchase_id", "category")


def check_purchases(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and normalise the lines; return the good ones and every error.

    The good frame has columns ``_row, purchase_id, member_id, occurred_at (UTC strings),
    store, channel, employee, kind, original_purchase_id, line_no, product, category,
    quantity, amount`` with signed quantities and amounts.
    """
    frame = frame.copy()
    for name in COLUMNS:
        if name not in frame:
            frame[name] = None
    checks = RowChecks(frame)
    checked = checks.fields(rules.FIELDS, timezone)
    # the line as the line rules read it: choices as checked, the rest as given
    line = {f.name: checked[f.name] if f.choices else frame[f.name] for f in rules.FIELDS}
    for rule in rules.LINE_RULES:
        checks.flag(_holds(rule.when, line), rule.field, rule.reason)
    group = pd.factorize(frame["purchase_id"])[0]
    # Each line must agree with the first line of its purchase on every shared field.
    uniques, first_line = np.unique(group, return_index=True)
    leader = first_line[np.searchsorted(uniques, group)]
    for name in rules.SHARED:
        codes = pd.factorize(frame[name])[0]
        checks.flag((codes != codes[leader]) & (group >= 0), name, rules.DIFFERS)
    position = pd.Series(group, index=frame.index).groupby(group).cumcount() + 1
    numbered = checked["line_no"].fillna(position)
    clash = pd.DataFrame({"g": group, "n": numbered.to_numpy()}).duplicated(keep="first")
    checks.flag(clash.to_numpy() & (group >= 0), "line_no", rules.REPEATED_LINE)
    kind = checked["kind"]
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            **{name: frame[name] for name in COLUMNS},
            "occurred_at": checked["occurred_at"],
            "channel": checked["channel"],
            "kind": kind,
            "line_no": numbered,
            "quantity": _signed(kind, checked["quantity"], rules.signed),
            "amount": _signed(kind, checked["amount"].fillna(0), rules.signed_amount),
        }
    )
    errors = _whole_purchases(frame, checks)
    good = good[~checks.bad]
    good["occurred_at"] = sql_timestamps(good["occurred_at"])
    good["line_no"] = good["line_no"].astype("int64")
    good["quantity"] = good["quantity"].astype("int64")
    good["amount"] = good["amount"].astype("int64")
    return good, errors


def _holds(condition: Condition, line: dict[str, pd.Series]) -> np.ndarray[Any, Any]:
    """Where ``condition`` holds, one row at a time — as ``condition.holds`` says for one."""
    match condition:
        case Given(field):
            return line[field].notna().to_numpy()
        case Among(field, values):
            return line[field].isin(values).to_numpy()
        case Same(field, other):
            return line[field].notna().to_numpy() & (line[field] == line[other]).to_numpy()
        case Not(inner):
            return ~_holds(inner, line)
        case All(conditions):
            holds: np.ndarray[Any, Any] = np.logical_and.reduce(
                [_holds(c, line) for c in conditions]
            )
            return holds
    raise TypeError(f"unknown condition {condition!r}")


def _signed(
    kind: pd.Series, values: pd.Series, rule: Callable[[str, int], int]
) -> np.ndarray[Any, Any]:
    """A sign rule of :mod:`regulars.domain.purchases` (``signed``, ``signed_amount``) on a
    column: the rule is asked once per kind and sign, and its sign applied to the magnitudes
    (rejected kinds keep theirs)."""
    plus: dict[str, int] = {}
    minus: dict[str, int] = {}
    for k in kind.dropna().unique():
        if k in KINDS:  # other kinds are rejected lines
            plus[k], minus[k] = rule(k, 1), rule(k, -1)
    number = values.to_numpy(dtype="float64")
    sign = np.where(
        number >= 0,
        kind.map(plus).to_numpy(dtype="float64", na_value=1),
        kind.map(minus).to_numpy(dtype="float64", na_value=1),
    )
    stored: np.ndarray[Any, Any] = np.abs(number) * sign
    return stored


def _whole_purchases(frame: pd.DataFrame, checks: RowChecks) -> list[RowError]:
    """Reject every line of a purchase one of whose lines was rejected."""
    ids = frame["purchase_id"]
    bad_ids = set(ids[checks.bad].dropna())
    sibling = ids.isin(bad_ids).to_numpy() & ~checks.bad
    if sibling.any():
        first_bad = (
            frame.loc[checks.bad & ids.notna().to_numpy()].groupby("purchase_id")["_row"].min()
        )
        rows = frame.loc[sibling, ["_row", "purchase_id"]]
        checks.bad |= sibling
        checks.errors.extend(
            RowError(int(r), "purchase_id", p, rules.sibling_rejected(int(first_bad[p])))
            for r, p in zip(rows["_row"], rows["purchase_id"], strict=True)
        )
    return checks.errors


def batches(good: pd.DataFrame, size: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """Split into batches of about ``size`` lines, never cutting a purchase, sales first."""
    after = good["kind"].map({k: rules.written_after_sales(k) for k in good["kind"].unique()})
    for later in (False, True):
        part = good[(after == later).to_numpy()]
        if part.empty:
            continue
        part = part.sort_values(["purchase_id", "line_no"], kind="stable")
        starts = (
            np.flatnonzero(
                part["purchase_id"].to_numpy()[1:] != part["purchase_id"].to_numpy()[:-1]
            )
            + 1
        )
        cut = 0
        for boundary in [*starts.tolist(), len(part)]:
            if boundary - cut >= size or boundary == len(part):
                yield part.iloc[cut:boundary]
                cut = boundary


def write_purchases(uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport) -> None:
    """Write one checked batch (whole purchases) in the caller's transaction."""
    lines: dict[str, list[Any]] = {}
    for name in ("_row", *COLUMNS):
        column = batch[name]
        if name in BLANKABLE:
            column = column.astype(object).where(column.notna(), None)
        lines[name] = column.tolist()
    writing.write_purchases(uow, lines, report)


def record_lines(
    uow: UnitOfWork,
    lines: list[dict[str, Any]],
    timezone: str,
    report: ImportReport | None = None,
) -> ImportReport:
    """Check and write purchase lines given as records (one per line, JSON values), into
    ``report`` if given."""
    frame = text_frame(lines, COLUMNS)
    report = report or ImportReport(kind="purchases", rows=len(frame))
    good, errors = check_purchases(frame, timezone)
    report.errors.extend(errors)
    for batch in batches(good):
        write_purchases(uow, batch, report)
    return report
