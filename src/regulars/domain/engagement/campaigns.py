"""Campaigns defined as data: what a YAML/JSON file (or an API body) says, checked.

A campaign says **when** it acts (``trigger``), **for whom** (``audience``, a filter of
:mod:`.audiences`) and **what** it does (``steps``, in order, with waits)::

    code: win-back-vip
    name: Win back VIPs at risk
    priority: 50                 # who wins when several want a member the same day
    holdout_percent: 10          # kept out at random to measure the effect (default 10)
    program: bean-points         # the points program of gifts and of tier/points fields
    trigger: {daily: {at: "10:00"}}
    audience:
      all:
        - {field: segment, eq: vip}
        - {field: probability_alive, lt: 0.3}
    entry: once                  # or {every_days: 365}
    attribution_days: 30
    budget_points: 200000
    steps:
      - message:
          channels: [sms, email]
          templates:
            ko: {subject: "다시 뵙고 싶어요", text: "{{ name }}님, ...", sms: "..."}
            en: {subject: "We miss you", text: "Dear {{ name }}, ...", sms: "..."}
      - gift: {points: 3000}
      - wait: {days: 14}
      - task: {kind: personal call, title: "Call a VIP at risk", due_days: 3}

Triggers: ``event`` (one of :data:`EVENTS`, with ``within_days`` of how old an event may
be, default 7), ``daily`` (evaluated once a day in the business's time zone, from ``at``
local time, default 00:00) or ``wave`` (once, at or after ``at``). Steps: ``message``
(templates per locale ``ko`` and ``en``: ``subject``, ``text``, ``sms``; ``channels`` in
order of preference; ``marketing: false`` for a service message such as an apology, which is
exempt from the frequency cap, quiet hours and the open-case rule but still needs consent),
``gift`` (points into ``program``), ``voucher`` (a reward voucher in ``program``), ``task`` (a
staff task at the member's home store), ``survey`` (an invitation to a survey: "wait 30
days, re-survey") and ``wait`` (days).

The state moves draft -> running <-> paused -> ended (:data:`TRANSITIONS`); an ended
campaign stays ended. :func:`parse_campaign` raises :class:`CampaignError` naming the field
and the value it refused.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from regulars.domain.engagement.audiences import AudienceError, Filter, parse_audience, sources

LANGUAGES = ("ko", "en")
CHANNELS = ("email", "sms")


class CampaignError(ValueError):
    def __init__(self, field: str, message: str, value: object = None) -> None:
        super().__init__(f"{field}: {message} (got {value!r})")
        self.field = field
        self.value = value
        self.reason = message


class State(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


TRANSITIONS: Mapping[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.RUNNING, State.ENDED}),
    State.RUNNING: frozenset({State.PAUSED, State.ENDED}),
    State.PAUSED: frozenset({State.RUNNING, State.ENDED}),
    State.ENDED: frozenset(),
}


def may_move(current: State, target: State) -> bool:
    """Whether a campaign in ``current`` may move to ``target``.

    >>> may_move(State.DRAFT, State.RUNNING), may_move(State.ENDED, State.RUNNING)
    (True, False)
    """
    return target in TRANSITIONS[current]


class Event(StrEnum):
    SIGNUP = "signup"
    FIRST_PURCHASE = "first_purchase"
    TIER_CHANGED = "tier_changed"
    POINTS_EXPIRING = "points_expiring"
    DETRACTOR_ANSWER = "detractor_answer"
    PASSIVE_ANSWER = "passive_answer"
    PROMOTER_ANSWER = "promoter_answer"
    CASE_RESOLVED = "case_resolved"


EVENTS = tuple(e.value for e in Event)


class TriggerKind(StrEnum):
    EVENT = "event"
    DAILY = "daily"
    WAVE = "wave"


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    event: Event | None = None
    within_days: int = 7
    at: time = time(0)
    wave_at: datetime | None = None


@dataclass(frozen=True)
class Template:
    subject: str
    text: str
    sms: str


@dataclass(frozen=True)
class Message:
    templates: Mapping[str, Template]
    channels: tuple[str, ...] = ()
    marketing: bool = True


@dataclass(frozen=True)
class Gift:
    points: int


@dataclass(frozen=True)
class Voucher:
    name: str
    product: str | None = None
    valid_days: int | None = None


@dataclass(frozen=True)
class Task:
    kind: str
    title: str
    due_days: int = 2
    assignee: str | None = None


@dataclass(frozen=True)
class Survey:
    """An invitation to a survey (a re-survey after a recovery): the survey's own link
    message, under its own rules (sampling, consent); ``cooldown_days`` since the member's
    last invitation (default 0: the campaign decided when)."""

    code: str
    cooldown_days: int = 0


@dataclass(frozen=True)
class Wait:
    days: int


Step = Message | Gift | Voucher | Task | Survey | Wait
STEP_KINDS = ("message", "gift", "voucher", "task", "survey", "wait")


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    trigger: Trigger
    audience: Filter
    steps: tuple[Step, ...]
    priority: int = 0
    holdout_percent: int = 10
    seed: int = 0
    program: str | None = None
    every_days: int | None = None  # None: once per member
    attribution_days: int = 30
    budget_points: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def needs_slot(self) -> bool:
        """Whether entering takes a marketing message at once (the first step is one): such
        an entry counts against the member's frequency cap, so it is admitted only with
        room, for both arms alike."""
        first = self.steps[0] if self.steps else None
        return isinstance(first, Message) and first.marketing

    @property
    def first_message(self) -> Message | None:
        first = self.steps[0] if self.steps else None
        return first if isinstance(first, Message) else None


def default_seed(code: str) -> int:
    """The seed of a campaign that states none: stable for its code.

    >>> default_seed("win-back") == default_seed("win-back")
    True
    """
    return zlib.crc32(code.encode("utf-8"))


# --- the holdout draw ---------------------------------------------------------------------

MASK32 = 0xFFFFFFFF
_MIX = 0x45D9F3B


def _xor_shift(x: int) -> int:
    return x ^ (x >> 16)


def holdout_draw(seed: int, member_id: int) -> int:
    """A member's draw in ``[0, 2**32)`` for a campaign's ``seed``: reproducible anywhere.

    A multiplicative hash of the id (Knuth's 2654435761) plus the seed, then two rounds of
    the xor-shift-multiply integer finaliser (``0x45d9f3b``; Mueller's constant, as in
    MurmurHash3's fmix). The store computes the same integers in SQL
    (``store/engagement/assignments.py``), with the same arithmetic kept under 2**63, so the
    arm of a member is the same whether drawn in Python or by the database.

    >>> holdout_draw(7, 1) == holdout_draw(7, 1), holdout_draw(7, 1) != holdout_draw(8, 1)
    (True, True)
    """
    x = ((member_id % 2**31) * 2654435761 + (seed & MASK32)) % 2**32
    x = (_xor_shift(x) * _MIX) % 2**32
    x = (_xor_shift(x) * _MIX) % 2**32
    return _xor_shift(x)


def in_holdout(seed: int, member_id: int, holdout_percent: int) -> bool:
    """Whether the member falls in the holdout: draw / 2**32 < percent / 100."""
    return holdout_draw(seed, member_id) * 100 < holdout_percent * 2**32


# --- parsing ------------------------------------------------------------------------------


def _int(
    data: Mapping[str, Any], key: str, where: str, default: int | None = None, low: int = 0
) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CampaignError(f"{where}{key}", "must be a whole number", value)
    if value < low:
        raise CampaignError(f"{where}{key}", f"must be at least {low}", value)
    return value


def _text(data: Mapping[str, Any], key: str, where: str, limit: int = 200) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(f"{where}{key}", "must be a non-empty text", value)
    if len(value) > limit:
        raise CampaignError(f"{where}{key}", f"must be at most {limit} characters", value)
    return value


def _mapping(value: Any, where: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CampaignError(where, f"must be a mapping ({what})", value)
    return value


def _only(data: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise CampaignError(
            f"{where}{unknown[0]}", f"unknown field; expected {', '.join(allowed)}", unknown[0]
        )


def _trigger(data: Any) -> Trigger:
    data = _mapping(data, "trigger", "event, daily or wave")
    kinds = [k for k in ("event", "daily", "wave") if k in data]
    if len(kinds) != 1:
        raise CampaignError("trigger", "needs exactly one of event, daily or wave", sorted(data))
    kind = TriggerKind(kinds[0])
    if kind is TriggerKind.EVENT:
        _only(data, ("event", "within_days"), "trigger.")
        name = data["event"]
        if name not in EVENTS:
            raise CampaignError("trigger.event", f"must be one of {', '.join(EVENTS)}", name)
        within = _int(data, "within_days", "trigger.", 7, low=1)
        return Trigger(kind, event=Event(name), within_days=within)
    _only(data, (kind.value,), "trigger.")
    inner = data[kind.value]
    if kind is TriggerKind.DAILY:
        inner = _mapping(inner if inner is not None else {}, "trigger.daily", "{at: HH:MM}")
        _only(inner, ("at",), "trigger.daily.")
        return Trigger(kind, at=_clock(inner.get("at", "00:00"), "trigger.daily.at"))
    inner = _mapping(inner, "trigger.wave", "{at: ISO date-time}")
    _only(inner, ("at",), "trigger.wave.")
    return Trigger(kind, wave_at=_moment(inner.get("at"), "trigger.wave.at"))


def _clock(value: Any, where: str) -> time:
    try:
        parsed = time.fromisoformat(str(value))
    except ValueError:
        raise CampaignError(where, "must be a local time HH:MM", value) from None
    return parsed.replace(tzinfo=None)


def _moment(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise CampaignError(where, "must be an ISO date-time with offset", value) from None
    if parsed.tzinfo is None:
        raise CampaignError(where, "needs a UTC offset, e.g. 2026-12-01T10:00:00+09:00", value)
    return parsed


def _message(data: Any, where: str) -> Message:
    data = _mapping(data, where, "templates, channels, marketing")
    _only(data, ("templates", "channels", "marketing"), f"{where}.")
    raw = _mapping(data.get("templates"), f"{where}.templates", "ko and en")
    _only(raw, LANGUAGES, f"{where}.templates.")
    templates = {}
    for language in LANGUAGES:
        place = f"{where}.templates.{language}"
        if language not in raw:
            raise CampaignError(place, "a template in each language (ko, en) is needed", None)
        entry = _mapping(raw[language], place, "subject, text, sms")
        _only(entry, ("subject", "text", "sms"), f"{place}.")
        templates[language] = Template(
            _text(entry, "subject", f"{place}.", 200),
            _text(entry, "text", f"{place}.", 5000),
            _text(entry, "sms", f"{place}.", 1000),
        )
    channels = data.get("channels", [])
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        raise CampaignError(f"{where}.channels", f"a list of {', '.join(CHANNELS)}", channels)
    marketing = data.get("marketing", True)
    if not isinstance(marketing, bool):
        raise CampaignError(f"{where}.marketing", "must be true or false", marketing)
    return Message(templates, tuple(dict.fromkeys(channels)), marketing)


def _step(data: Any, where: str) -> Step:
    data = _mapping(data, where, f"one of {', '.join(STEP_KINDS)}")
    if len(data) != 1 or next(iter(data)) not in STEP_KINDS:
        raise CampaignError(where, f"a step is one of {', '.join(STEP_KINDS)}", sorted(data))
    kind, body = next(iter(data.items()))
    place = f"{where}.{kind}"
    if kind == "message":
        return _message(body, place)
    body = _mapping(body, place, "its fields")
    if kind == "gift":
        _only(body, ("points",), f"{place}.")
        return Gift(_int(body, "points", f"{place}.", low=1))
    if kind == "voucher":
        _only(body, ("name", "product", "valid_days"), f"{place}.")
        valid = body.get("valid_days")
        return Voucher(
            _text(body, "name", f"{place}."),
            body.get("product"),
            None if valid is None else _int(body, "valid_days", f"{place}.", low=1),
        )
    if kind == "task":
        _only(body, ("kind", "title", "due_days", "assignee"), f"{place}.")
        assignee = body.get("assignee")
        if assignee is not None and not isinstance(assignee, str):
            raise CampaignError(f"{place}.assignee", "must be a text", assignee)
        return Task(
            _text(body, "kind", f"{place}.", 40),
            _text(body, "title", f"{place}."),
            _int(body, "due_days", f"{place}.", 2),
            assignee,
        )
    if kind == "survey":
        _only(body, ("code", "cooldown_days"), f"{place}.")
        return Survey(
            _text(body, "code", f"{place}.", 64), _int(body, "cooldown_days", f"{place}.", 0)
        )
    _only(body, ("days",), f"{place}.")
    return Wait(_int(body, "days", f"{place}.", low=1))


FIELDS = (
    "code",
    "name",
    "priority",
    "holdout_percent",
    "seed",
    "program",
    "trigger",
    "audience",
    "entry",
    "attribution_days",
    "budget_points",
    "steps",
    "description",
)


def parse_campaign(data: Any) -> Campaign:
    """Check a campaign definition (a mapping from YAML, JSON or an API body)."""
    data = _mapping(data, "campaign", "code, name, trigger, audience, steps")
    _only(data, FIELDS, "")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 64 or code != code.strip():
        raise CampaignError("code", "a campaign needs a code of 1-64 characters", code)
    try:
        audience = parse_audience(data.get("audience"))
    except AudienceError as error:
        raise CampaignError(error.field, error.reason, error.value) from None
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise CampaignError("steps", "a campaign needs at least one step", raw_steps)
    steps = tuple(_step(s, f"steps[{i}]") for i, s in enumerate(raw_steps))
    if all(isinstance(s, Wait) for s in steps):
        raise CampaignError("steps", "a campaign needs at least one step that acts", raw_steps)
    program = data.get("program")
    if program is not None and (not isinstance(program, str) or not program):
        raise CampaignError("program", "must name a loyalty program's code", program)
    wants_program = any(isinstance(s, Gift | Voucher) for s in steps) or "loyalty" in sources(
        audience
    )
    if wants_program and program is None:
        raise CampaignError(
            "program", "gifts, vouchers and tier/points_balance fields need the program", None
        )
    entry = data.get("entry", "once")
    every: int | None = None
    if entry != "once":
        entry = _mapping(entry, "entry", "'once' or {every_days: N}")
        _only(entry, ("every_days",), "entry.")
        every = _int(entry, "every_days", "entry.", low=1)
    holdout = _int(data, "holdout_percent", "", 10)
    if holdout > 90:
        raise CampaignError("holdout_percent", "must be at most 90", holdout)
    seed = data.get("seed")
    name = data.get("name", code)
    if not isinstance(name, str) or len(name) > 200:
        raise CampaignError("name", "must be a text of at most 200 characters", name)
    priority = _int(data, "priority", "", 0)
    if priority > 1000:
        raise CampaignError("priority", "must be at most 1000", priority)
    budget = data.get("budget_points")
    return Campaign(
        code=code,
        name=name or code,
        trigger=_trigger(data.get("trigger")),
        audience=audience,
        steps=steps,
        priority=priority,
        holdout_percent=holdout,
        seed=default_seed(code) if seed is None else _int(data, "seed", "") & MASK32,
        program=program,
        every_days=every,
        attribution_days=_int(data, "attribution_days", "", 30, low=1),
        budget_points=None if budget is None else _int(data, "budget_points", ""),
    )
