"""What a basket earns under a program: points, discount rate, stamps; what points may pay.

All arithmetic is exact (``Fraction``) and rounded once, on the purchase's total.

>>> from datetime import datetime, UTC
>>> from regulars.domain.loyalty.programs import parse_program
>>> program = parse_program({"code": "p", "kind": "points", "points": {
...     "earn": {"points": 5, "per_amount": 100},
...     "multipliers": [{"dimension": "category", "code": "beans", "factor": "2"}]}})
>>> basket = Basket((BasketLine("latte", "coffee", 1, 4500),
...                  BasketLine("kenya", "beans", 1, 18000)), at=datetime(2026, 1, 1, tzinfo=UTC))
>>> points_for(program, basket).points  # 5 % of 4,500 + 10 % of 18,000
2025
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

from regulars.domain.loyalty.programs import (
    Cap,
    DiscountRules,
    PointsRules,
    Program,
    Rounding,
    StampRules,
    Tier,
)


@dataclass(frozen=True)
class BasketLine:
    product: str
    category: str | None
    quantity: int
    amount: int


@dataclass(frozen=True)
class Basket:
    lines: tuple[BasketLine, ...]
    at: datetime
    store: str | None = None
    channel: str | None = None

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class Earning:
    points: int
    base: int
    campaign_bonus: int
    campaigns: tuple[str, ...]


def _round(value: Fraction, rounding: Rounding) -> int:
    if rounding is Rounding.UP:
        return ceil(value)
    if rounding is Rounding.HALF_UP:
        return floor(value + Fraction(1, 2))
    return floor(value)


def _factor(rules: PointsRules, dimension: str, code: str | None) -> Fraction:
    result = Fraction(1)
    for m in rules.multipliers:
        if m.dimension == dimension and m.code == code:
            result *= Fraction(m.factor)
    return result


def points_for(program: Program, basket: Basket, tier: Tier | None = None) -> Earning:
    """Points a sale earns: per line, the earn rate times the line's category and product
    multipliers, times the purchase's store, channel and tier multipliers (and the tier's own
    earn multiplier), times each running campaign's factor (limited to its categories if it
    names any), plus campaigns' flat bonuses; nothing below the minimum purchase."""
    rules = program.points
    if rules is None or not program.running(basket.at) or basket.total <= 0:
        return Earning(0, 0, 0, ())
    if basket.total < rules.minimum_purchase:
        return Earning(0, 0, 0, ())
    rate = Fraction(rules.earn_points, rules.per_amount)
    head = _factor(rules, "store", basket.store) * _factor(rules, "channel", basket.channel)
    if tier is not None:
        head *= _factor(rules, "tier", tier.code) * Fraction(tier.earn_multiplier)
    campaigns = [c for c in program.campaigns if c.active(basket.at)]
    # Discount lines (negative amounts) lower what every other line earns, pro rata: the
    # points are earned on what the member paid, not on the list prices.
    paid = Fraction(basket.total, sum(line.amount for line in basket.lines if line.amount > 0))
    total = Fraction(0)
    base = Fraction(0)
    for line in basket.lines:
        if line.amount <= 0:
            continue
        value = line.amount * paid * rate
        value *= _factor(rules, "category", line.category) * _factor(rules, "product", line.product)
        value *= head
        base += value
        for c in campaigns:
            if not c.categories or line.category in c.categories:
                value *= Fraction(c.factor)
        total += value
    bonus = sum(c.bonus_points for c in campaigns)
    points = _round(total, rules.rounding)
    return Earning(
        points + bonus, _round(base, rules.rounding), bonus, tuple(c.code for c in campaigns)
    )


def capped(points: int, earned_in_period: int, cap: Cap | None) -> int:
    """What may still be awarded under a per-member cap for the period."""
    if cap is None:
        return points
    return max(0, min(points, cap.points - earned_in_period))


def period_start(period: str, at: datetime) -> datetime:
    """The start of the cap period (day, ISO week, month, year) containing ``at``."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def period_end(period: str, start: datetime) -> datetime:
    """The start of the next cap period after the one starting at ``start``."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return period_start("month", start + timedelta(days=32))
    return start.replace(year=start.year + 1)


