"""Vectorised checks of imported rows, each failure recorded as (row, field, value, reason).

The checks run on a whole batch at once (pandas), which is what keeps bulk imports fast.
What they check, and the words they use, are the field rules of
:mod:`regulars.domain.fields`: :meth:`RowChecks.fields` runs a record's
:class:`~regulars.domain.fields.Field` rules in their order. JSON records from the API
become the same text frame a file would (:func:`text_frame`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from regulars.domain import fields as rules
from regulars.domain.bounds import DATE_MAX, DATE_MIN
from regulars.domain.fields import Check, Field, checks_in_order, text_value
from regulars.services.imports.tabular import ROW

WHOLE_NUMBER = r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.0*)?$"
"""A whole number as a file may write it (see :meth:`RowChecks.integer`)."""


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell of one row."""

    row: int
    field: str
    value: str | None
    reason: str

    def __str__(self) -> str:
        shown = "(blank)" if self.value is None else repr(self.value)
        return f"row {self.row}, {self.field} = {shown}: {self.reason}"


class RowChecks:
    """Collects the errors of a batch; ``bad`` marks the rows that may not be written."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.bad = np.zeros(len(frame), dtype=bool)
        self.errors: list[RowError] = []

    def flag(self, mask: np.ndarray | pd.Series, field: str, reason: str) -> None:
        """Record ``reason`` for every row where ``mask`` is true."""
        mask_array = np.asarray(mask, dtype=bool)
        if not mask_array.any():
            return
        self.bad |= mask_array
        rows = self.frame[ROW].to_numpy()[mask_array]
        values = (
            self.frame[field].to_numpy()[mask_array]
            if field in self.frame
            else np.full(len(rows), None)
        )
        self.errors.extend(
            RowError(int(r), field, None if _missing(v) else str(v), reason)
            for r, v in zip(rows, values, strict=True)
        )

    def required(self, field: str) -> None:
        self.flag(self.frame[field].isna(), field, rules.REQUIRED)

    def max_length(self, field: str, limit: int) -> None:
        lengths = self.frame[field].str.len()
        self.flag(lengths.fillna(0).to_numpy() > limit, field, rules.too_long(limit))

    def one_of(self, field: str, allowed: Iterable[str], default: str | None = None) -> pd.Series:
        """Lower-case the column, fill blanks with ``default``, flag anything not allowed."""
        allowed = tuple(allowed)
        column = self.frame[field].str.lower() if field in self.frame else None
        if column is None:
            return pd.Series(default, index=self.frame.index, dtype=object)
        if default is not None:
            column = column.fillna(default)
        self.flag(
            column.notna().to_numpy() & ~column.isin(allowed).to_numpy(),
            field,
            rules.not_one_of(allowed),
        )
        return column.astype(object).where(column.notna(), None)

    def integer(
        self,
        field: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        nonzero: bool = False,
    ) -> pd.Series:
        """Parse whole numbers exactly: digits, thousands separators in groups of three
        (``"1,200"``; ``"12,34,5"`` is refused), an optional zero fraction (``"4500.0"``).
        Exponents (``"1e20"``) and fractions are flagged; ``maximum`` bounds the size (either
        sign) so that every number kept is exact in the float64 column it returns (the
        bounds of :mod:`regulars.domain.bounds` are far below 2**53)."""
        if field not in self.frame:
            return pd.Series(np.nan, index=self.frame.index)
        text = self.frame[field]
        cells = pa.array(text, type=pa.string(), from_pandas=True)
        written = pc.match_substring_regex(cells, WHOLE_NUMBER).to_numpy(zero_copy_only=False)
        given = text.notna().to_numpy()
        malformed = given & ~np.asarray(written, dtype=bool)
        self.flag(malformed, field, rules.NOT_WHOLE)
        digits = pc.replace_substring(cells, ",", "")
        digits = pc.if_else(pa.array(malformed), pa.scalar(None, pa.string()), digits)
        number = pd.Series(
            pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False),
            index=text.index,
            dtype="float64",
            copy=True,
        )
        kept = number.notna().to_numpy()
        if minimum is not None:
            self.flag(kept & (number < minimum).to_numpy(), field, rules.below(minimum))
        if maximum is not None:
            self.flag(kept & (number.abs() > maximum).to_numpy(), field, rules.beyond(maximum))
        if nonzero:
            self.flag((number == 0).to_numpy(), field, rules.ZERO)
        return number

    def timestamp(self, field: str, timezone: str) -> pd.Series:
        """Parse ISO 8601 times to UTC; a time without an offset is in the business's
        ``timezone``."""
        text = self.frame[field]
        parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
        has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
        for mask, aware in ((has_offset, True), (text.notna() & ~has_offset, False)):
            if not mask.any():
                continue
            values = pd.to_datetime(text[mask], errors="coerce", format="ISO8601", utc=aware)
            if not aware:
                values = values.dt.tz_localize(
                    ZoneInfo(timezone), ambiguous="NaT", nonexistent="NaT"
                ).dt.tz_convert("UTC")
            parsed[mask] = values.astype("datetime64[us, UTC]")
        self.flag(
            text.notna().to_numpy() & parsed.isna().to_numpy(),
            field,
            rules.NOT_A_MOMENT,
        )
        return self._within_dates(field, text, parsed)

    def date(self, field: str) -> pd.Series:
        if field not in self.frame:
            return pd.Series(pd.NaT, index=self.frame.index)
        text = self.frame[field]
        parsed = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
        self.flag(
            text.notna().to_numpy() & parsed.isna().to_numpy(),
            field,
            rules.NOT_A_DATE,
        )
        return self._within_dates(field, text, parsed)

    def _within_dates(self, field: str, text: pd.Series, parsed: pd.Series) -> pd.Series:
        """Flag dates outside ``DATE_MIN..DATE_MAX`` (0001-01-01, 9999-12-31) and blank them."""
        naive = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
        after_last = pd.Timestamp(DATE_MAX) + pd.Timedelta(days=1)
        outside = ((naive < pd.Timestamp(DATE_MIN)) | (naive >= after_last)).to_numpy()
        if outside.any():
            self.flag(outside, field, rules.OUTSIDE_DATES)
            parsed = parsed.copy()
            parsed[outside] = pd.NaT
        return parsed

    def fields(self, fields: tuple[Field, ...], timezone: str) -> dict[str, pd.Series]:
        """Run every rule of ``fields`` in :func:`~regulars.domain.fields.checks_in_order`;
        return the checked values of the choice, whole-number and date-and-time fields
        (choices lower-cased, numbers parsed, times in UTC; blanks given their default)."""
        values: dict[str, pd.Series] = {}
        for check, spec in checks_in_order(fields):
            if check is Check.REQUIRED:
                self.required(spec.name)
            elif check is Check.LENGTH:
                assert spec.max_length is not None
                self.max_length(spec.name, spec.max_length)
            elif check is Check.CHOICE:
                default = None if spec.default is None else str(spec.default)
                values[spec.name] = self.one_of(spec.name, spec.choices, default=default)
            elif check is Check.WHOLE:
                number = self.integer(
                    spec.name, minimum=spec.minimum, maximum=spec.maximum, nonzero=spec.nonzero
                )
                values[spec.name] = number if spec.default is None else number.fillna(spec.default)
            else:
                values[spec.name] = self.timestamp(spec.name, timezone)
        return values

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(e.row, e.field, e.value, e.reason) for e in self.errors],
            columns=["_row", "_field", "_value", "_reason"],
        )


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def text_frame(records: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Records (from JSON) as the text frame the file importers read."""
    frame = pd.DataFrame(
        [{c: text_value(r.get(c)) for c in columns} for r in records], columns=list(columns)
    ).astype(object)
    frame[ROW] = range(1, len(frame) + 1)
    return frame


def sql_timestamps(values: pd.Series) -> np.ndarray:
    """UTC timestamps as the store's wire strings ``YYYY-MM-DD HH:MM:SS.ffffff`` (by Arrow)."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.asarray(pc.cast(pa.array(naive), pa.string()).to_numpy(zero_copy_only=False))


def sql_dates(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]
