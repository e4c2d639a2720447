"""The console's glance at today shows the report's own figures and sentences (SQLite and
PostgreSQL): read straight from the store, without the analytics report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.integration.briefing.conftest import NOW, SEOUL, TZ, build_store
from tests.integration.briefing.test_briefing_page import _score
from tests.integration.briefing.test_briefing_sentences import MOVED

from regulars.bootstrap import App
from regulars.services.briefing.build import briefing
from regulars.services.briefing.today import today


def test_today_is_the_briefing_of_the_period_ending_today(app: App, tmp_path: Path) -> None:
    build_store(app, tmp_path, MOVED)
    _score(app, tmp_path)
    evening = datetime(2026, 10, 31, 20, tzinfo=SEOUL)  # the report's as_of is this day
    with app.unit_of_work() as uow:
        report = briefing(uow, NOW, timezone=TZ)
        glance = today(uow, evening, timezone=TZ)
    a, b = report.movements, glance.movements
    assert (b.current, b.previous) == (a.current, a.previous)
    assert b.nps == a.nps
    assert b.average_check == a.average_check
    assert b.returning == a.returning
    assert b.returning_members == a.returning_members == (0, 30)
    assert glance.moved == tuple(s for s in report.summary.moved if "overall" not in s.key)
    assert glance.save == report.summary.save
    assert glance.program == report.summary.program
    assert glance.at_risk == report.at_risk
    assert glance.loyalty == report.loyalty
    assert glance.cases.open == report.cases.open == 40  # type: ignore[union-attr]
