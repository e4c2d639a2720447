"""The demo's survey answers follow its ground truth and load through the import path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regulars.bootstrap import App
from regulars.demo.business import DRIVERS, generate
from regulars.demo.feedback import load_survey_answers, survey_answers
from regulars.services.feedback import cases
from regulars.services.feedback.answers import COLUMNS, check_answers
from regulars.services.imports.files import import_file
from regulars.services.imports.tabular import ROW
from regulars.store.feedback import answers as feedback


@pytest.fixture(scope="module")
def business():  # type: ignore[no-untyped-def]
    return generate(members=1_500, seed=11, end=date(2026, 10, 31))


@pytest.fixture(scope="module")
def answers(business) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return survey_answers(business, seed=3)


def test_the_answers_are_in_the_import_format_and_all_valid(answers: pd.DataFrame) -> None:
    assert list(answers.columns) == list(COLUMNS)
    text = answers.astype(object).where(answers.notna(), None)
    text = text.map(lambda v: None if v is None else str(v))
    text[ROW] = range(1, len(text) + 1)
    good, errors = check_answers(text, "Asia/Seoul")
    assert errors == []
    assert len(good) == len(answers)


def test_the_same_seed_gives_the_same_answers(business) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(survey_answers(business, 5), survey_answers(business, 5))


def test_nps_follows_the_true_drivers(answers: pd.DataFrame, business) -> None:  # type: ignore[no-untyped-def]
    wide = answers[answers["question"] == "driver_rating"].pivot(
        index="response_id", columns="driver", values="value"
    )
    nps = answers[answers["question"] == "nps"].set_index("response_id")["value"]
    x = np.column_stack([np.ones(len(wide)), wide[list(DRIVERS)].to_numpy(float)])
    coef, *_ = np.linalg.lstsq(x, nps.loc[wide.index].to_numpy(float), rcond=None)
    estimated = dict(zip(DRIVERS, coef[1:] / coef[1:].sum(), strict=True))
    # quality and service carry 0.30 each, delivery 0.10: the answers must show that order
    assert estimated["quality"] > estimated["delivery"]
    assert estimated["service"] > estimated["delivery"]
    assert estimated["service"] > estimated["price"]


def test_detractors_mostly_complain_about_the_complaint_driver(answers: pd.DataFrame) -> None:
    nps = answers[answers["question"] == "nps"].set_index("response_id")["value"]
    why = answers[answers["question"] == "nps_why"].set_index("response_id")
    detractor_why = why[why.index.isin(nps[nps <= 6].index)]
    service_words = (
        "service",
        "support",
        "wait",
        "queue",
        "order",
        "서비스",
        "고객센터",
        "기다",
        "주문",
        "응대",
    )
    mentions = detractor_why["text"].map(lambda t: any(w in t.lower() for w in service_words))
    assert mentions.mean() > 0.5
    assert set(answers["language"]) == {"ko", "en"}
    assert answers.loc[answers["language"] == "en", "text"].dropna().str.contains("[a-z]").all()
    assert why["text"].nunique() > 40


def test_the_demo_answers_load_and_detractors_open_cases(
    app: App,
    business,
    answers: pd.DataFrame,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    for kind, frame in (("members", business.members), ("purchases", business.purchases)):
        path = tmp_path / f"{kind}.csv"
        frame.to_csv(path, index=False)
        import_file(kind, path, app.run_committed, timezone="Asia/Seoul")  # type: ignore[arg-type]
    report = load_survey_answers(app.unit_of_work, answers)
    assert report.errors == []
    assert report.added == len(answers)
    again = load_survey_answers(app.unit_of_work, answers)
    assert again.added == 0
    with app.unit_of_work() as uow:
        stored = feedback.answers_frame(uow.connection)
        opened = cases.list_cases(uow, limit=100_000)
    assert len(stored) == len(answers)
    detractors = (answers["question"] == "nps") & (answers["value"] <= 6)
    assert len(opened) == int(detractors.sum())
