"""From an analytics data frame to a view's table: chosen columns, human headings, typed cells.

A :class:`Spec` names a frame column (or a ``(low, high)`` pair, which becomes one interval
cell), the catalogue key of its heading and how a cell becomes a value (:data:`CELLS`).
Codes become names here (:func:`named`): a store's, department's or employee's code is
shown as its name when the store has one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from regulars.services.briefing.values import (
    MISSING,
    Column,
    Count,
    Day,
    Money,
    Month,
    Name,
    Number,
    Percent,
    PValue,
    Quotes,
    Range,
    Rating,
    Score,
    Table,
    Term,
    Value,
)

Cell = Callable[[Any], Value]
ROWS_SHOWN = 60


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def money(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else Money(round(number))


def count(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else Count(round(number))


def percent(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else Percent(number)


def signed_percent(value: Any) -> Value:
    """A growth given as a fraction (0.05) shown as a signed percent (+5.0%)."""
    number = _number(value)
    return MISSING if number is None else Percent(100 * number, signed=True)


def score(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else Score(number)


def signed_score(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else Score(number, signed=True)


def rating(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else Rating(number)


def number(decimals: int) -> Cell:
    def cell(value: Any) -> Value:
        found = _number(value)
        return MISSING if found is None else Number(found, decimals)

    return cell


def p_value(value: Any) -> Value:
    number = _number(value)
    return MISSING if number is None else PValue(number)


def day(value: Any) -> Value:
    if isinstance(value, datetime | pd.Timestamp):
        return Day(value.date())
    if isinstance(value, date):
        return Day(value)
    return MISSING


def month(value: Any) -> Value:
    found = day(value)
    return Month(found.value) if isinstance(found, Day) else MISSING


def text(value: Any) -> Value:
    return (
        MISSING
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
        else Name(str(value))
    )


def term(prefix: str) -> Cell:
    """A catalogue word: ``term("quadrant")("low priority")`` is
    ``Term("quadrant.low priority")``."""

    def cell(value: Any) -> Value:
        found = text(value)
        return Term(f"{prefix}.{found.text}") if isinstance(found, Name) else MISSING

    return cell


def yes_no(value: Any) -> Value:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return Term("word.yes" if bool(value) else "word.no")


def quotes(value: Any) -> Value:
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return Quotes(tuple(str(v) for v in items[:3]))
    return MISSING


def named(names: Mapping[str, str]) -> Cell:
    """A code shown as its name (the code itself when it has none)."""

    def cell(value: Any) -> Value:
        found = text(value)
        return Name(names.get(found.text, found.text)) if isinstance(found, Name) else MISSING

    return cell


@dataclass(frozen=True)
class Spec:
    """One column: the frame's column (or ``(low, high)`` for an interval), its heading's
    catalogue key, how a cell becomes a value, and its name in JSON."""

    column: str | tuple[str, str]
    key: str
    cell: Cell
    text: bool = False
    n: int | None = None
    field: str | None = None


def table(frame: pd.DataFrame, specs: Sequence[Spec], limit: int = ROWS_SHOWN) -> Table:
    """The frame's first ``limit`` rows under the specs' columns (specs whose column the
    frame lacks are left out)."""
    kept = [s for s in specs if all(c in frame.columns for c in _columns(s))]
    columns = tuple(
        Column(
            s.key,
            text=s.text,
            n=s.n,
            field=s.field or (s.column if isinstance(s.column, str) else None),
        )
        for s in kept
    )
    shown = frame.head(limit)
    rows = []
    for record in shown.to_dict(orient="records"):
        row: list[Value] = []
        for s in kept:
            if isinstance(s.column, tuple):
                low, high = (s.cell(record[c]) for c in s.column)
                row.append(MISSING if MISSING in (low, high) else Range(low, high))
            else:
                row.append(s.cell(record[s.column]))
        rows.append(tuple(row))
    return Table(columns, tuple(rows), more=max(0, len(frame) - limit))


def _columns(spec: Spec) -> tuple[str, ...]:
    return spec.column if isinstance(spec.column, tuple) else (spec.column,)
