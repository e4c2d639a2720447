"""Status tiers: which tier a member qualifies for, and when a downgrade takes effect.

A member qualifies for the highest tier whose threshold their measure (spend, points or
purchases over the rolling window) reaches. An upgrade is immediate. A downgrade waits
``grace_days``: the first evaluation that finds the member below their tier starts the grace
period; an evaluation after it ends moves them down (to the tier they then qualify for).
Requalifying during the grace period cancels it.

>>> from datetime import datetime, UTC
>>> from decimal import Decimal
>>> from regulars.domain.loyalty.programs import Tier, TierRules
>>> rules = TierRules("spend", 12, 30, (Tier("green", "Green", 0), Tier("gold", "Gold", 500000)))
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> kept = decide(rules, "gold", None, 100, t)
>>> kept.tier, kept.grace_until.date(), kept.changed
('gold', datetime.date(2026, 1, 31), False)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.domain.loyalty.programs import Tier, TierRules


@dataclass(frozen=True)
class TierDecision:
    tier: str | None
    grace_until: datetime | None
    changed: bool


def qualifying(rules: TierRules, measure: int) -> Tier | None:
    best = None
    for tier in rules.tiers:
        if measure >= tier.threshold:
            best = tier
    return best


def _rank(rules: TierRules, code: str | None) -> int:
    for i, tier in enumerate(rules.tiers):
        if tier.code == code:
            return i
    return -1


def decide(
    rules: TierRules,
    current: str | None,
    grace_until: datetime | None,
    measure: int,
    now: datetime,
) -> TierDecision:
    target = qualifying(rules, measure)
    target_code = target.code if target else None
    if _rank(rules, target_code) >= _rank(rules, current):
        return TierDecision(target_code, None, target_code != current)
    if grace_until is None:
        return TierDecision(current, now + timedelta(days=rules.grace_days), False)
    if now >= grace_until:
        return TierDecision(target_code, None, True)
    return TierDecision(current, grace_until, False)
