"""The checks of plans, contracts, plan changes and bills as they come in: whole columns at a
time, each failure a :class:`~regulars.services.imports.checks.RowError` (row, field,
value, reason).

The fields' rules are the domain's (:mod:`regulars.domain.subscriptions.contracts`), run by
:meth:`RowChecks.fields`; dates, months and usage figures are read here. What needs the
store (the member or contract named, a contract's start and cancellation) is judged when a
batch is written (:mod:`.writing`). Files and API bodies go through the same checks: an API
body becomes the text frame a file would be (``imports.checks.text_frame``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from regulars.domain import fields as rules
from regulars.domain.bounds import DATE_MAX, DATE_MIN, MAX_USAGE
from regulars.domain.subscriptions import contracts as spec
from regulars.services.imports.checks import RowChecks, RowError

PLAN_COLUMNS = tuple(f.name for f in spec.PLAN_FIELDS)
CONTRACT_COLUMNS = (
    "subscription_id",
    "member_id",
    "plan",
    "monthly_fee",
    *spec.CONTRACT_DATES,
    "cancel_reason",
    "competitor",
    "channel",
    "device",
)
CHANGE_COLUMNS = (
    "change_id",
    "subscription_id",
    *spec.CHANGE_DATES,
    "from_plan",
    "to_plan",
    "fee_before",
    "fee_after",
)
BILL_COLUMNS = ("subscription_id", "member_id", spec.BILL_MONTH, "amount", *spec.BILL_USAGE)
DECIMAL = r"^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$"
"""A usage figure as a file may write it: digits, thousands in groups of three, a fraction."""


def _prepared(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.DataFrame, RowChecks]:
    frame = frame.copy()
    for name in columns:
        if name not in frame:
            frame[name] = None
    return frame, RowChecks(frame)


def _dates(checks: RowChecks, names: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    for name in required:
        checks.required(name)
    return {name: checks.date(name) for name in names}


def _once(checks: RowChecks, keys: list[pd.Series], field: str) -> None:
    """Flag every row whose key (one column or several) an earlier row of the file had."""
    frame = pd.DataFrame({str(n): k.to_numpy() for n, k in enumerate(keys)})
    given = frame.notna().all(axis=1).to_numpy()
    checks.flag(given & frame.duplicated(keep="first").to_numpy(), field, spec.TWICE_IN_FILE)


def _text(frame: pd.DataFrame, name: str) -> list[Any]:
    column = frame[name]
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in column]


def _days(values: pd.Series) -> list[date | None]:
    return [None if pd.isna(v) else v.date() for v in values]


def _whole(values: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in values]


def check_plans(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Good plans (``_row`` and :data:`PLAN_COLUMNS`, Python values) and every error."""
    frame, checks = _prepared(frame, PLAN_COLUMNS)
    values = checks.fields(spec.PLAN_FIELDS, timezone)
    _once(checks, [frame["code"]], "code")
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            "code": _text(frame, "code"),
            "name": _text(frame, "name"),
            "category": _text(frame, "category"),
            "monthly_fee": _whole(values["monthly_fee"]),
            "commitment_months": _whole(values["commitment_months"]),
        },
        dtype=object,
    )
    return good[~checks.bad], checks.errors


