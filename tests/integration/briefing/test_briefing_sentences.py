"""The executive summary says what moved — and claims a change only when the test supports
it — on stores where we built what moved (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.briefing.conftest import AS_OF, NOW, TZ, Period, Scenario, build_store

from regulars.bootstrap import App
from regulars.services.briefing.build import Briefing, briefing
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.values import Sentence

MOVED = Scenario(
    before=Period(nps=(10, 20, 30), checks=(4_000, 6_000) * 30, returning=0, new=30),
    after=Period(nps=(40, 10, 10), checks=(7_000, 9_000) * 30, returning=30, new=0),
)
"""NPS -33 -> +50, average check 5,000 -> 8,000, returning 0 % -> 100 %: all significant."""

STILL = Scenario(
    before=Period(nps=(15, 15, 10), checks=(4_000, 6_000) * 30, returning=10, new=10),
    after=Period(nps=(16, 15, 9), checks=(4_000, 6_200) * 30, returning=11, new=9),
)
"""NPS 12.5 -> 17.5 on 40 answers a period, check 5,000 -> 5,100, returning 50 % -> 55 %:
changes well inside the margins."""


def _briefing(app: App, tmp_path: Path, scenario: Scenario) -> Briefing:
    build_store(app, tmp_path, scenario)
    with app.unit_of_work() as uow:
        return briefing(uow, NOW, timezone=TZ)


def _moved(found: Briefing, prefix: str) -> Sentence:
    return next(
        s for s in found.summary.moved if s.key.startswith(prefix) and "overall" not in s.key
    )


def test_significant_changes_are_said_to_rise(app: App, tmp_path: Path) -> None:
    found = _briefing(app, tmp_path, MOVED)
    assert found.as_of == AS_OF
    assert (found.current.first_day.isoformat(), found.current.last_day.isoformat()) == (
        "2026-10-02",
        "2026-10-31",
    )
    nps, check, returning = (
        _moved(found, p) for p in ("summary.nps", "summary.check", "summary.returning")
    )
    assert nps.key == "summary.nps.rose"
    assert check.key == "summary.check.rose"
    assert returning.key == "summary.returning.rose"
    m = found.movements
    assert (m.nps.before.n, m.nps.after.n) == (60, 60)
    assert m.nps.before.nps == pytest.approx(100 * (10 - 30) / 60)
    assert m.nps.after.nps == pytest.approx(100 * (40 - 10) / 60)
    assert m.average_check.before == 5_000
    assert m.average_check.after == 8_000
    assert (m.average_check.n_before, m.average_check.n_after) == (60, 60)
    assert (m.returning.before, m.returning.after) == (0.0, 100.0)
    assert m.returning_members == (0, 30)

    en = Formatter("en", TZ)
    assert en.say(nps).startswith("NPS rose from -33 to 50 (+83 points;")
    assert "a significant improvement" in en.say(nps)
    assert en.say(check).startswith("The average check rose from ₩5,000 to ₩8,000 (+60.0%;")
    assert "of the 30 members who bought in the last 30 days, 30 had bought before: 100.0%" in (
        en.say(returning).lower()
    )
    ko = Formatter("ko", TZ)
    assert ko.say(nps).startswith("NPS가 -33에서 50으로 올랐습니다")
    assert ko.say(check).startswith("평균 객단가가 ₩5,000에서 ₩8,000으로 올랐습니다")
    assert en.say(found.summary.period) == (
        "This briefing compares the last 30 days (2 Oct 2026 to 31 Oct 2026) with the 30 days "
        "before (2 Sep 2026 to 1 Oct 2026)."
    )


def test_changes_within_the_margin_are_not_claimed(app: App, tmp_path: Path) -> None:
    found = _briefing(app, tmp_path, STILL)
    nps, check, returning = (
        _moved(found, p) for p in ("summary.nps", "summary.check", "summary.returning")
    )
    assert nps.key == "summary.nps.within_margin"
    assert check.key == "summary.check.within_margin"
    assert returning.key == "summary.returning.within_margin"
    m = found.movements
    assert m.nps.change.significant is False
    assert m.nps.change.p_value > 0.05
    assert m.average_check.significant is False
    assert m.returning.significant is False
    en = Formatter("en", TZ)
    text = en.say(nps)
    assert text.startswith("NPS moved from 13 to 18 (+5 points), within the margin")
    assert text.endswith("not a significant change.")
    for sentence in (nps, check, returning):
        said = en.say(sentence)
        assert "rose" not in said
        assert "fell" not in said
        assert "significant change" in said
    assert Formatter("ko", TZ).say(nps).endswith("유의한 변화가 아닙니다.")


def test_a_period_without_answers_is_not_compared(app: App, tmp_path: Path) -> None:
    scenario = Scenario(
        before=Period(checks=(5_000,) * 4, returning=0, new=4),
        after=Period(nps=(5, 3, 2), checks=(5_000,) * 4, returning=2, new=2),
    )
    found = _briefing(app, tmp_path, scenario)
    nps = _moved(found, "summary.nps")
    assert nps.key == "summary.nps.only_now"
    assert found.movements.nps.change.significant is None
    text = Formatter("en", TZ).say(nps)
    assert text.startswith("NPS over the last 30 days: 30 (95% interval ")
    assert "no answers to compare with" in text
    check = _moved(found, "summary.check")
    assert check.key == "summary.check.steady"  # 5,000 both times: nothing moved at all
