"""A small business for the feedback tests: members with and without consent, a purchase,
and two surveys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulars.bootstrap import App
from regulars.services.feedback import surveys
from regulars.services.imports.files import import_file

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
SECRET = "test-secret"

MEMBERS = """member_id,name,email,phone,locale,consent_email,consent_sms,consent_push
M1,김민준,m1@example.com,010-1,ko,yes,no,no
M2,Jane Lee,m2@example.com,010-2,en,no,yes,no
M3,No Consent,m3@example.com,010-3,en,no,no,no
M4,박서연,m4@example.com,010-4,ko,yes,no,no
"""
PURCHASES = """purchase_id,member_id,occurred_at,store,channel,employee,product,category,amount
P1,M1,2026-10-19T10:00:00+00:00,S01,store,E01,latte,coffee,5000
P2,M2,2026-10-19T11:00:00+00:00,S01,store,E01,americano,coffee,4500
P3,M3,2026-10-19T12:00:00+00:00,S02,web,,beans,beans,18000
P4,M1,2026-10-19T13:00:00+00:00,S02,app,,muffin,bakery,3500
"""
NPS_SURVEY = {
    "code": "after-purchase",
    "name": "After your purchase",
    "csat": ["touchpoint", "employee"],
    "drivers": ["price", "quality", "delivery", "service", "staff"],
    "ask_importance": True,
    "wallet_category": "coffee",
    "intent_rebuy": True,
    "test_opt_in": True,
    "after_purchase_delay_hours": 2,
}
PHONE_SURVEY = {"code": "phone-nps", "name": "Phone NPS", "drivers": True}


@pytest.fixture
def business(app: App, tmp_path: Path) -> App:
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (tmp_path / "purchases.csv").write_text(PURCHASES, encoding="utf-8")
    for kind in ("members", "purchases"):
        report = import_file(
            kind,
            tmp_path / f"{kind}.csv",
            app.run_committed,
            timezone="Asia/Seoul",  # type: ignore[arg-type]
        )
        assert not report.errors, report.errors
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, NPS_SURVEY, NOW)
        surveys.define_survey(uow, PHONE_SURVEY, NOW)
        uow.commit()
    return app
