"""What a view holds: values that know what they are, so that one formatter shows them.

A view never holds text it made from a number. It holds ``Money(12_300)``, ``Percent(62.5)``,
``Score(24.0)``, ``Day(date(2026, 11, 3))``…, and the page's formatter
(:mod:`regulars.services.briefing.formatting`) writes each the one way it is written in
the page's language: ₩12,300, 62.5%, +24, 3 Nov 2026 / 2026년 11월 3일. A sentence is a
catalogue key and such values; a table is column keys and rows of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Money:
    """An amount in minor units of the business's currency (won have none)."""

    amount: int


@dataclass(frozen=True)
class Points:
    points: int


@dataclass(frozen=True)
class Count:
    n: int


@dataclass(frozen=True)
class Percent:
    """A share in percent (0-100), or a growth in percent (``signed``: +5.0%)."""

    value: float
    signed: bool = False


@dataclass(frozen=True)
class PercentPoints:
    """A change of a share, in percentage points (+3.1 pp)."""

    value: float


@dataclass(frozen=True)
class Score:
    """An NPS (-100..100), or a change of one (``signed``)."""

    value: float
    signed: bool = False


@dataclass(frozen=True)
class Rating:
    """A mean rating on a 1-5 scale."""

    value: float


@dataclass(frozen=True)
class Number:
    """Any other measure (a z, a ratio, a number of months), with its decimals."""

    value: float
    decimals: int = 1


@dataclass(frozen=True)
class PValue:
    value: float


@dataclass(frozen=True)
class Range:
    """An interval ``low`` to ``high`` of one kind of value (two Scores, two Money…)."""

    low: Value
    high: Value


@dataclass(frozen=True)
class Day:
    value: date


@dataclass(frozen=True)
class Month:
    """A calendar month (its first day)."""

    value: date


@dataclass(frozen=True)
class Moment:
    """A moment (stored in UTC), shown as a day in the business's time zone."""

    value: datetime


@dataclass(frozen=True)
class Name:
    """A name or code shown as it is (a member, a store, a search term)."""

    text: str


@dataclass(frozen=True)
class Term:
    """A word of the catalogue (``driver.service``, ``quadrant.concentrate here``…)."""

    key: str


@dataclass(frozen=True)
class Quotes:
    """Examples quoted from comments."""

    texts: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    """Names with a value each, read as one list: "A (₩1), B (₩2) and C (₩3)"."""

    items: tuple[tuple[Value, Value], ...]


@dataclass(frozen=True)
class Missing:
    """No value (shown as a dash)."""


Value = (
    Money
    | Points
    | Count
    | Percent
    | PercentPoints
    | Score
    | Rating
    | Number
    | PValue
    | Range
    | Day
    | Month
    | Moment
    | Name
    | Term
    | Quotes
    | Listing
    | Missing
)

MISSING = Missing()


def rounded(value: float) -> int:
    """Half away from zero, as people round (12.5 is 13, -12.5 is -13), not to even."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


@dataclass(frozen=True)
class Sentence:
    """A catalogue key (``summary.nps.rose``) and the values its placeholders take."""

    key: str
    values: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """A table's column: the catalogue key of its heading (``n`` fills its ``{n}``), the
    name its values take in JSON, and whether it holds text (aligned left)."""

    key: str
    text: bool = False
    n: int | None = None
    field: str | None = None

    @property
    def name(self) -> str:
        return self.field or self.key.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Table:
    """Rows of values under headed columns; ``more`` rows were left out (all are in JSON)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    more: int = 0

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready records keyed by the columns' keys."""
        return [
            {column.name: plain(value) for column, value in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]


def plain(value: Value) -> Any:
    """A value as JSON holds it: numbers stay numbers, days and moments ISO 8601."""
    match value:
        case Money(amount):
            return amount
        case Points(points):
            return points
        case Count(n):
            return n
        case Percent(v) | PercentPoints(v) | Score(v) | Rating(v) | Number(v) | PValue(v):
            return None if v != v else v  # NaN is no number
        case Range(low, high):
            return [plain(low), plain(high)]
        case Day(day) | Month(day):
            return day.isoformat()
        case Moment(moment):
            return moment.isoformat()
        case Name(text):
            return text
        case Term(key):
            return key.split(".", 1)[-1]
        case Quotes(texts):
            return list(texts)
        case Listing(items):
            return [[plain(a), plain(b)] for a, b in items]
    return None
