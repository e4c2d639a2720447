"""The bounds of what regulars accepts, stated once: checks everywhere name these constants.

Each block below is one kind of value; the reason for a bound is written beside it.
"""

from __future__ import annotations

from datetime import date

# --- Dates ------------------------------------------------------------------------------
# A date or time outside this range is a typo or a placeholder (0001-01-01, 9999-12-31), not
# a birthday, a signup or a purchase: it is rejected with the row, never stored.

DATE_MIN = date(1900, 1, 1)
"""The earliest date accepted in any imported or posted field."""

DATE_MAX = date(2100, 12, 31)
"""The latest date accepted in any imported or posted field."""

DATE_RANGE = f"{DATE_MIN.isoformat()}..{DATE_MAX.isoformat()}"
"""The accepted range as shown in errors: ``1900-01-01..2100-12-31``."""
