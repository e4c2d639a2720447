"""Vectorised checks of imported rows, each failure recorded as (row, field, value, reason).

The checks run on a whole batch at once (pandas), which is what keeps bulk imports fast;
a single API write goes through the very same checks as a one-row batch.
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

from regulars.services.imports.tabular import ROW


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
        self.flag(self.frame[field].isna(), field, "is required")

    def max_length(self, field: str, limit: int) -> None:
        lengths = self.frame[field].str.len()
        self.flag(lengths.fillna(0).to_numpy() > limit, field, f"is longer than {limit} characters")

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
            f"must be one of {', '.join(allowed)}",
        )
        return column.astype(object).where(column.notna(), None)

    def integer(
        self, field: str, *, minimum: int | None = None, nonzero: bool = False
    ) -> pd.Series:
        """Parse whole numbers (``"1,200"`` is accepted); flag fractions and words."""
        if field not in self.frame:
            return pd.Series(np.nan, index=self.frame.index)
        text = self.frame[field]
        try:  # the common case, a clean column: one Arrow cast
            number = pd.Series(
                pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64()),
                index=text.index,
                dtype="float64",
                copy=True,  # Arrow's buffer is read-only; fractions are blanked below
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            number = pd.to_numeric(text, errors="coerce")
            retry = number.isna().to_numpy() & text.notna().to_numpy()
            if retry.any():  # thousands separators, only where plain parsing failed
                number[retry] = pd.to_numeric(
                    text[retry].str.replace(",", "", regex=False), errors="coerce"
                )
        unparsed = text.notna().to_numpy() & number.isna().to_numpy()
        not_whole = unparsed | (number.fillna(0) % 1 != 0).to_numpy()
        self.flag(not_whole, field, "is not a whole number")
        number[not_whole] = np.nan
        if minimum is not None:
            self.flag(
                number.notna().to_numpy() & (number < minimum).to_numpy(),
                field,
                f"must be at least {minimum}",
            )
        if nonzero:
            self.flag((number == 0).to_numpy(), field, "must not be zero")
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
            "is not a date and time (expected ISO 8601, e.g. 2026-03-01T09:30:00+09:00)",
        )
        return parsed

    def date(self, field: str) -> pd.Series:
        if field not in self.frame:
            return pd.Series(pd.NaT, index=self.frame.index)
        text = self.frame[field]
        parsed = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
        self.flag(
            text.notna().to_numpy() & parsed.isna().to_numpy(),
            field,
            "is not a date (expected YYYY-MM-DD)",
        )
        return parsed

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(e.row, e.field, e.value, e.reason) for e in self.errors],
            columns=["_row", "_field", "_value", "_reason"],
        )


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def sql_timestamps(values: pd.Series) -> np.ndarray:
    """UTC timestamps as the store's wire strings ``YYYY-MM-DD HH:MM:SS.ffffff`` (by Arrow)."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.asarray(pc.cast(pa.array(naive), pa.string()).to_numpy(zero_copy_only=False))


def sql_dates(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]
