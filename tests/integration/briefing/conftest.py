"""Hand-built stores where we know what moved: two periods of sales and NPS answers.

The briefing's period ends on ``AS_OF`` (31 Oct 2026, Seoul): the current period is
2 Oct - 31 Oct, the one before 2 Sep - 1 Oct. A :class:`Scenario` says, for each period, the
NPS answers (promoters, passives, detractors), the sales' totals and how many buyers had
bought before (a sale in June 2025) — and :func:`build_store` imports exactly that through
the ordinary import paths (members, stores, employees, purchases files; the answers frame).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from regulars.bootstrap import App
from regulars.services.feedback import surveys
from regulars.services.imports.answers import import_answers_frame
from regulars.services.imports.files import import_file

TZ = "Asia/Seoul"
SEOUL = ZoneInfo(TZ)
AS_OF = date(2026, 10, 31)
NOW = datetime(2026, 11, 2, 3, tzinfo=UTC)
SALES_AT = {
    "before": datetime(2026, 9, 15, 12, tzinfo=SEOUL),
    "after": datetime(2026, 10, 31, 9, tzinfo=SEOUL),  # the latest purchase: as_of is AS_OF
}
ANSWERS_AT = {
    "before": datetime(2026, 9, 15, 0, tzinfo=SEOUL),
    "after": datetime(2026, 10, 15, 0, tzinfo=SEOUL),
}
HISTORY = datetime(2025, 6, 1, 12, tzinfo=SEOUL)
STORES = {"S01": "강남역점", "S02": "Hongdae Corner"}
EMPLOYEES = {"E01": ("김바리", "S01"), "E02": ("Jane Barista", "S02")}
SURVEY = {"code": "after-purchase", "name": "After your purchase", "drivers": False}


@dataclass(frozen=True)
class Period:
    nps: tuple[int, int, int] = (0, 0, 0)
    """Promoters (10), passives (8), detractors (3)."""
    checks: tuple[int, ...] = ()
    """The totals of the period's sales, one per sale."""
    returning: int = 0
    """How many of the period's buyers had bought before (a sale in June 2025)."""
    new: int = 0
    """How many bought for the first time in the period."""


@dataclass(frozen=True)
class Scenario:
    before: Period = field(default_factory=Period)
    after: Period = field(default_factory=Period)


def _frames(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    members, purchases, answers = [], [], []
    ids = (f"M{i:03d}" for i in itertools.count(1))
    sale = itertools.count(1)
    stores = itertools.cycle(["S01", "S02"])
    for label, period in (("before", scenario.before), ("after", scenario.after)):
        at = SALES_AT[label]
        buyers = []
        for kind, n in (("returning", period.returning), ("new", period.new)):
            for _ in range(n):
                member = next(ids)
                buyers.append(member)
                members.append(
                    {
                        "member_id": member,
                        "name": f"회원 {member}",
                        "phone": f"010-5555-{member[1:]:0>4}",
                    }
                )
                if kind == "returning":
                    purchases.append(_sale(next(sale), member, HISTORY, 5_000, "S01"))
        assert len(period.checks) >= len(buyers), "every buyer needs a sale"
        cycle = itertools.cycle(buyers) if buyers else itertools.repeat("")
        for i, amount in enumerate(period.checks):
            member = next(cycle)
            purchases.append(
                _sale(next(sale), member, at + timedelta(minutes=i), amount, next(stores))
            )
        promoters, passives, detractors = period.nps
        scores = [10] * promoters + [8] * passives + [3] * detractors
        for i, score in enumerate(scores):
            member = next(ids)
            members.append(
                {"member_id": member, "name": f"응답자 {member}", "phone": "010-9999-0000"}
            )
            store = "S01" if i % 2 else "S02"
            answers.append(
                {
                    "response_id": f"R-{label}-{i}",
                    "survey": SURVEY["code"],
                    "member_id": member,
                    "store": store,
                    "employee": "E01" if store == "S01" else "E02",
                    "channel": "store",
                    "question": "nps",
                    "value": score,
                    "collected_at": (ANSWERS_AT[label] + timedelta(hours=i % 24)).isoformat(),
                    "language": "ko",
                }
            )
    return pd.DataFrame(members), pd.DataFrame(purchases), pd.DataFrame(answers)


def _sale(n: int, member: str, at: datetime, amount: int, store: str) -> dict[str, object]:
    return {
        "purchase_id": f"P{n:05d}",
        "member_id": member or None,
        "occurred_at": at.isoformat(),
        "store": store,
        "channel": "store",
        "employee": "E01" if store == "S01" else "E02",
        "product": "latte",
        "amount": amount,
    }


def build_store(app: App, tmp_path: Path, scenario: Scenario) -> None:
    """Import the scenario's members, stores, employees, purchases and answers."""
    members, purchases, answers = _frames(scenario)
    files = {
        "stores": pd.DataFrame({"code": list(STORES), "name": list(STORES.values())}),
        "employees": pd.DataFrame(
            {
                "code": list(EMPLOYEES),
                "name": [n for n, _ in EMPLOYEES.values()],
                "store": [s for _, s in EMPLOYEES.values()],
            }
        ),
        "members": members,
        "purchases": purchases,
    }
    for kind, frame in files.items():
        path = tmp_path / f"{kind}.csv"
        frame.to_csv(path, index=False)
        report = import_file(kind, path, app.run_committed, timezone=TZ)  # type: ignore[arg-type]
        assert not report.errors, report.errors[:3]
    if not answers.empty:
        with app.unit_of_work() as uow:
            surveys.define_survey(uow, SURVEY, NOW)
            uow.commit()
        report = import_answers_frame(answers, app.run_committed, timezone=TZ, now=NOW)
        assert not report.errors, report.errors[:3]
