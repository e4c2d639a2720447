"""The loyalty report from a real store (SQLite and PostgreSQL): the demo business imported
through the normal path, survey answers imported like a file, then the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from regulars.bootstrap import App
from regulars.demo.business import DRIVERS, DemoBusiness, generate
from regulars.services import analytics as analytics_service
from regulars.services.briefing.build import briefing
from regulars.services.briefing.files import write_briefing
from regulars.services.briefing.formatting import Formatter
from regulars.services.feedback import surveys
from regulars.services.imports.answers import import_answers_frame
from regulars.services.imports.files import import_file

NOW = datetime(2026, 10, 31, 12, tzinfo=UTC)
SURVEY = {
    "code": "after-purchase",
    "name": "After your purchase",
    "csat": ["employee"],
    "drivers": list(DRIVERS),
    "ask_importance": False,
    "wallet_category": "coffee",
    "intent_rebuy": True,
}
COMPLAINTS = {"ko": "직원 응대가 불친절하고 서비스가 느려요", "en": "The service was slow and rude"}
PRAISE = {"ko": "커피가 맛있어요", "en": "Great coffee"}


def survey_answers(business: DemoBusiness, seed: int = 1) -> pd.DataFrame:
    """Answers drawn from the demo's truth: the latent scores, rounded onto the scales."""
    rng = np.random.default_rng(seed)
    truth = business.truth
    buyers = set(business.purchases["member_id"])
    locale = business.members.set_index("member_id")["locale"]
    rows = []
    for i, member in enumerate(truth.itertuples()):
        if member.member_id not in buyers or rng.random() > 0.7:
            continue
        ltr = int(np.clip(round(member.ltr), 0, 10))
        rid = f"R{i:05d}"
        language = locale[member.member_id]
        base = {
            "response_id": rid,
            "survey": "after-purchase",
            "member_id": member.member_id,
            "store": member.home_store,
            "channel": "store",
            "employee": member.favourite_employee,
            "collected_at": (NOW - timedelta(days=int(rng.integers(0, 180)))).isoformat(),
            "language": language,
        }
        text = COMPLAINTS[language] if ltr <= 6 else PRAISE[language] if ltr >= 9 else None
        rows.append({**base, "question": "nps", "value": ltr})
        if text:
            rows.append({**base, "question": "nps_why", "text": text})
        for driver in DRIVERS:
            rating = int(np.clip(round(getattr(member, f"sat_{driver}")), 1, 5))
            rows.append({**base, "question": "driver_rating", "driver": driver, "value": rating})
        rows.append({**base, "question": "intent_rebuy", "value": 5 if ltr >= 8 else 2})
        rows.append({**base, "question": "share_of_wallet", "value": 80 if ltr >= 9 else 40})
        rows.append({**base, "question": "csat", "value": 5 if ltr >= 7 else 2})
    return pd.DataFrame(rows)


@pytest.fixture
def business(app: App, tmp_path: Path) -> tuple[App, DemoBusiness, pd.DataFrame]:
    demo = generate(members=200, seed=11)
    for kind in ("stores", "departments", "employees", "members", "purchases"):
        path = tmp_path / f"{kind}.csv"
        getattr(demo, kind).to_csv(path, index=False)
        report = import_file(kind, path, app.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
        assert not report.errors, report.errors[:3]
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, SURVEY, NOW)
        uow.commit()
    answers = survey_answers(demo)
    report = import_answers_frame(answers, app.run_committed, timezone="Asia/Seoul", now=NOW)
    assert not report.errors, report.errors[:3]
    return app, demo, answers


def test_report_from_the_store_matches_independent_figures(
    business: tuple[App, DemoBusiness, pd.DataFrame], tmp_path: Path
) -> None:
    app, demo, answers = business
    with app.unit_of_work() as uow:
        inputs = analytics_service.load_inputs(uow)
        sections = analytics_service.report(uow)

    # The database's aggregates equal a plain computation over the imported rows.
    purchases = demo.purchases.drop_duplicates("purchase_id")
    sales = purchases[purchases["kind"] == "sale"].groupby("member_id").size()
    summary = inputs.summary.set_index("member_id")
    assert summary["purchases"][sales.index].tolist() == sales.tolist()
    sign = np.where(demo.purchases["kind"] == "sale", 1, -1)
    net = (demo.purchases["amount"].abs() * sign).groupby(demo.purchases["member_id"]).sum()
    assert summary["net_spend"][net.index].tolist() == net.tolist()
    assert int(inputs.months["spend"].sum()) == int(net.sum())
    assert int(inputs.months["purchases"].sum()) == int(sales.sum())

    # NPS from the report equals the count from the answers file.
    scores = answers[answers["question"] == "nps"]["value"]
    expected = 100 * ((scores >= 9).mean() - (scores <= 6).mean())
    assert sections["nps"]["nps"] == pytest.approx(expected)
    assert sections["nps"]["n"] == len(scores)
    assert sections["nps"]["low"] < sections["nps"]["nps"] < sections["nps"]["high"]

    funnel = sections["stage_funnel"]
    assert funnel["reached"].iloc[0] == len(demo.members)
    assert funnel["members"].sum() == len(demo.members)
    leaderboard = sections["staff_leaderboard"]
    assert not leaderboard[leaderboard["n"] < 30]["eligible"].any()
    assert set(sections["drivers"]["driver"]) == set(DRIVERS)
    themes = sections["themes"]
    assert len(themes) > 0

    with app.unit_of_work() as uow:
        found = briefing(uow, NOW, timezone="Asia/Seoul")
    assert found.report["nps"] == sections["nps"]
    paths = write_briefing(found, Formatter("en"), tmp_path / "report")
    html = paths["html"].read_text(encoding="utf-8")
    # plotly.js is inlined from the installed package; nothing else is fetched (its one
    # built-in URL is the default for geographic maps, which the report does not draw).
    assert get_plotlyjs() in html
    page = html.replace(get_plotlyjs(), "")
    assert "cdn.plot.ly" not in page
    assert "src=" not in page
    assert "Plotly.newPlot" in page
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["nps"]["nps"] == pytest.approx(expected)
    assert {"drivers", "themes", "cohorts", "rfm_segments", "acquisition"} <= set(data)


