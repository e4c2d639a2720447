"""Loyalty programs defined as data: what a YAML/JSON file (or an API body) says, checked.

Three kinds (the brief, section 1), alone or combined — a business may run several at once:

- ``points`` (bonus / cashback): ``earn: {points: 5, per_amount: 100}`` is 5 points per 100
  won; ``multipliers`` by category, product, store, channel and tier; a ``minimum_purchase``;
  ``rounding`` (down | half_up | up) of the purchase's total; ``redeem`` says what a point is
  worth (``point_value`` in minor units) and which share of an order points may pay
  (``min_share_percent`` / ``max_share_percent``, ``min_points``); ``expiry`` (days |
  end_of_month | end_of_year | never) and ``return_window_days`` (points stay pending, locked,
  until the purchase can no longer be returned). ``tiers``, ``bonuses`` (signup, birthday,
  referral), time-boxed ``campaigns``, a per-member ``cap`` per period and a ``budget`` of
  points for the whole program also belong here.
- ``discount`` (discount card): ``discount: {window_months: 0, thresholds: [{from: 0,
  percent: 3}, {from: 300000, percent: 5}]}`` — the rate grows with cumulative spend over the
  window (0 = lifetime, else rolling N months).
- ``stamps`` (cumulative card): ``stamps: {every: 6, count: items, category: coffee, reward:
  {name: Free coffee, product: americano, valid_days: 30}}`` — every 6 qualifying items (or
  purchases) issue a reward voucher.

Rates and factors are decimals written as strings or integers (``"1.5"``), never floats, so
that a definition means exactly what it says. :func:`parse_program` raises
:class:`ProgramError` naming the field and the value it refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from regulars.domain.loyalty.ledger import ExpiryKind, ExpiryPolicy


class ProgramError(ValueError):
    def __init__(self, field: str, message: str, value: object = None) -> None:
        super().__init__(f"{field}: {message} (got {value!r})")
        self.field = field
        self.value = value
        self.reason = message


class ProgramKind(StrEnum):
    POINTS = "points"
    DISCOUNT = "discount"
    STAMPS = "stamps"


class Rounding(StrEnum):
    DOWN = "down"
    HALF_UP = "half_up"
    UP = "up"


DIMENSIONS = ("category", "product", "store", "channel", "tier")
PERIODS = ("day", "week", "month", "year")
PRIVILEGES = (
    "priority_service",
    "personal_manager",
    "closed_club",
    "special_prices",
    "limited_editions",
)


@dataclass(frozen=True)
class Multiplier:
    dimension: str
    code: str
    factor: Decimal


@dataclass(frozen=True)
class Cap:
    points: int
    period: str


@dataclass(frozen=True)
class Campaign:
    code: str
    starts_at: datetime
    ends_at: datetime
    factor: Decimal = Decimal(1)
    bonus_points: int = 0
    categories: tuple[str, ...] = ()
    cap: Cap | None = None

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    threshold: int
    earn_multiplier: Decimal = Decimal(1)
    discount_percent: Decimal = Decimal(0)
    privileges: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierRules:
    measure: str  # spend | points | purchases
    window_months: int
    grace_days: int
    tiers: tuple[Tier, ...]  # by rising threshold

    def get(self, code: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.code == code), None)


@dataclass(frozen=True)
class Bonuses:
    signup: int = 0
    birthday: int = 0
    referrer: int = 0
    referee: int = 0


@dataclass(frozen=True)
class PointsRules:
    earn_points: int
    per_amount: int
    rounding: Rounding = Rounding.DOWN
    minimum_purchase: int = 0
    multipliers: tuple[Multiplier, ...] = ()
    point_value: int = 1
    min_redeem_points: int = 1
    min_share_percent: Decimal = Decimal(0)
    max_share_percent: Decimal = Decimal(100)
    expiry: ExpiryPolicy = field(default_factory=ExpiryPolicy)
    return_window_days: int = 0


@dataclass(frozen=True)
class DiscountRules:
    window_months: int  # 0: lifetime
    thresholds: tuple[tuple[int, Decimal], ...]  # (from cumulative spend, percent), rising


@dataclass(frozen=True)
class StampRules:
    every: int
    count: str = "purchases"  # purchases | items
    category: str | None = None
    product: str | None = None
    minimum_amount: int = 0
    reward_name: str = "Reward"
    reward_product: str | None = None
    reward_valid_days: int | None = None


@dataclass(frozen=True)
class Program:
    code: str
    name: str
    kind: ProgramKind
    points: PointsRules | None = None
    discount: DiscountRules | None = None
    stamps: StampRules | None = None
    tiers: TierRules | None = None
    bonuses: Bonuses = field(default_factory=Bonuses)
    campaigns: tuple[Campaign, ...] = ()
    cap: Cap | None = None
    budget: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def running(self, at: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= at) and (
            self.ends_at is None or at < self.ends_at
        )


# --- parsing ------------------------------------------------------------------------------


def _int(data: Mapping[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgramError(f"{where}{key}", "must be a whole number", value)
    if value < 0:
        raise ProgramError(f"{where}{key}", "must not be negative", value)
    return value


def _decimal(data: Mapping[str, Any], key: str, where: str, default: str) -> Decimal:
    value = data.get(key, default)
    if isinstance(value, float):
        raise ProgramError(f"{where}{key}", 'write decimals as strings, e.g. "1.5"', value)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProgramError(f"{where}{key}", "must be a decimal number", value) from None
    if number < 0 or not number.is_finite():
        raise ProgramError(f"{where}{key}", "must be a non-negative number", value)
    return number


def _time(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise ProgramError(where, "must be an ISO date-time with offset", value) from None
    if parsed.tzinfo is None:
        raise ProgramError(where, "needs a UTC offset, e.g. 2026-12-01T00:00:00+09:00", value)
    return parsed


def _choice(value: Any, allowed: Sequence[str], where: str) -> str:
    if value not in allowed:
        raise ProgramError(where, f"must be one of {', '.join(allowed)}", value)
    return str(value)


def _cap(data: Any, where: str) -> Cap | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ProgramError(where, "must be a mapping {points, period}", data)
    return Cap(
        _int(data, "points", f"{where}."),
        _choice(data.get("period", "month"), PERIODS, f"{where}.period"),
    )


def _expiry(data: Any) -> ExpiryPolicy:
    if data is None:
        return ExpiryPolicy()
    if not isinstance(data, Mapping):
        raise ProgramError("points.expiry", "must be a mapping {policy, days}", data)
    kind = ExpiryKind(_choice(data.get("policy", "never"), list(ExpiryKind), "expiry.policy"))
    return ExpiryPolicy(
        kind,
        days=_int(data, "days", "expiry.", 365),
        months=_int(data, "months", "expiry.", 0),
        years=_int(data, "years", "expiry.", 0),
    )


def _points(data: Mapping[str, Any]) -> PointsRules:
    earn = data.get("earn") or {}
    redeem = data.get("redeem") or {}
    multipliers = []
    for i, m in enumerate(data.get("multipliers") or []):
        where = f"points.multipliers[{i}]."
        dimension = _choice(m.get("dimension"), DIMENSIONS, f"{where}dimension")
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise ProgramError(f"{where}code", "must name the category/product/…", code)
        multipliers.append(Multiplier(dimension, code, _decimal(m, "factor", where, "1")))
    per_amount = _int(earn, "per_amount", "points.earn.", 100)
    if per_amount == 0:
        raise ProgramError("points.earn.per_amount", "must be positive", 0)
    rounding = _choice(data.get("rounding", "down"), list(Rounding), "points.rounding")
    return PointsRules(
        earn_points=_int(earn, "points", "points.earn."),
        per_amount=per_amount,
        rounding=Rounding(rounding),
        minimum_purchase=_int(data, "minimum_purchase", "points.", 0),
        multipliers=tuple(multipliers),
        point_value=max(1, _int(redeem, "point_value", "points.redeem.", 1)),
        min_redeem_points=max(1, _int(redeem, "min_points", "points.redeem.", 1)),
        min_share_percent=_decimal(redeem, "min_share_percent", "points.redeem.", "0"),
        max_share_percent=_decimal(redeem, "max_share_percent", "points.redeem.", "100"),
        expiry=_expiry(data.get("expiry")),
        return_window_days=_int(data, "return_window_days", "points.", 0),
    )


def _discount(data: Mapping[str, Any]) -> DiscountRules:
    thresholds = []
    for i, t in enumerate(data.get("thresholds") or []):
        where = f"discount.thresholds[{i}]."
        thresholds.append((_int(t, "from", where), _decimal(t, "percent", where, "0")))
    if not thresholds:
        raise ProgramError("discount.thresholds", "at least one threshold is needed", None)
    return DiscountRules(_int(data, "window_months", "discount.", 0), tuple(sorted(thresholds)))


def _stamps(data: Mapping[str, Any]) -> StampRules:
    reward = data.get("reward") or {}
    every = _int(data, "every", "stamps.")
    if every == 0:
        raise ProgramError("stamps.every", "must be at least 1", every)
    valid = reward.get("valid_days")
    return StampRules(
        every=every,
        count=_choice(data.get("count", "purchases"), ("purchases", "items"), "stamps.count"),
        category=data.get("category"),
        product=data.get("product"),
        minimum_amount=_int(data, "minimum_amount", "stamps.", 0),
        reward_name=str(reward.get("name") or "Reward"),
        reward_product=reward.get("product"),
        reward_valid_days=None if valid is None else _int(reward, "valid_days", "reward."),
    )


def _tiers(data: Mapping[str, Any]) -> TierRules:
    tiers = []
    for i, t in enumerate(data.get("levels") or []):
        where = f"tiers.levels[{i}]."
        code = t.get("code")
        if not isinstance(code, str) or not code:
            raise ProgramError(f"{where}code", "every tier needs a code", code)
        privileges = tuple(t.get("privileges") or ())
        for p in privileges:
            _choice(p, PRIVILEGES, f"{where}privileges")
        tiers.append(
            Tier(
                code=code,
                name=str(t.get("name") or code),
                threshold=_int(t, "threshold", where),
                earn_multiplier=_decimal(t, "earn_multiplier", where, "1"),
                discount_percent=_decimal(t, "discount_percent", where, "0"),
                privileges=privileges,
            )
        )
    if not tiers:
        raise ProgramError("tiers.levels", "at least one tier is needed", None)
    return TierRules(
        measure=_choice(data.get("measure", "spend"), ("spend", "points", "purchases"), "tiers."),
        window_months=_int(data, "window_months", "tiers.", 12),
        grace_days=_int(data, "grace_days", "tiers.", 30),
        tiers=tuple(sorted(tiers, key=lambda t: t.threshold)),
    )


def _campaigns(items: Any) -> tuple[Campaign, ...]:
    campaigns = []
    for i, c in enumerate(items or []):
        where = f"campaigns[{i}]."
        campaigns.append(
            Campaign(
                code=str(c.get("code") or f"campaign-{i + 1}"),
                starts_at=_time(c.get("starts_at"), f"{where}starts_at"),
                ends_at=_time(c.get("ends_at"), f"{where}ends_at"),
                factor=_decimal(c, "factor", where, "1"),
                bonus_points=_int(c, "bonus_points", where, 0),
                categories=tuple(c.get("categories") or ()),
                cap=_cap(c.get("cap"), f"{where}cap"),
            )
        )
    return tuple(campaigns)


def parse_program(data: Mapping[str, Any]) -> Program:
    """Check a program definition (a mapping from YAML, JSON or an API body)."""
    if not isinstance(data, Mapping):
        raise ProgramError("program", "must be a mapping", data)
    code = data.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise ProgramError("code", "a program needs a code of 1-64 characters", code)
    kind = ProgramKind(_choice(data.get("kind"), list(ProgramKind), "kind"))
    section = data.get(kind.value)
    if not isinstance(section, Mapping):
        raise ProgramError(kind.value, f"a {kind.value} program needs a '{kind.value}' section")
    bonuses = data.get("bonuses") or {}
    referral = bonuses.get("referral") or {}
    return Program(
        code=code,
        name=str(data.get("name") or code),
        kind=kind,
        points=_points(section) if kind is ProgramKind.POINTS else None,
        discount=_discount(section) if kind is ProgramKind.DISCOUNT else None,
        stamps=_stamps(section) if kind is ProgramKind.STAMPS else None,
        tiers=_tiers(data["tiers"]) if data.get("tiers") else None,
        bonuses=Bonuses(
            signup=_int(bonuses, "signup", "bonuses.", 0),
            birthday=_int(bonuses, "birthday", "bonuses.", 0),
            referrer=_int(referral, "referrer", "bonuses.referral.", 0),
            referee=_int(referral, "referee", "bonuses.referral.", 0),
        ),
        campaigns=_campaigns(data.get("campaigns")),
        cap=_cap(data.get("cap"), "cap"),
        budget=None if data.get("budget") is None else _int(data, "budget", ""),
        starts_at=_time(data["starts_at"], "starts_at") if data.get("starts_at") else None,
        ends_at=_time(data["ends_at"], "ends_at") if data.get("ends_at") else None,
    )
