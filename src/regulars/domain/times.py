"""Moments in time as the whole system reads and writes them.

The store keeps UTC. SQLite hands datetimes back without an offset (they mean UTC);
PostgreSQL hands them back aware. :func:`as_utc` makes both one thing, and :func:`wire` is
the one format every API answer and event payload uses: ISO 8601 with its offset.

>>> from datetime import datetime, timedelta, timezone
>>> as_utc(datetime(2026, 12, 1, 8, 15))
datetime.datetime(2026, 12, 1, 8, 15, tzinfo=datetime.timezone.utc)
>>> wire(datetime(2026, 12, 1, 8, 15, tzinfo=timezone(timedelta(hours=9))))
'2026-11-30T23:15:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import overload


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """The same moment in UTC; a naive value is taken to be UTC already (the store's rule)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@overload
def wire(value: datetime) -> str: ...
@overload
def wire(value: None) -> None: ...
def wire(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in UTC: how a moment leaves the system."""
    return None if value is None else as_utc(value).isoformat()


@overload
def wire_local(value: datetime, zone: tzinfo) -> str: ...
@overload
def wire_local(value: None, zone: tzinfo) -> None: ...
def wire_local(value: datetime | None, zone: tzinfo) -> str | None:
    """ISO 8601 with offset, in the business's time zone: how a purchase's answer gives its
    times, so that a till that sent ``08:15+09:00`` reads ``08:15+09:00`` back.

    >>> from zoneinfo import ZoneInfo
    >>> wire_local(datetime(2026, 11, 21, 23, 15), ZoneInfo("Asia/Seoul"))
    '2026-11-22T08:15:00+09:00'
    """
    return None if value is None else as_utc(value).astimezone(zone).isoformat()
