"""Campaign definitions: what is refused and where, the state machine, the holdout draw,
and the day arithmetic of ``days_since_*`` fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from regulars.domain.engagement.audiences import AudienceError, days_bounds, parse_audience
from regulars.domain.engagement.campaigns import (
    TRANSITIONS,
    CampaignError,
    State,
    holdout_draw,
    in_holdout,
    may_move,
    parse_campaign,
)

T = {"subject": "s", "text": "t", "sms": "m"}
GOOD: dict[str, Any] = {
    "code": "c",
    "trigger": {"daily": {"at": "10:00"}},
    "audience": {"all": [{"field": "segment", "eq": "vip"}, {"field": "clv", "ge": 1000}]},
    "steps": [{"message": {"templates": {"ko": T, "en": T}}}, {"wait": {"days": 3}}],
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_a_good_definition() -> None:
    campaign = parse_campaign(GOOD)
    assert campaign.holdout_percent == 10
    assert campaign.every_days is None
    assert campaign.needs_slot
    assert campaign.trigger.at.hour == 10


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        (_with(code=""), "code"),
        (_with(trigger={"daily": {}, "event": "signup"}), "trigger"),
        (_with(trigger={"event": "birthday"}), "trigger.event"),
        (_with(trigger={"wave": {"at": "2026-12-01T10:00"}}), "trigger.wave.at"),
        (_with(trigger={"daily": {"at": "25:00"}}), "trigger.daily.at"),
        (_with(audience={"field": "p_alive", "lt": 0.2}), "audience.field"),
        (_with(audience={"all": [{"field": "segment", "eq": "gold"}]}), "audience.all[0].eq"),
        (_with(audience={"field": "segment", "lt": "vip"}), "audience.lt"),
        (_with(audience={"field": "clv", "between": [5, 1]}), "audience.between"),
        (_with(audience={"any": []}), "audience.any"),
        (_with(audience={"field": "tier", "eq": "gold"}), "program"),
        (_with(steps=[]), "steps"),
        (_with(steps=[{"wait": {"days": 2}}]), "steps"),
        (_with(steps=[{"message": {"templates": {"ko": T}}}]), "steps[0].message.templates.en"),
        (_with(steps=[{"gift": {"points": 0}}], program="p"), "steps[0].gift.points"),
        (_with(steps=[{"gift": {"points": 10}}]), "program"),
        (_with(steps=[{"call": {}}]), "steps[0]"),
        (_with(holdout_percent=95), "holdout_percent"),
        (_with(entry={"every": 3}), "entry.every"),
        (_with(colour="red"), "colour"),
    ],
)
def test_bad_definitions_name_the_field(definition: dict[str, Any], field: str) -> None:
    with pytest.raises(CampaignError) as caught:
        parse_campaign(definition)
    assert caught.value.field == field


def test_the_state_machine() -> None:
    assert may_move(State.DRAFT, State.RUNNING)
    assert may_move(State.RUNNING, State.PAUSED)
    assert may_move(State.PAUSED, State.RUNNING)
    assert may_move(State.PAUSED, State.ENDED)
    assert not may_move(State.DRAFT, State.PAUSED)
    assert not any(may_move(State.ENDED, s) for s in State)
    assert set(TRANSITIONS) == set(State)


def test_the_holdout_draw_is_reproducible_and_fair() -> None:
    draws = [holdout_draw(17, m) for m in range(1, 20_001)]
    assert draws == [holdout_draw(17, m) for m in range(1, 20_001)]
    share = sum(in_holdout(17, m, 10) for m in range(1, 20_001)) / 20_000
    assert 0.09 < share < 0.11
    other = sum(in_holdout(18, m, 10) for m in range(1, 20_001) if in_holdout(17, m, 10))
    assert other < 300  # another seed draws another holdout (about 10 % of 2,000)
    assert all(0 <= d < 2**32 for d in draws)


def test_day_ranges() -> None:
    assert days_bounds("ge", 60) == (60, None)
    assert days_bounds("gt", 60) == (61, None)
    assert days_bounds("eq", 3) == (3, 3)
    assert days_bounds("le", 7) == (None, 7)


def test_audience_values_are_checked() -> None:
    with pytest.raises(AudienceError, match="a date"):
        parse_audience({"field": "signup_date", "ge": "yesterday"})
    assert parse_audience({"field": "signup_date", "ge": "2026-01-01"}).value == date(2026, 1, 1)  # type: ignore[union-attr]
