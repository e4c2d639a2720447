"""Audiences: who a campaign is for, as a filter over named member fields.

Every field a filter may name is registered here, once: its name, its type and the source
it is read from. The store compiles a checked filter into one SQL query
(``store/engagement/audiences.py``), joining only the sources the filter names:

========================  =================================================================
source                    fields
========================  =================================================================
``members``               ``segment``, ``locale``, ``region``, ``acquisition_channel``,
                          ``signup_date``, ``days_since_signup``, ``birthday_today``
``member_scores``         ``probability_alive``, ``expected_purchases``, ``clv``,
                          ``value_at_risk``, ``days_until_expected_loss``
``member_analytics``      ``stage``, ``loyalty_type``, ``recency_score``,
                          ``frequency_score``, ``monetary_score``, ``rfm_segment``,
                          ``nps_class``, ``last_nps``, ``days_since_last_answer``,
                          ``share_of_wallet``, ``share_of_wallet_band``,
                          ``days_since_last_purchase``, ``purchase_days``, ``net_spend``,
                          ``expiring_points``
``subscription_scores``   ``cancel_probability_30d``, ``cancel_probability_90d`` (the highest
                          of the member's active contracts), ``median_residual_days`` (the
                          shortest), ``loyalty_index`` (the lowest; 0-100)
``home_store``            ``home_store`` (its code), ``home_region`` (its region)
``loyalty``               ``tier``, ``points_balance``, ``days_until_tier_downgrade``
                          (the grace period's end; in the campaign's ``program``)
``consent``               ``consent_email``, ``consent_sms``, ``consent_push`` (in force now)
``open_case``             ``open_case`` (an open or in-progress detractor case)
========================  =================================================================

Adding a source is a few lines: its fields in :data:`FIELDS` with ``source="<name>"``, and
its table in the store's ``SOURCES`` (any table or subquery with one row per ``member_id``
joins by itself; ``subscription_scores`` is one row per contract, summed up per member).

A filter is a mapping: ``{field, <operator>: value}`` for one condition, ``{all: [...]}``,
``{any: [...]}`` and ``{not: {...}}`` to combine them. Operators: ``eq``, ``ne``, ``lt``,
``le``, ``gt``, ``ge``, ``in``, ``not_in``, ``between: [low, high]`` (both included) and
``is_null: true|false``. A condition on a missing value is false (a member without scores
is not ``probability_alive < 0.2``), except ``is_null: true`` and ``ne``/``not_in``, which
are also false on a missing value: write ``any: [{..., ne: x}, {..., is_null: true}]`` to
include members without one.

``days_since_*`` and ``days_until_*`` fields count days in the business's time zone as of
the run, from the stored time (the last purchase, the last answer, the signup date, the
expected loss), so "no purchase for 60 days" is ``{field: days_since_last_purchase, ge:
60}`` and stays true to the day whenever the job runs. :func:`parse_audience` raises
:class:`AudienceError` naming the place in the filter (``audience.all[2].value``) and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    TEXT = "text"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    DATE = "date"
    DAYS = "days"  # whole days since (or until) a stored time, as of the run


@dataclass(frozen=True)
class Field:
    """A field a filter may name: its type, the source and column it is read from, and for
    a choice the values it may take. ``column`` of a ``days`` field is the stored time;
    ``direction`` is +1 for days since it, -1 for days until it."""

    name: str
    type: FieldType
    source: str
    column: str
    choices: tuple[str, ...] = ()
    direction: int = 1
    description: str = ""


def _f(name: str, kind: FieldType, source: str, column: str | None = None, **extra: Any) -> Field:
    return Field(name, kind, source, column or name, **extra)


STAGES = ("first_visit", "first_purchase", "repeat", "attached", "loyal")
LOYALTY_TYPES = ("true", "latent", "spurious", "none", "unknown")
NPS_CLASSES = ("promoter", "passive", "detractor")
WALLET_BANDS = ("loyal", "middle", "at_risk")
SEGMENTS = ("individual", "business", "vip")
RFM_SEGMENTS = (
    "champions",
    "loyal customers",
    "potential loyalists",
    "new customers",
    "promising",
    "can't lose them",
    "at risk",
    "need attention",
    "about to sleep",
    "hibernating",
    "lost",
    "others",
)

N, INT, T, C, B, D, DAYS = (
    FieldType.NUMBER,
    FieldType.INTEGER,
    FieldType.TEXT,
    FieldType.CHOICE,
    FieldType.BOOLEAN,
    FieldType.DATE,
    FieldType.DAYS,
)

FIELDS: Mapping[str, Field] = {
    f.name: f
    for f in (
        # members
        _f("segment", C, "members", choices=SEGMENTS),
        _f("locale", C, "members", choices=("ko", "en")),
        _f("region", T, "members"),
        _f("acquisition_channel", T, "members"),
        _f("signup_date", D, "members"),
        _f("days_since_signup", DAYS, "members", "signup_date"),
        _f("birthday_today", B, "members", "birth_date", description="today, in local time"),
        # member_scores
        _f("probability_alive", N, "member_scores"),
        _f("expected_purchases", N, "member_scores"),
        _f("clv", INT, "member_scores"),
        _f("value_at_risk", INT, "member_scores"),
        _f("days_until_expected_loss", DAYS, "member_scores", "expected_loss_at", direction=-1),
        # member_analytics
        _f("stage", C, "member_analytics", choices=STAGES),
        _f("loyalty_type", C, "member_analytics", choices=LOYALTY_TYPES),
        _f("recency_score", INT, "member_analytics"),
        _f("frequency_score", INT, "member_analytics"),
        _f("monetary_score", INT, "member_analytics"),
        _f("rfm_segment", C, "member_analytics", choices=RFM_SEGMENTS),
        _f("nps_class", C, "member_analytics", choices=NPS_CLASSES),
        _f("last_nps", INT, "member_analytics"),
        _f("days_since_last_answer", DAYS, "member_analytics", "last_answer_at"),
        _f("share_of_wallet", N, "member_analytics"),
        _f("share_of_wallet_band", C, "member_analytics", choices=WALLET_BANDS),
        _f("days_since_last_purchase", DAYS, "member_analytics", "last_purchase_at"),
        _f("purchase_days", INT, "member_analytics"),
        _f("net_spend", INT, "member_analytics"),
        _f("expiring_points", INT, "member_analytics"),
        # subscription_scores (of the member's active contracts)
        _f("cancel_probability_30d", N, "subscription_scores"),
        _f("cancel_probability_90d", N, "subscription_scores"),
        _f("median_residual_days", N, "subscription_scores"),
        _f("loyalty_index", N, "subscription_scores"),
        # the member's home store
        _f("home_store", T, "home_store", "code"),
        _f("home_region", T, "home_store", "region"),
        # the campaign's loyalty program
        _f("tier", T, "loyalty"),
        _f("points_balance", INT, "loyalty", "available"),
        _f(
            "days_until_tier_downgrade",
            DAYS,
            "loyalty",
            "tier_grace_until",
            direction=-1,
            description="the tier's grace period ends (below the tier: at risk of downgrade)",
        ),
        # consent in force
        _f("consent_email", B, "consent", "email"),
        _f("consent_sms", B, "consent", "sms"),
        _f("consent_push", B, "consent", "push"),
        # follow-up cases
        _f("open_case", B, "open_case", "open"),
    )
}

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between", "is_null")
ORDERED = ("lt", "le", "gt", "ge", "between")
ALLOWED: Mapping[FieldType, tuple[str, ...]] = {
    FieldType.NUMBER: ("eq", "ne", *ORDERED, "is_null"),
    FieldType.INTEGER: OPERATORS,
    FieldType.TEXT: ("eq", "ne", "in", "not_in", "is_null"),
    FieldType.CHOICE: ("eq", "ne", "in", "not_in", "is_null"),
    FieldType.BOOLEAN: ("eq", "ne"),
    FieldType.DATE: ("eq", "ne", *ORDERED, "is_null"),
    FieldType.DAYS: ("eq", *ORDERED, "is_null"),
}


class AudienceError(ValueError):
    """A filter that cannot be compiled: ``field`` is where (``audience.all[1].value``)."""

    def __init__(self, field: str, message: str, value: object = None) -> None:
        super().__init__(f"{field}: {message} (got {value!r})")
        self.field = field
        self.value = value
        self.reason = message


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    value: Any  # a number, text, bool, date, or a tuple for in / not_in / between


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    part: Filter


Filter = Condition | AllOf | AnyOf | Not
EVERYONE = AllOf(())


def parse_audience(data: Any, where: str = "audience") -> Filter:
    """Check a filter (from YAML, JSON or an API body); ``None`` or ``{}`` is everyone."""
    if data is None or data == {}:
        return EVERYONE
    if isinstance(data, list):
        return AllOf(tuple(parse_audience(d, f"{where}[{i}]") for i, d in enumerate(data)))
    if not isinstance(data, Mapping):
        raise AudienceError(where, "must be a mapping: {field, op: value}, all, any or not", data)
    keys = set(data)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                raise AudienceError(where, f"'{combinator}' stands alone", sorted(keys))
            items = data[combinator]
            if not isinstance(items, list) or not items:
                raise AudienceError(f"{where}.{combinator}", "must be a non-empty list", items)
            parts = tuple(
                parse_audience(d, f"{where}.{combinator}[{i}]") for i, d in enumerate(items)
            )
            return AllOf(parts) if combinator == "all" else AnyOf(parts)
    if "not" in keys:
        if keys != {"not"}:
            raise AudienceError(where, "'not' stands alone", sorted(keys))
        return Not(parse_audience(data["not"], f"{where}.not"))
    return _condition(data, where)


def _condition(data: Mapping[str, Any], where: str) -> Condition:
    name = data.get("field")
    if name not in FIELDS:
        raise AudienceError(
            f"{where}.field", f"unknown field; known fields: {', '.join(sorted(FIELDS))}", name
        )
    field = FIELDS[str(name)]
    ops = [k for k in data if k != "field"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise AudienceError(
            where, f"a condition has one operator, one of {', '.join(OPERATORS)}", ops
        )
    op = ops[0]
    if op not in ALLOWED[field.type]:
        raise AudienceError(
            f"{where}.{op}",
            f"{field.name} ({field.type.value}) takes {', '.join(ALLOWED[field.type])}",
            op,
        )
    raw = data[op]
    place = f"{where}.{op}"
    if op == "is_null":
        if not isinstance(raw, bool):
            raise AudienceError(place, "must be true or false", raw)
        return Condition(field, op, raw)
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            raise AudienceError(place, "must be a non-empty list", raw)
        return Condition(
            field, op, tuple(_value(field, v, f"{place}[{i}]") for i, v in enumerate(raw))
        )
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise AudienceError(place, "must be [low, high]", raw)
        low, high = (_value(field, v, f"{place}[{i}]") for i, v in enumerate(raw))
        if low > high:
            raise AudienceError(place, "low must not be above high", raw)
        return Condition(field, op, (low, high))
    return Condition(field, op, _value(field, raw, place))


def _value(field: Field, raw: Any, where: str) -> Any:
    kind = field.type
    if kind is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            raise AudienceError(where, f"{field.name} is true or false", raw)
        return raw
    if kind in (FieldType.NUMBER, FieldType.INTEGER, FieldType.DAYS):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise AudienceError(where, f"{field.name} takes a number", raw)
        if kind is not FieldType.NUMBER and raw != int(raw):
            raise AudienceError(where, f"{field.name} takes a whole number", raw)
        return int(raw) if kind is not FieldType.NUMBER else raw
    if kind is FieldType.DATE:
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise AudienceError(where, f"{field.name} takes a date YYYY-MM-DD", raw) from None
    if not isinstance(raw, str) or not raw:
        raise AudienceError(where, f"{field.name} takes a text", raw)
    if kind is FieldType.CHOICE and raw not in field.choices:
        raise AudienceError(where, f"{field.name} is one of {', '.join(field.choices)}", raw)
    return raw


def sources(audience: Filter) -> set[str]:
    """The sources a filter reads (what the store must join)."""
    if isinstance(audience, Condition):
        return {audience.field.source}
    if isinstance(audience, Not):
        return sources(audience.part)
    return set().union(*(sources(p) for p in audience.parts)) if audience.parts else set()


def fields(audience: Filter) -> set[str]:
    """The field names a filter reads."""
    if isinstance(audience, Condition):
        return {audience.field.name}
    if isinstance(audience, Not):
        return fields(audience.part)
    return set().union(*(fields(p) for p in audience.parts)) if audience.parts else set()


def days_bounds(op: str, value: Any) -> tuple[int | None, int | None]:
    """The whole-day range ``(low, high)`` (inclusive, None: open) a ``days`` condition
    allows.

    >>> days_bounds("ge", 60), days_bounds("lt", 7), days_bounds("between", (3, 5))
    ((60, None), (None, 6), (3, 5))
    """
    if op == "eq":
        return value, value
    if op == "ge":
        return value, None
    if op == "gt":
        return value + 1, None
    if op == "le":
        return None, value
    if op == "lt":
        return None, value - 1
    if op == "between":
        low, high = value
        return low, high
    raise ValueError(f"no day range for {op}")


def birthdays_today(today: date) -> tuple[tuple[int, int], ...]:
    """The (month, day) birthdays celebrated on ``today``: 29 February is celebrated on
    28 February in a year without one (as the loyalty birthday bonus does).

    >>> birthdays_today(date(2027, 2, 28))
    ((2, 28), (2, 29))
    >>> birthdays_today(date(2028, 2, 28))
    ((2, 28),)
    """
    days = [(today.month, today.day)]
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if (today.month, today.day) == (2, 28) and not leap:
        days.append((2, 29))
    return tuple(days)


def describe(fields_: Sequence[Field] | None = None) -> list[dict[str, Any]]:
    """The registered fields as data (for ``regulars campaigns fields`` and the API)."""
    return [
        {
            "name": f.name,
            "type": f.type.value,
            "source": f.source,
            "operators": list(ALLOWED[f.type]),
            **({"choices": list(f.choices)} if f.choices else {}),
        }
        for f in (fields_ or list(FIELDS.values()))
    ]
