"""The answers frame analytics reads: its columns and values are a contract."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd

from regulars.bootstrap import App
from regulars.store.feedback import answers as feedback
from regulars.store.feedback import surveys
from regulars.store.tables import members, stores

NOW = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)


def test_answers_frame_has_the_contract_columns_and_types(app: App) -> None:
    with app.unit_of_work() as uow:
        c = uow.connection
        surveys.save_survey(c, "nps", "NPS", "{}", True, NOW)
        survey_id = surveys.survey_ids(c, ["nps"])["nps"]
        member_id = c.execute(
            members.insert()
            .values(external_id="M1", locale="en", created_at=NOW, updated_at=NOW)
            .returning(members.c.id)
        ).scalar_one()
        store_id = c.execute(
            stores.insert().values(code="S01", name="Gangnam").returning(stores.c.id)
        ).scalar_one()
        wire = "2026-10-01 09:30:00.000000"
        base = (member_id, "en", store_id, "store", None, None, None, wire, "api")

        def row(question: str, subject: str, value: float | None, text: str | None) -> tuple:
            return ("R1", survey_id, base[0], question, subject, value, text, *base[1:])

        added = feedback.insert_answers(
            c,
            [
                row("nps", "-", 4.0, None),
                row("nps_why", "-", None, "slow service"),
                row("driver_rating", "service", 2.0, None),
            ],
        )
        again = feedback.insert_answers(c, [row("nps", "-", 4.0, None)])
        uow.commit()
    assert (added, again) == (3, 0)
    with app.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
    assert list(frame.columns) == list(feedback.ANSWER_COLUMNS)
    assert len(frame) == 3
    by_question = frame.set_index("question")
    assert by_question.loc["nps", "value"] == 4.0
    assert by_question.loc["nps", "driver"] is None
    assert math.isnan(by_question.loc["nps_why", "value"])
    assert by_question.loc["nps_why", "text"] == "slow service"
    assert by_question.loc["driver_rating", "driver"] == "service"
    assert by_question.loc["nps", "member_id"] == "M1"
    assert by_question.loc["nps", "store"] == "S01"
    assert by_question.loc["nps", "department"] is None
    assert frame["collected_at"].iloc[0] == pd.Timestamp("2026-10-01 09:30", tz="UTC")
    assert str(frame["value"].dtype) == "float64"
    assert set(frame["source"]) == {"api"}


def test_answers_frame_is_empty_but_typed_on_an_empty_store(app: App) -> None:
    with app.unit_of_work() as uow:
        frame = feedback.answers_frame(uow.connection)
    assert list(frame.columns) == list(feedback.ANSWER_COLUMNS)
    assert frame.empty
