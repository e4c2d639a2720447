"""The stated bounds of what regulars accepts, each named once.

Every edge that takes a number, a date or a text from outside (API bodies and paths,
imported files) checks it against these bounds before it reaches the store, so that a value
the database cannot hold (beyond a 64-bit or 32-bit integer, a NUL byte in a text) or a
placeholder (year 0001 or 9999) is refused with an error that names its field instead of
failing the whole request or batch. Each block is one kind of value, with its reason.
"""

from __future__ import annotations

from datetime import date

# --- Numbers: amounts, points, quantities, line numbers and ids ------------------------------
# Bounds on what one request or file row may carry. They are far above any real sale and far
# below what the store's integers hold (a purchase of MAX_LINE_NO lines at MAX_AMOUNT each
# still sums inside a 64-bit integer), so that totals and balances cannot overflow.

MAX_AMOUNT = 10**12
"""The largest money amount of one line or order, in minor units (|amount| ≤ a trillion won)."""

MAX_POINTS = 10**9
"""The most points one operation (an adjustment, a redemption) may move."""

MIN_QUANTITY = 1
MAX_QUANTITY = 10**6
"""The quantity of one line: 1 … a million (a refund or return line may carry it negative,
down to −MAX_QUANTITY; zero is never a quantity)."""

MIN_LINE_NO = 1
MAX_LINE_NO = 10**4
"""A line's number within its purchase: 1 … ten thousand."""

MAX_ID = 2**63 - 1
"""The largest row id (a case, a member's row): the store's 64-bit integers."""

# --- Dates -----------------------------------------------------------------------------------
# A date or time outside this range is a typo or a placeholder (0001-01-01, 9999-12-31), not
# a birthday, a signup or a purchase: it is rejected with the row, never stored.

DATE_MIN = date(1900, 1, 1)
"""The earliest date accepted in any imported or posted field."""

DATE_MAX = date(2100, 12, 31)
"""The latest date accepted in any imported or posted field."""

DATE_RANGE = f"{DATE_MIN.isoformat()}..{DATE_MAX.isoformat()}"
"""The accepted range as shown in errors: ``1900-01-01..2100-12-31``."""

# --- Text ------------------------------------------------------------------------------------

FORBIDDEN_CHARACTER = "\x00"
"""The one character no text field may hold: PostgreSQL cannot store a NUL byte in text."""


def has_forbidden_character(text: str) -> bool:
    """Whether ``text`` holds a character the store cannot keep (a NUL byte).

    >>> has_forbidden_character("a\\x00b"), has_forbidden_character("커피")
    (True, False)
    """
    return FORBIDDEN_CHARACTER in text


# --- Subscriptions: usage figures and commitments (issue 17) ----------------------------------

MAX_USAGE = 10**9
"""The largest usage figure of one monthly bill (data in GB, voice minutes, a generic
quantity): far above any line's month, far below what a float holds exactly in its digits."""

MAX_COMMITMENT_MONTHS = 120
"""The longest commitment a plan may state, in months (ten years)."""