def check_contracts(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Good contract rows (``_row`` and :data:`CONTRACT_COLUMNS`: dates as ``date``, fees as
    ``int``, blanks as None) and every error."""
    frame, checks = _prepared(frame, CONTRACT_COLUMNS)
    values = checks.fields(spec.CONTRACT_FIELDS, timezone)
    days = _dates(checks, spec.CONTRACT_DATES, spec.CONTRACT_REQUIRED_DATES)
    start = days["started_on"]
    for name in ("committed_until", "cancelled_on"):
        checks.flag((days[name] < start).to_numpy(), name, spec.BEFORE_START)
    open_ended = frame["cancelled_on"].isna().to_numpy()
    for name in ("cancel_reason", "competitor"):
        checks.flag(open_ended & frame[name].notna().to_numpy(), name, spec.ONLY_WHEN_CANCELLED)
    _once(checks, [frame["subscription_id"]], "subscription_id")
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            **{name: _text(frame, name) for name in ("subscription_id", "member_id", "plan")},
            "monthly_fee": _whole(values["monthly_fee"]),
            **{name: _days(days[name]) for name in spec.CONTRACT_DATES},
            "cancel_reason": values["cancel_reason"].tolist(),
            "competitor": _text(frame, "competitor"),
            "channel": values["channel"].tolist(),
            "device": _text(frame, "device"),
        },
        dtype=object,
    )
    return good[~checks.bad], checks.errors


def check_changes(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Good plan changes (``_row`` and :data:`CHANGE_COLUMNS`, a blank ``change_id`` given
    its default) and every error."""
    frame, checks = _prepared(frame, CHANGE_COLUMNS)
    values = checks.fields(spec.CHANGE_FIELDS, timezone)
    changed_on = _dates(checks, spec.CHANGE_DATES, spec.CHANGE_DATES)["changed_on"]
    same = (frame["from_plan"] == frame["to_plan"]).to_numpy() & (
        values["fee_before"] == values["fee_after"]
    ).to_numpy()
    checks.flag(same, "to_plan", spec.CHANGES_NOTHING)
    days = _days(changed_on)
    ids = [
        given
        if given is not None
        else spec.default_change_id(sub, day, plan)
        if sub is not None and day is not None and plan is not None
        else None
        for given, sub, day, plan in zip(
            _text(frame, "change_id"),
            _text(frame, "subscription_id"),
            days,
            _text(frame, "to_plan"),
            strict=True,
        )
    ]
    _once(checks, [pd.Series(ids, index=frame.index, dtype=object)], "change_id")
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            "change_id": ids,
            **{n: _text(frame, n) for n in ("subscription_id", "from_plan", "to_plan")},
            "changed_on": days,
            "fee_before": _whole(values["fee_before"]),
            "fee_after": _whole(values["fee_after"]),
        },
        dtype=object,
    )
    return good[~checks.bad], checks.errors


def check_bills(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Good bills (``_row`` and :data:`BILL_COLUMNS`: ``month`` its first day, usage figures
    as floats or None) and every error."""
    frame, checks = _prepared(frame, BILL_COLUMNS)
    values = checks.fields(spec.BILL_FIELDS, timezone)
    checks.required(spec.BILL_MONTH)
    month = _month(checks, spec.BILL_MONTH)
    usage = {name: _usage(checks, name) for name in spec.BILL_USAGE}
    _once(checks, [frame["subscription_id"], month], spec.BILL_MONTH)
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            "subscription_id": _text(frame, "subscription_id"),
            "member_id": _text(frame, "member_id"),
            "month": _days(month),
            "_month_as_written": _text(frame, spec.BILL_MONTH),
            "amount": _whole(values["amount"]),
            **{name: [None if np.isnan(v) else float(v) for v in usage[name]] for name in usage},
        },
        dtype=object,
    )
    return good[~checks.bad], checks.errors


def _month(checks: RowChecks, field: str) -> pd.Series:
    """``YYYY-MM`` or a day of the month ``YYYY-MM-DD`` as the month's first day."""
    text = checks.frame[field]
    written = text.str.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", na=False).to_numpy()
    whole_day = pd.to_datetime(text.where(text.str.len() == 10), errors="coerce", format="%Y-%m-%d")
    first = pd.to_datetime(
        text.str.slice(0, 7).where(pd.Series(written, index=text.index)) + "-01",
        errors="coerce",
        format="%Y-%m-%d",
    )
    bad = text.notna().to_numpy() & (
        ~written
        | first.isna().to_numpy()
        | ((text.str.len() == 10).to_numpy() & whole_day.isna().to_numpy())
    )
    checks.flag(bad, field, spec.NOT_A_MONTH)
    first = first.where(~pd.Series(bad, index=text.index))
    outside = ((first < pd.Timestamp(DATE_MIN)) | (first > pd.Timestamp(DATE_MAX))).to_numpy()
    checks.flag(outside, field, rules.OUTSIDE_DATES)
    return first.where(~pd.Series(outside, index=text.index))


def _usage(checks: RowChecks, field: str) -> np.ndarray:
    """A usage figure: a decimal number from 0 to :data:`MAX_USAGE` (NaN when blank)."""
    text = checks.frame[field]
    cells = pa.array(text, type=pa.string(), from_pandas=True)
    written = np.asarray(pc.match_substring_regex(cells, DECIMAL).to_numpy(zero_copy_only=False))
    given = text.notna().to_numpy()
    malformed = given & ~written.astype(bool)
    checks.flag(malformed, field, spec.NOT_A_NUMBER)
    digits = pc.if_else(
        pa.array(malformed), pa.scalar(None, pa.string()), pc.replace_substring(cells, ",", "")
    )
    number = np.array(pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    too_big = ~np.isnan(number) & (number > MAX_USAGE)
    checks.flag(too_big, field, f"must be between 0 and {MAX_USAGE:,}")
    number[too_big] = np.nan
    return number