def test_service_calls_for_the_cli_and_api(
    business: tuple[App, DemoBusiness, pd.DataFrame],
) -> None:
    app, _, answers = business
    with app.unit_of_work() as uow:
        result = analytics_service.nps_summary(uow, by="store", trend="month", benchmark=20)
        drivers = analytics_service.driver_analysis(uow)
        board = analytics_service.staff_leaderboard(uow, "employee", min_answers=5)
    assert result["n"] == int((answers["question"] == "nps").sum())
    assert sum(row["n"] for row in result["by"]) == result["n"]
    assert result["against_benchmark"] in ("above", "below", "not different")
    assert [row["fix_rank"] for row in drivers] == list(range(1, len(DRIVERS) + 1))
    ranked = [row for row in board if row["eligible"]]
    assert [row["rank"] for row in ranked] == list(range(1, len(ranked) + 1))


def test_acquisition_shows_the_predicted_lifetime_value_once_members_are_scored(
    business: tuple[App, DemoBusiness, pd.DataFrame],
) -> None:
    from sqlalchemy import insert, select

    from regulars.store.tables import member_scores, members

    app, demo, _ = business
    with app.unit_of_work() as uow:
        ids = uow.connection.execute(select(members.c.id, members.c.external_id)).all()
        clv = {external: 1_000 * (i % 7) for i, (_, external) in enumerate(ids)}
        uow.connection.execute(
            insert(member_scores),
            [
                {
                    "member_id": member_id,
                    "computed_at": NOW,
                    "model": "test",
                    "frequency": 0,
                    "recency_days": 0,
                    "age_days": 0,
                    "probability_alive": 1.0,
                    "expected_purchases": 0.0,
                    "horizon_days": 365,
                    "clv": clv[external],
                    "value_at_risk": 0,
                }
                for member_id, external in ids
            ],
        )
        uow.commit()
    with app.unit_of_work() as uow:
        table = analytics_service.report(uow)["acquisition"].set_index("acquisition_channel")
    channel = demo.members.set_index("member_id")["acquisition_channel"]
    expected = pd.Series(clv).groupby(channel.reindex(list(clv)).to_numpy()).mean()
    for name, value in expected.items():
        assert table.loc[name, "clv"] == pytest.approx(value)
    assert table["clv_to_cost"].notna().any()


def test_a_survey_with_another_driver_set_leaves_the_drivers_analysed(
    business: tuple[App, DemoBusiness, pd.DataFrame],
) -> None:
    """A second survey that adds ``attitude`` (a few answers rate it beside the others, too
    few to weigh seven drivers): the drivers every survey asks are still weighed, the
    loyalty index is still there, and the report says what was left out and why."""
    app, _, answers = business
    other = {**SURVEY, "code": "after-visit", "drivers": [*DRIVERS, "attitude"]}
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, other, NOW)
        uow.commit()
    extra = answers[answers["response_id"].isin(answers["response_id"].unique()[:5])].copy()
    extra["response_id"] = "X" + extra["response_id"]
    extra["survey"] = "after-visit"
    attitude = extra[extra["question"] == "nps"].assign(question="driver_rating", driver="attitude")
    attitude["value"] = [1, 3, 4, 5, 2]
    extra = pd.concat([extra, attitude], ignore_index=True)
    report = import_answers_frame(extra, app.run_committed, timezone="Asia/Seoul", now=NOW)
    assert not report.errors, report.errors[:3]
    with app.unit_of_work() as uow:
        sections = analytics_service.report(uow)
        rows = analytics_service.driver_analysis(uow)
    assert set(sections["drivers"]["driver"]) == set(DRIVERS)
    assert sections["loyalty_index"]["n"] > 0
    assert "attitude" in sections["notes"]["drivers"]
    assert {row["driver"] for row in rows} == set(DRIVERS)  # `regulars drivers` and the API
