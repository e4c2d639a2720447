"""A small business written straight into the store, every fact known to the test: members
with consents, purchases at two stores, answers, an open case, scores, a points program with
tiers and expiring points. The campaign tests compute their expected sets by hand from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from regulars.bootstrap import App
from regulars.services.loyalty import programs as loyalty_programs
from regulars.store.tables import (
    feedback_cases,
    loyalty_accounts,
    member_consents,
    member_scores,
    members,
    points_lots,
    purchases,
    stores,
    survey_answers,
    surveys,
)

NOW = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # 10:00 on 10 December in Seoul
ZONE = "Asia/Seoul"
PROGRAM = {
    "code": "beans",
    "kind": "points",
    "points": {"earn": {"points": 5, "per_amount": 100}},
}


@dataclass
class Member:
    external_id: str
    segment: str = "individual"
    locale: str = "ko"
    email: str | None = None
    phone: str | None = None
    birth: date | None = None
    consent: dict[str, bool] = field(default_factory=dict)
    days_ago: list[int] = field(default_factory=list)  # purchase days before NOW
    store: str = "S1"
    nps: int | None = None
    open_case: bool = False
    alive: float | None = None
    value_at_risk: int = 0
    tier: str | None = None
    expiring: int = 0


def members_of_business() -> list[Member]:
    """Twelve members, each with something that sets them apart."""
    return [
        Member("A", "vip", email="a@x.kr", consent={"email": True}, days_ago=[200, 150, 100],
               nps=10, alive=0.1, value_at_risk=90_000, tier="gold"),
        Member("B", "vip", email="b@x.kr", phone="01000000002", consent={"sms": True},
               days_ago=[5, 30, 60, 90], nps=3, open_case=True, alive=0.9, tier="gold"),
        Member("C", email="c@x.kr", consent={"email": False}, days_ago=[61], alive=0.2,
               value_at_risk=10_000),
        Member("D", email="d@x.kr", consent={"email": True}, days_ago=[1], nps=8,
               birth=date(1990, 12, 10)),
        Member("E", "business", email="e@x.kr", consent={"email": True},
               days_ago=[400, 300, 200, 120, 70], store="S2", alive=0.05, value_at_risk=50_000,
               expiring=700),
        Member("F", email="f@x.kr", consent={"email": True}, birth=date(1985, 12, 10)),
        Member("G", "business", phone="01000000007", consent={"sms": True}, days_ago=[59],
               store="S2", nps=9),
        Member("H", locale="en", email="h@x.kr", consent={"email": True},
               days_ago=[10, 20], alive=0.7, value_at_risk=2_000, tier="green"),
        Member("I", email="i@x.kr", days_ago=[60]),  # never asked for consent
        Member("J", "vip", email="j@x.kr", consent={"email": True, "sms": True},
               days_ago=[3, 4], nps=0, alive=0.95, tier="green"),
        Member("K", email="k@x.kr", consent={"email": True}, days_ago=[90, 80], alive=0.3,
               value_at_risk=30_000),
        Member("L", locale="en", phone="01000000012", consent={"sms": True}, days_ago=[2],
               store="S2"),
    ]  # fmt: skip


def seed(app: App, people: list[Member] | None = None, now: datetime = NOW) -> dict[str, int]:
    """Write the business; return external id -> member id."""
    people = people or members_of_business()
    created = now - timedelta(days=500)
    with app.unit_of_work() as uow:
        c = uow.connection
        c.execute(
            insert(stores),
            [
                {"code": "S1", "name": "Mangwon", "region": "Seoul"},
                {"code": "S2", "name": "Haeundae", "region": "Busan"},
            ],
        )
        store_ids = dict(c.execute(select(stores.c.code, stores.c.id)).all())
        c.execute(
            insert(members),
            [
                {
                    "external_id": m.external_id,
                    "name": f"Member {m.external_id}",
                    "email": m.email,
                    "phone": m.phone,
                    "birth_date": m.birth,
                    "locale": m.locale,
                    "segment": m.segment,
                    "created_at": created,
                    "updated_at": created,
                }
                for m in people
            ],
        )
        ids = dict(c.execute(select(members.c.external_id, members.c.id)).all())
        consents = [
            {"member_id": ids[m.external_id], "channel": ch, "granted": not granted,
             "at": created, "source": "test"}
            for m in people for ch, granted in m.consent.items()
        ] + [
            {"member_id": ids[m.external_id], "channel": ch, "granted": granted,
             "at": created + timedelta(days=1), "source": "test"}
            for m in people for ch, granted in m.consent.items()
        ]  # fmt: skip
        if consents:
            c.execute(insert(member_consents), consents)
        sales = []
        for m in people:
            for k, days in enumerate(m.days_ago):
                sales.append(
                    {
                        "external_id": f"P-{m.external_id}-{k}",
                        "member_id": ids[m.external_id],
                        "occurred_at": now - timedelta(days=days, hours=2),
                        "store_id": store_ids[m.store],
                        "channel": "store",
                        "kind": "sale",
                        "total_amount": 10_000 * (k + 1),
                    }
                )
        if sales:
            c.execute(insert(purchases), sales)
        c.execute(
            insert(surveys),
            [{"code": "nps", "name": "NPS", "definition": "{}", "active": True,
              "created_at": created, "updated_at": created}],
        )  # fmt: skip
        survey_id = c.execute(select(surveys.c.id)).scalar_one()
        answers = [
            {"response_id": f"R-{m.external_id}", "survey_id": survey_id,
             "member_id": ids[m.external_id], "question": "nps", "subject": "-",
             "value": float(m.nps), "language": m.locale,
             "collected_at": now - timedelta(days=20), "source": "api"}
            for m in people if m.nps is not None
        ]  # fmt: skip
        if answers:
            c.execute(insert(survey_answers), answers)
        cases = [
            {"response_id": f"R-{m.external_id}", "survey_id": survey_id,
             "member_id": ids[m.external_id], "score": m.nps or 0, "status": "open",
             "opened_at": now - timedelta(days=20), "due_at": now - timedelta(days=18),
             "updated_at": now - timedelta(days=20)}
            for m in people if m.open_case
        ]  # fmt: skip
        if cases:
            c.execute(insert(feedback_cases), cases)
        scores = [
            {"member_id": ids[m.external_id], "computed_at": now, "model": "bgnbd",
             "frequency": max(0, len(m.days_ago) - 1), "recency_days": 0, "age_days": 0,
             "probability_alive": m.alive, "expected_purchases": 1.0, "horizon_days": 365,
             "clv": 100_000, "value_at_risk": m.value_at_risk, "expected_loss_at": None}
            for m in people if m.alive is not None
        ]  # fmt: skip
        if scores:
            c.execute(insert(member_scores), scores)
        loyalty_programs.install_program(uow, PROGRAM, now - timedelta(days=400))
        program_id = loyalty_programs.running_program(uow, "beans").id
        accounts = [
            {"member_id": ids[m.external_id], "program_id": program_id, "tier": m.tier,
             "available": m.expiring, "created_at": created, "updated_at": created}
            for m in people if m.tier is not None or m.expiring
        ]  # fmt: skip
        if accounts:
            c.execute(insert(loyalty_accounts), accounts)
        account_ids = dict(
            c.execute(select(loyalty_accounts.c.member_id, loyalty_accounts.c.id)).all()
        )
        lots = [
            {"account_id": account_ids[ids[m.external_id]], "transaction_id": None,
             "points": m.expiring, "remaining": m.expiring, "awarded_at": created,
             "release_at": created, "expires_at": now + timedelta(days=10), "released": True,
             "closed": False}
            for m in people if m.expiring
        ]  # fmt: skip
        if lots:
            _lots(c, lots, program_id, now)
        uow.commit()
    return ids


def _lots(connection: Any, lots: list[dict[str, Any]], program_id: int, now: datetime) -> None:
    """Lots need a ledger transaction to point at."""
    from regulars.store.tables import ledger_transactions

    for lot in lots:
        txn = connection.execute(
            insert(ledger_transactions)
            .values(account_id=lot["account_id"], kind="bonus", points=lot["points"],
                    program_version=1, occurred_at=now - timedelta(days=300))
            .returning(ledger_transactions.c.id)
        ).scalar_one()  # fmt: skip
        connection.execute(insert(points_lots).values(**{**lot, "transaction_id": txn}))


def analytics(app: App, now: datetime = NOW) -> None:
    from regulars.services.member_analytics import compute_member_analytics

    with app.unit_of_work() as uow:
        compute_member_analytics(uow, now, timezone=ZONE)
        uow.commit()
