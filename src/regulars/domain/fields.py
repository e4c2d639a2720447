"""What a field of an incoming record must be, and what is said when it is not.

Records come in as files (one text cell per field) and as JSON from the API. A JSON value is
first read as the text a file cell would hold (:func:`text_value`), so that one set of
:class:`Field` rules judges both. The rules are checked pass by pass in the order of
:class:`Check` — every field's "is required" before any field's length, and so on — and,
within a pass, field by field in the order the fields are declared: a row with two problems
names them in the same order whichever runner judged it (the vectorised checks of a file,
or the row-by-row checks of a small API request).

>>> quantity = Field("quantity", whole=True, nonzero=True, default=1)
>>> quantity.checks()
(<Check.WHOLE: 'whole'>,)
>>> [reason for reason, broken_by in quantity.bounds() if broken_by(0)]
['must not be zero']
>>> Field("kind", choices=("sale", "refund"), default="sale").chosen(None)
'sale'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from regulars.domain.bounds import DATE_MAX, DATE_MIN, DATE_RANGE


class Check(StrEnum):
    """The kinds of check a field may have, in the order they are run."""

    REQUIRED = "required"
    LENGTH = "length"
    CHOICE = "choice"
    WHOLE = "whole"
    MOMENT = "moment"


REQUIRED = "is required"
NOT_WHOLE = "is not a whole number"
ZERO = "must not be zero"
NOT_A_MOMENT = "is not a date and time (expected ISO 8601, e.g. 2026-03-01T09:30:00+09:00)"
NOT_A_DATE = "is not a date (expected YYYY-MM-DD)"
OUTSIDE_DATES = f"is outside the accepted dates {DATE_RANGE}"


def outside_dates(day: date) -> bool:
    """Whether a date (of a time, in UTC) lies outside ``DATE_MIN..DATE_MAX``."""
    return not DATE_MIN <= day <= DATE_MAX


def too_long(limit: int) -> str:
    return f"is longer than {limit} characters"


def not_one_of(choices: tuple[str, ...]) -> str:
    return f"must be one of {', '.join(choices)}"


def below(minimum: int) -> str:
    return f"must be at least {minimum}"


def beyond(maximum: int) -> str:
    return f"must be between -{maximum:,} and {maximum:,}"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a rule is itself
class Field:
    """One field of a record and the rules its value must keep.

    ``choices`` are lower-case words (a value is lower-cased before it is compared);
    ``default`` stands in for a blank value of a choice or a whole number; ``whole`` means
    a whole number, with optional ``minimum``, ``maximum`` (a bound on its size, either
    sign) and ``nonzero``; ``moment`` a date and time.
    """

    name: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    default: str | int | None = None
    whole: bool = False
    minimum: int | None = None
    maximum: int | None = None
    nonzero: bool = False
    moment: bool = False

    def checks(self) -> tuple[Check, ...]:
        """The checks this field has, in :class:`Check` order."""
        has = {
            Check.REQUIRED: self.required,
            Check.LENGTH: self.max_length is not None,
            Check.CHOICE: bool(self.choices),
            Check.WHOLE: self.whole,
            Check.MOMENT: self.moment,
        }
        return tuple(check for check in Check if has[check])

    def is_too_long(self, text: str | None) -> bool:
        return text is not None and self.max_length is not None and len(text) > self.max_length

    def chosen(self, text: str | None) -> str | None:
        """The value as a choice: lower-cased, the default if blank (check it with
        :meth:`is_choice`)."""
        if text is None:
            return None if self.default is None else str(self.default)
        return text.lower()

    def is_choice(self, chosen: str | None) -> bool:
        return chosen is None or chosen in self.choices

    def bounds(self) -> list[tuple[str, Callable[[int], bool]]]:
        """The bounds of a whole number, each as (reason, broken by), in the order they
        are reported."""
        bounds: list[tuple[str, Callable[[int], bool]]] = []
        if self.minimum is not None:
            minimum = self.minimum
            bounds.append((below(minimum), lambda number: number < minimum))
        if self.maximum is not None:
            maximum = self.maximum
            bounds.append((beyond(maximum), lambda number: abs(number) > maximum))
        if self.nonzero:
            bounds.append((ZERO, lambda number: number == 0))
        return bounds


@cache
def checks_in_order(fields: tuple[Field, ...]) -> tuple[tuple[Check, Field], ...]:
    """Every (check, field) pair of ``fields``, pass by pass, in the order they are run."""
    return tuple((check, f) for check in Check for f in fields if check in f.checks())


def text_value(value: Any) -> str | None:
    """A JSON value as the text a file cell would hold (blank -> None, enums by value).

    >>> text_value("  M1 "), text_value(""), text_value(True), text_value(1200)
    ('M1', None, 'yes', '1200')
    """
    if value is None:
        return None
    if type(value) is str:  # the common case first: a till's request is mostly text
        return value.strip() or None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value.value if hasattr(value, "value") else value).strip()
    return text or None
