"""Times in an API answer: every moment goes out as ISO 8601 with its offset.

FastAPI would write a naive datetime (SQLite hands them back naive, meaning UTC) without an
offset; :func:`wire_times` turns each datetime in an answer, at any depth, into
:func:`regulars.domain.times.wire` form before it is encoded. Strings, dates and numbers are
left as they are, so an answer whose times are already wire strings passes unchanged.

>>> from datetime import datetime
>>> wire_times({"at": datetime(2026, 3, 1, 0, 30), "lines": [{"day": "2026-03-01"}]})
{'at': '2026-03-01T00:30:00+00:00', 'lines': [{'day': '2026-03-01'}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from regulars.domain.times import wire

Answer = TypeVar("Answer")


def wire_times(answer: Answer) -> Answer:
    """``answer`` with every datetime in its mappings and lists in wire form (the same shape:
    a mapping comes back a dict, a tuple a list, as JSON would have them anyway)."""
    return cast("Answer", _wired(answer))


def _wired(value: Any) -> Any:
    if isinstance(value, datetime):
        return wire(value)
    if isinstance(value, Mapping):
        return {key: _wired(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wired(item) for item in value]
    return value
