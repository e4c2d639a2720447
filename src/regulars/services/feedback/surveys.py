"""Survey definitions: create or replace a survey, read what it asks.

Answers come in by :mod:`.responses` (an app or a kiosk, by API), :mod:`.links` (the answer
page) and :mod:`regulars.services.imports.answers` (files); invitations go out by
:mod:`.dispatch`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from regulars.domain.feedback.surveys import SurveyDefinition
from regulars.services.errors import Invalid, NotFound
from regulars.store.feedback import surveys as survey_store
from regulars.store.unit_of_work import UnitOfWork


def define_survey(
    uow: UnitOfWork, data: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], bool]:
    """Create or replace a survey from plain data; return it and whether it is new."""
    try:
        definition = SurveyDefinition.from_dict(data)
    except (TypeError, ValueError) as error:
        raise Invalid(f"survey definition: {error}") from None
    new = survey_store.save_survey(
        uow.connection,
        definition.code,
        definition.name,
        definition.to_json(),
        definition.active,
        now,
    )
    return describe(definition), new


def load_definitions(path: Path) -> list[dict[str, Any]]:
    """Read survey definitions from a YAML or JSON file: one mapping, or a list of them."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise Invalid(f"{path}: {error}") from None
    items = loaded if isinstance(loaded, list) else [loaded]
    if not items or not all(isinstance(i, dict) for i in items):
        raise Invalid(f"{path}: expected a survey definition or a list of them")
    return items


def definition(uow: UnitOfWork, code: str) -> SurveyDefinition:
    row = survey_store.survey_by_code(uow.connection, code)
    if row is None:
        raise NotFound(f"no survey with code {code!r}")
    return SurveyDefinition.from_json(row["definition"])


def describe(definition: SurveyDefinition) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(definition.to_json())
    shown["questions"] = [q.key for q in definition.questions()]
    return shown


def list_surveys(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [
        describe(SurveyDefinition.from_json(row["definition"]))
        for row in survey_store.list_surveys(uow.connection)
    ]
