"""Playbooks: campaigns shipped ready to switch on (``services/engagement/playbooks/*.yaml``).

Each file is a campaign definition (:mod:`regulars.domain.engagement.campaigns`) with a
``playbook`` section beside it: its one-line ``summary`` in Korean and English and what it
``needs`` from the business — ``program`` (the loyalty program of its gifts, tier and balance)
and ``survey`` (the survey its survey steps invite to). :func:`create` makes a campaign from
one, as a **draft** under its own code or a new one; it is then previewed and launched like
any other. A program or survey left unnamed is the business's only one, if it has exactly
one; otherwise the playbook asks for it by name.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any

import yaml

from regulars.domain.engagement.audiences import AudienceError, parse_audience, sources
from regulars.domain.engagement.campaigns import LANGUAGES
from regulars.services.engagement import campaigns
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.store.engagement import campaigns as campaign_store
from regulars.store.feedback import surveys as survey_store
from regulars.store.loyalty import programs as program_store
from regulars.store.unit_of_work import UnitOfWork

NEEDS = ("program", "survey")


@cache
def shipped() -> dict[str, dict[str, Any]]:
    """code -> the playbook's file as read (``playbook`` section and definition)."""
    found: dict[str, dict[str, Any]] = {}
    folder = resources.files("regulars.services.engagement") / "playbooks"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            data = yaml.safe_load(item.read_text(encoding="utf-8"))
            found[data["code"]] = data
    return found


def _playbook(code: str) -> dict[str, Any]:
    found = shipped().get(code)
    if found is None:
        raise NotFound(f"no playbook with code {code!r}; the playbooks are {', '.join(shipped())}")
    return found


def definition_of(code: str) -> dict[str, Any]:
    """The playbook's campaign definition, without its ``playbook`` section."""
    return {k: copy.deepcopy(v) for k, v in _playbook(code).items() if k != "playbook"}


def list_playbooks() -> list[dict[str, Any]]:
    """Every playbook: code, name, summary per language, trigger and what it needs."""
    rows = []
    for code, data in shipped().items():
        about = data["playbook"]
        trigger = data["trigger"]
        kind = next(k for k in ("event", "daily", "wave") if k in trigger)
        rows.append(
            {
                "code": code,
                "name": data["name"],
                "summary": {language: about["summary"][language] for language in LANGUAGES},
                "trigger": kind,
                "event": trigger.get("event"),
                "needs": list(about.get("needs", [])),
            }
        )
    return rows


def _only_one(kind: str, codes: list[str], code: str) -> str:
    if len(codes) == 1:
        return codes[0]
    known = ", ".join(codes) if codes else "none is defined yet"
    raise Invalid(
        f"playbook {code!r} needs a {kind}: name one ({known})",
        [{"field": kind, "value": None, "reason": f"the playbook needs a {kind}"}],
    )


def create(
    uow: UnitOfWork,
    code: str,
    *,
    new_code: str | None = None,
    program: str | None = None,
    survey: str | None = None,
    gifts: bool = True,
) -> dict[str, Any]:
    """Define a campaign from the playbook ``code`` as a draft (the answer of
    :func:`regulars.services.engagement.campaigns.install`). ``new_code`` names the campaign
    (default: the playbook's code); ``program`` and ``survey`` fill what it needs;
    ``gifts=False`` leaves out its gift steps (recovery points are optional). A campaign
    with that code already defined is a Conflict: choose another code."""
    about = _playbook(code)["playbook"]
    definition = definition_of(code)
    if new_code is not None:
        definition["code"] = new_code
    if not gifts:
        definition["steps"] = [s for s in definition["steps"] if "gift" not in s]
    needs = set(about.get("needs", []))
    wants_program = "program" in needs and (
        any("gift" in s or "voucher" in s for s in definition["steps"])
        or _names_loyalty(definition)
    )
    if wants_program:
        definition["program"] = program or _only_one(
            "program",
            [r["code"] for r in program_store.programs(uow.connection, active_only=True)],
            code,
        )
    elif program is not None:
        definition["program"] = program
    if "survey" in needs:
        chosen = survey or _only_one(
            "survey",
            [r["code"] for r in survey_store.list_surveys(uow.connection) if r["active"]],
            code,
        )
        for step in definition["steps"]:
            if "survey" in step:
                step["survey"]["code"] = chosen
    target = definition["code"]
    if isinstance(target, str) and campaign_store.get(uow.connection, target) is not None:
        raise Conflict(
            f"a campaign with code {target!r} exists already; give this one another code"
        )
    return {**campaigns.install(uow, definition), "playbook": code}


def _names_loyalty(definition: dict[str, Any]) -> bool:
    """Whether the audience names a field of the program or a template its ``tier`` or
    ``balance``."""
    try:
        audience = parse_audience(definition.get("audience"))
    except AudienceError:
        return False  # the install names the fault
    words = yaml.safe_dump(definition["steps"], allow_unicode=True)
    return "loyalty" in sources(audience) or any(w in words for w in ("tier", "balance"))