def window_start(now: datetime, months: int) -> datetime:
    """The start of a rolling window of ``months`` months that ends at ``now`` (what tiers
    and the discount card measure); the day is kept, up to the 28th.

    >>> window_start(datetime(2026, 3, 31, 9), 12)
    datetime.datetime(2025, 3, 28, 9, 0)
    """
    index = now.year * 12 + now.month - 1 - months
    return now.replace(year=index // 12, month=index % 12 + 1, day=min(now.day, 28))


def discount_percent(rules: DiscountRules, cumulative_spend: int) -> Decimal:
    """The discount card's rate for a member with this cumulative spend.

    >>> from decimal import Decimal
    >>> rules = DiscountRules(0, ((0, Decimal(3)), (300000, Decimal(5)), (1000000, Decimal(7))))
    >>> discount_percent(rules, 299999), discount_percent(rules, 300000)
    (Decimal('3'), Decimal('5'))
    """
    rate = Decimal(0)
    for threshold, percent in rules.thresholds:
        if cumulative_spend >= threshold:
            rate = percent
    return rate


def discount_amount(total: int, percent: Decimal) -> int:
    """The discount in minor units, rounded down (never more than announced)."""
    return floor(Fraction(total) * Fraction(percent) / 100) if total > 0 else 0


def stamps_for(rules: StampRules, basket: Basket) -> int:
    """Stamps a sale earns: one per qualifying purchase, or one per qualifying item."""
    if basket.total < rules.minimum_amount or basket.total <= 0:
        return 0
    qualifying = [
        line
        for line in basket.lines
        if line.amount > 0
        and (rules.category is None or line.category == rules.category)
        and (rules.product is None or line.product == rules.product)
    ]
    if rules.count == "items":
        return sum(max(0, line.quantity) for line in qualifying)
    return 1 if qualifying else 0


@dataclass(frozen=True)
class StampProgress:
    stamps: int  # towards the next reward, 0 .. every-1
    rewards: int  # rewards issued by this step
    every: int


def add_stamps(rules: StampRules, current: int, added: int) -> StampProgress:
    """Buy 6, the 7th is free: every ``every`` stamps issue a reward and restart the card.

    >>> add_stamps(StampRules(every=6), 5, 2)
    StampProgress(stamps=1, rewards=1, every=6)
    """
    total = current + added
    return StampProgress(total % rules.every, total // rules.every, rules.every)


def redeemable_points(rules: PointsRules, spendable: int, order_amount: int | None) -> int:
    """The most points that may pay for this order (all spendable ones if no order given)."""
    most = spendable
    if order_amount is not None:
        share = floor(Fraction(order_amount) * Fraction(rules.max_share_percent) / 100)
        most = min(most, share // rules.point_value)
    return most if most >= rules.min_redeem_points else 0


def redemption_refusal(rules: PointsRules, points: int, order_amount: int | None) -> str | None:
    """Why a redemption of ``points`` for an order is not allowed (None when it is)."""
    if points < rules.min_redeem_points:
        return f"at least {rules.min_redeem_points} points must be redeemed at once"
    if order_amount is None:
        return None
    value = points * rules.point_value
    if value > order_amount:
        return f"{points} points are worth {value}, more than the order ({order_amount})"
    if Fraction(value) * 100 > Fraction(order_amount) * Fraction(rules.max_share_percent):
        return f"points may pay at most {rules.max_share_percent} % of an order"
    if Fraction(value) * 100 < Fraction(order_amount) * Fraction(rules.min_share_percent):
        return f"points must pay at least {rules.min_share_percent} % of an order"
    return None


@dataclass(frozen=True)
class Redeemable:
    """What points may pay for an order, and why not more: ``points`` (0 when none may),
    ``refusal`` — ``(code, reason)`` when none may: ``no_points``, ``pending`` (earned, still
    in the return window), ``below_minimum`` (fewer than ``min_points`` spendable, or the
    order's share cap allows fewer), ``below_min_share`` (what can be spent pays less than
    ``min_share_percent`` of the order) — and ``limited_by`` (``share_cap``) when the cap
    allows fewer than are spendable."""

    points: int
    refusal: tuple[str, str] | None = None
    limited_by: str | None = None


def redeemable(
    rules: PointsRules, spendable: int, pending: int, order_amount: int | None
) -> Redeemable:
    """The points that may pay this order (the most of :func:`redeemable_points`), with the
    reason when none may.

    >>> from regulars.domain.loyalty.programs import parse_program
    >>> rules = parse_program({"code": "p", "kind": "points", "points": {
    ...     "earn": {"points": 5, "per_amount": 100},
    ...     "redeem": {"min_points": 500, "max_share_percent": 50}}}).points
    >>> redeemable(rules, 300, 0, 10000).refusal[0]
    'below_minimum'
    >>> print(redeemable(rules, 2000, 0, 600).refusal[1])
    points may pay at most 50 % of this order (300), 300 points: fewer than 500 at once
    >>> redeemable(rules, 2000, 0, 3000)
    Redeemable(points=1500, refusal=None, limited_by='share_cap')
    """
    minimum = rules.min_redeem_points
    if spendable <= 0:
        if pending > 0:
            return Redeemable(
                0, ("pending", f"{pending} points are pending until the return window ends")
            )
        return Redeemable(0, ("no_points", "no points to spend"))
    if spendable < minimum:
        return Redeemable(
            0,
            (
                "below_minimum",
                f"{spendable} points spendable, at least {minimum} must be redeemed at once",
            ),
        )
    points = redeemable_points(rules, spendable, order_amount)
    if order_amount is None:
        return Redeemable(points)
    share = floor(Fraction(order_amount) * Fraction(rules.max_share_percent) / 100)
    if points == 0:
        cap = share // rules.point_value
        return Redeemable(
            0,
            (
                "below_minimum",
                f"points may pay at most {rules.max_share_percent} % of this order ({share}), "
                f"{cap} points: fewer than {minimum} at once",
            ),
        )
    if Fraction(points * rules.point_value) * 100 < Fraction(order_amount) * Fraction(
        rules.min_share_percent
    ):
        return Redeemable(
            0,
            (
                "below_min_share",
                f"points must pay at least {rules.min_share_percent} % of this order; "
                f"{points} points pay {points * rules.point_value}",
            ),
        )
    return Redeemable(points, limited_by="share_cap" if points < spendable else None)
