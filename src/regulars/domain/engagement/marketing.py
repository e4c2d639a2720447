"""The rules an advertising message is held to, per country, and quiet hours.

``kr`` is Korea's 정보통신망법 §50: the subject (or the text of an SMS) starts with
"(광고)"; the sender names itself and a contact; a free opt-out is offered in the message;
nothing is sent between 21:00 and 08:00 (the recipient's time) without a separate
night-time consent — such a message waits until 08:00, it is not dropped. ``none`` applies
no marketing limit beyond channel consent (for businesses outside Korea that handle their
own rules).

Time is passed in; a "night" is a night in the given time zone, so a DST change (Europe/
Berlin) moves the window with the wall clock, not with UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

AD_LABEL = "(광고)"
NIGHT_CONSENT = "night"
"""The consent history's channel for the separate night-time consent (정보통신망법 §50③):
a member who granted it receives advertising in quiet hours too."""


@dataclass(frozen=True)
class MarketingRules:
    """What an advertising message must carry and when it may not be sent."""

    name: str
    label: str | None
    sender_identification: bool
    opt_out: bool
    quiet_start: time | None
    quiet_end: time | None

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None


RULES = {
    "kr": MarketingRules("kr", AD_LABEL, True, True, time(21, 0), time(8, 0)),
    "none": MarketingRules("none", None, False, False, None, None),
}


def marketing_rules(name: str) -> MarketingRules:
    """The rules called ``name`` (``kr`` or ``none``); ValueError names the choices.

    >>> marketing_rules("kr").label
    '(광고)'
    """
    try:
        return RULES[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"marketing rules are one of {', '.join(sorted(RULES))}, not {name!r}"
        ) from None


def marketing_label(subject: str, rules: MarketingRules) -> str:
    """``subject`` with the rules' label at its start (once).

    >>> marketing_label("친구를 초대하세요", marketing_rules("kr"))
    '(광고) 친구를 초대하세요'
    >>> marketing_label("(광고) 친구를 초대하세요", marketing_rules("kr"))
    '(광고) 친구를 초대하세요'
    >>> marketing_label("Invite a friend", marketing_rules("none"))
    'Invite a friend'
    """
    if not rules.label or subject.startswith(rules.label):
        return subject
    return f"{rules.label} {subject}"


def quiet_until(now: datetime, zone: tzinfo, start: time, end: time) -> datetime | None:
    """When the quiet window around ``now`` ends (in UTC), or None if ``now`` is outside it.

    The window runs from ``start`` to ``end`` on the wall clock of ``zone`` and may span
    midnight (21:00-08:00). ``now`` must be aware.

    >>> from zoneinfo import ZoneInfo
    >>> seoul = ZoneInfo("Asia/Seoul")
    >>> quiet_until(datetime(2026, 3, 2, 12, 30, tzinfo=UTC), seoul, time(21), time(8))
    datetime.datetime(2026, 3, 2, 23, 0, tzinfo=datetime.timezone.utc)
    >>> quiet_until(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), seoul, time(21), time(8)) is None
    True
    """
    if now.tzinfo is None:
        raise ValueError("quiet_until needs an aware time")
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if start <= end:  # a window within one day
        if not start <= clock < end:
            return None
        ends_on = today
    elif clock >= start:
        ends_on = today + timedelta(days=1)
    elif clock < end:
        ends_on = today
    else:
        return None
    return datetime.combine(ends_on, end, tzinfo=zone).astimezone(UTC)
