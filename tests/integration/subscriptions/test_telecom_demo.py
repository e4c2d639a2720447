"""The telecom demo recovers its ground truth on both databases: loaded through the import
paths, its exit survey invited and answered on the answer page's use case, the Cox hazard
ratios' 95 % intervals hold the true ones, the launch cohort's sBG α and β lie within their
intervals, and the reasons analysis names the competitor and the month of its wave.

Coverage is a property of the method, not of one seed: over seeds 100-119 at 1,500 members
(see the README's telecom demo paragraph) each interval held its truth in 17-20 of 20 runs
and the wave was found every time; the seed here is one of those runs, fixed so the test
is deterministic."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from regulars.bootstrap import App
from regulars.demo import telecom, telecom_run
from regulars.services.briefing.build import briefing
from regulars.services.briefing.churn import churn_json
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.page import render_page
from regulars.services.subscriptions import analysis, scoring

MEMBERS, SEED = 1_500, 101


@cache
def operator() -> telecom.TelecomOperator:
    return telecom.generate(MEMBERS, SEED)


def test_same_seed_same_operator_and_the_truth_is_stated() -> None:
    a, b = operator(), telecom.generate(MEMBERS, SEED)
    pd.testing.assert_frame_equal(a.bills, b.bills)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.subscriptions["cancelled_on"].equals(
        telecom.generate(MEMBERS, SEED + 1).subscriptions["cancelled_on"]
    )
    truth = a.ground_truth()
    assert truth["hazard_ratios"] == telecom.HAZARD_RATIOS
    assert truth["sbg"] == {
        **telecom.SBG,
        "cohort": "2023-10",
        "periods_fitted": telecom.SBG_PERIODS,
        "contracts": int(a.truth["launch_cohort"].sum()),
    }
    # the wave's cancellations all fall in its month, and every one names the competitor
    wave = a.truth[a.truth["cause"] == "wave"]
    ended = a.subscriptions.set_index("subscription_id").loc[wave["subscription_id"]]
    assert len(wave) > 30
    assert set(pd.to_datetime(ended["cancelled_on"]).dt.strftime("%Y-%m")) == {"2025-05"}
    assert set(wave["competitor"]) == {telecom.WAVE_COMPETITOR}
    # two years and more of bills, in whole KRW
    months = pd.to_datetime(a.bills["month"])
    assert months.min() == pd.Timestamp(telecom.LAUNCH)
    assert (months.max() - months.min()).days > 2 * 365
    assert a.bills["amount"].dtype.kind == "i"


def test_a_lifetime_beyond_any_calendar_is_still_subscribed_on_the_observation_day() -> None:
    # seed 201 at 4,000 draws a launch subscriber whose θ is so small that their lifetime
    # would end thousands of years on: they are still subscribed on the observation day
    op = telecom.generate(4_000, 201)
    launch = op.truth["launch_cohort"].to_numpy()
    still = op.subscriptions["cancelled_on"].isna().to_numpy()
    assert (launch & still).any()


def test_the_models_recover_the_ground_truth(app: App, tmp_path: Path) -> None:
    op = operator()
    files = telecom_run.write_files(op, tmp_path)
    reports = telecom_run.load(app, files, tmp_path)
    assert all(not r.errors for r in reports.values()), {k: r.summary() for k, r in reports.items()}

    run = telecom_run.run_exit_survey(app, op)
    cancelled = int(op.subscriptions["cancelled_on"].notna().sum())
    assert run.invitations.invited == cancelled
    assert run.answered == int(op.truth["answers_exit"].sum())
    assert run.refused == {}
    # a second run invites nobody twice
    assert telecom_run.run_exit_survey(app, op).invitations.invited == 0

    found = telecom_run.recover(app, op)
    assert found["cancelled"] == cancelled
    for name, row in found["hazard_ratios"].items():
        assert row["lower_95"] <= row["true"] <= row["upper_95"], (name, row)
    assert set(found["hazard_ratios"]) == set(telecom.HAZARD_RATIOS)
    # the strongest effect is found as one, the null one is not
    hazards = found["hazard_ratios"]
    assert hazards["driver_network"]["upper_95"] < 1
    assert hazards["driver_price"]["lower_95"] < 1 < hazards["driver_price"]["upper_95"]
    sbg = found["sbg"]
    assert sbg["contracts"] == int(op.truth["launch_cohort"].sum())
    assert sbg["periods"] == telecom.SBG_PERIODS
    for name in ("alpha", "beta"):
        assert sbg[name]["lower_95"] <= telecom.SBG[name] <= sbg[name]["upper_95"], sbg
    wave = found["wave"]
    assert (wave["month"], wave["competitor"]) == ("2025-05", "Nuri Mobile")
    assert wave["competitor_cancellations"] > 2 * wave["next_month_count"]
    # the answers landed on the contracts: the reasons analysis reads the members' own words
    with app.unit_of_work() as uow:
        reasons = analysis.reasons(uow, since=date(2025, 5, 1), until=date(2025, 5, 31))
    assert reasons["groups"][0]["from_survey"] > 0
    assert reasons["groups"][0]["competitor"]["name"] == "Nuri Mobile"
    # who to call: active subscribers, likeliest first
    calls = found["to_call"]
    assert len(calls) == 10
    assert [c["p_cancel_30d"] for c in calls] == sorted(
        (c["p_cancel_30d"] for c in calls), reverse=True
    )
    active = set(op.subscriptions.loc[op.subscriptions["cancelled_on"].isna(), "member_id"])
    assert {c["member_id"] for c in calls} <= active

    # the demo scores like `regulars subscriptions score --as-of` its observation day and
    # builds its report as of that day (not of the clock's, months after the data end)
    scored = telecom_run.score(app)
    assert scored.as_of == telecom.AS_OF
    assert scored.scored == len(active)
    now = telecom_run.as_of_moment(app.settings.timezone)
    with app.unit_of_work() as uow:
        stored = scoring.subscription_scores(uow, calls[0]["member_id"])
        report = briefing(uow, now, timezone=app.settings.timezone, as_of=telecom.AS_OF)
    assert {row["as_of"] for row in stored} == {telecom.AS_OF.isoformat()}
    assert report.churn is not None
    churn = churn_json(report.churn)
    assert churn["as_of"] == telecom.AS_OF.isoformat()
    assert churn["active"] == len(active)
    # and its "fix first" names the true cause, as the demo's own Cox fit does
    assert churn["factors"][0]["covariate"] == "driver_network"
    assert churn["factors"][0]["upper_95"] < 1
    # a store of contracts that sells nothing: the summary leads with the churn sentences,
    # and says nothing of sales, purchase scores or a program it does not have
    parts = report.summary.parts()
    assert parts[0] == ("summary.heading.churn", report.summary.churn)
    assert [s.key for s in report.summary.churn] == [
        "section.churn.fix.first",
        "section.churn.call.first",
    ]
    said = {s.key for _, sentences in parts for s in sentences}
    assert not said & {"summary.check.no_sales", "summary.returning.no_buyers"}
    assert not said & {"summary.save.no_scores", "summary.program.none"}
    page = render_page(report, Formatter("en", app.settings.timezone))
    assert page.index('<section id="churn"') < page.index('<section id="loyalty"')
    assert page.index('<section id="churn"') < page.index('<section id="at-risk"')
