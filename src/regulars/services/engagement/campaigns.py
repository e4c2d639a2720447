"""Campaigns as data: install a definition (a new version each time it changes), list and
show them, preview an audience, and move a campaign between its states.

A definition is checked by :func:`regulars.domain.engagement.campaigns.parse_campaign`
(field by field) and then against the store: its program must exist, its templates must
be valid Jinja. Launching checks it again (a program removed since is refused). The
state machine is the domain's: draft -> running <-> paused -> ended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from regulars.domain.engagement.audiences import describe, fields
from regulars.domain.engagement.campaigns import (
    Campaign,
    CampaignError,
    Message,
    State,
    Survey,
    may_move,
    parse_campaign,
)
from regulars.domain.times import as_utc, wire
from regulars.services.audit import Actor, record
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.store.engagement import campaigns as campaign_store
from regulars.store.engagement import candidates as candidate_store
from regulars.store.engagement.audiences import Context
from regulars.store.feedback import surveys as survey_store
from regulars.store.loyalty import programs as program_store
from regulars.store.unit_of_work import UnitOfWork

_PARSED: dict[str, Campaign] = {}
MOVE_NAMES = {State.RUNNING: "launch", State.PAUSED: "pause", State.ENDED: "end"}
"""The audit action of each move (``campaign.<name>``)."""
_TEMPLATES = ImmutableSandboxedEnvironment()


@dataclass(frozen=True)
class StoredCampaign:
    """A campaign as stored: its row's id, state and version, and its parsed rules."""

    id: int
    state: State
    version: int
    campaign: Campaign
    row: dict[str, Any]


def parsed(definition: str) -> Campaign:
    """The rules of a stored definition (parsed once per text)."""
    found = _PARSED.get(definition)
    if found is None:
        found = _PARSED[definition] = parse_campaign(json.loads(definition))
    return found


def _invalid(error: CampaignError) -> Invalid:
    return Invalid(
        str(error), [{"field": error.field, "value": error.value, "reason": error.reason}]
    )


def check(uow: UnitOfWork, definition: Any) -> Campaign:
    """Parse and check a definition against the store; Invalid names the field."""
    try:
        campaign = parse_campaign(definition)
    except CampaignError as error:
        raise _invalid(error) from None
    for i, step in enumerate(campaign.steps):
        if isinstance(step, Message):
            for language, template in step.templates.items():
                for part in ("subject", "text", "sms"):
                    try:
                        _TEMPLATES.parse(getattr(template, part))
                    except TemplateSyntaxError as error:
                        raise _invalid(
                            CampaignError(
                                f"steps[{i}].message.templates.{language}.{part}",
                                f"not a valid template: {error.message}",
                                getattr(template, part),
                            )
                        ) from None
    for i, step in enumerate(campaign.steps):
        if (
            isinstance(step, Survey)
            and survey_store.survey_by_code(uow.connection, step.code) is None
        ):
            raise _invalid(
                CampaignError(f"steps[{i}].survey.code", "no survey has this code", step.code)
            )
    if campaign.program is not None and program_id(uow, campaign.program) is None:
        raise _invalid(
            CampaignError("program", "no loyalty program has this code", campaign.program)
        )
    return campaign


def program_id(uow: UnitOfWork, code: str) -> int | None:
    for row in program_store.programs(uow.connection, active_only=False):
        if row["code"] == code:
            return int(row["id"])
    return None


def install(uow: UnitOfWork, definition: Any, now: datetime | None = None) -> dict[str, Any]:
    """Check and store a definition; the same code again makes a new version (refused for
    an ended campaign: define a new one)."""
    campaign = check(uow, definition)
    existing = campaign_store.get(uow.connection, campaign.code)
    if existing is not None and existing["state"] == State.ENDED:
        raise Conflict(f"campaign {campaign.code!r} has ended; give a new campaign a new code")
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    campaign_id, version, changed = campaign_store.save(
        uow.connection,
        code=campaign.code,
        name=campaign.name,
        definition=text,
        priority=campaign.priority,
        seed=campaign.seed,
        budget_points=campaign.budget_points,
        now=now or datetime.now(UTC),
    )
    state = existing["state"] if existing is not None else State.DRAFT.value
    return {
        "id": campaign_id,
        "code": campaign.code,
        "version": version,
        "changed": changed,
        "state": state,
    }


def stored(uow: UnitOfWork, code: str, *, lock: bool = False) -> StoredCampaign:
    row = campaign_store.get(uow.connection, code, lock=lock)
    if row is None:
        raise NotFound(f"no campaign with code {code!r}")
    return StoredCampaign(
        int(row["id"]), State(row["state"]), int(row["version"]), parsed(row["definition"]),
        dict(row),
    )  # fmt: skip


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    campaign = parsed(row["definition"])
    return {
        "code": row["code"],
        "name": row["name"],
        "state": row["state"],
        "version": row["version"],
        "priority": row["priority"],
        "trigger": campaign.trigger.kind.value,
        "event": campaign.trigger.event.value if campaign.trigger.event else None,
        "holdout_percent": campaign.holdout_percent,
        "budget_points": row["budget_points"],
        "points_issued": row["points_issued"],
        "launched_at": wire(as_utc(row["launched_at"])) if row["launched_at"] else None,
        "ended_at": wire(as_utc(row["ended_at"])) if row["ended_at"] else None,
    }


def list_campaigns(uow: UnitOfWork, state: str | None = None) -> list[dict[str, Any]]:
    if state is not None and state not in [s.value for s in State]:
        raise Invalid(f"state must be one of {', '.join(s.value for s in State)}, not {state!r}")
    return [_summary(dict(r)) for r in campaign_store.all_campaigns(uow.connection, state)]


def show(uow: UnitOfWork, code: str) -> dict[str, Any]:
    """A campaign with its definition, seed and versions."""
    item = stored(uow, code)
    return {
        **_summary(item.row),
        "seed": item.row["seed"],
        "definition": json.loads(item.row["definition"]),
        "versions": [
            {"version": v["version"], "created_at": wire(as_utc(v["created_at"]))}
            for v in campaign_store.versions(uow.connection, item.id)
        ],
    }


def move(
    uow: UnitOfWork,
    code: str,
    target: State,
    now: datetime | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Launch (or resume), pause or end a campaign; Conflict for a move the state machine
    does not allow. With an ``actor`` (a staff user in the console) a change is audited as
    ``campaign.launch`` / ``campaign.pause`` / ``campaign.end``."""
    item = stored(uow, code, lock=True)
    if item.state is target:
        return {"code": code, "state": target.value, "changed": False}
    if not may_move(item.state, target):
        raise Conflict(f"campaign {code!r} is {item.state.value}: it cannot become {target.value}")
    if target is State.RUNNING:
        check(uow, json.loads(item.row["definition"]))
    when = now or datetime.now(UTC)
    campaign_store.set_state(uow.connection, item.id, target.value, when)
    if target is State.ENDED:
        from regulars.store.engagement.steps import finish_ended

        finish_ended(uow.connection, item.id)
    if actor is not None:
        record(
            uow, actor, f"campaign.{MOVE_NAMES[target]}", "campaign", code, when,
            before={"state": item.state.value}, after={"state": target.value},
        )  # fmt: skip
    return {"code": code, "state": target.value, "changed": True}


def preview(
    uow: UnitOfWork,
    code_or_definition: str | dict[str, Any],
    *,
    now: datetime | None = None,
    timezone: str = "UTC",
    sample: int = 10,
    channel_order: tuple[str, ...] = ("email", "sms"),
) -> dict[str, Any]:
    """How many members the campaign would take now, and a sample with their arms: its
    audience with its own conditions (not entered yet, consent and an address for its
    message, no open case before a marketing message), in one query. An event-triggered
    campaign is previewed over everyone its audience takes (the events pick among them)."""
    if isinstance(code_or_definition, str):
        item = stored(uow, code_or_definition)
        campaign, campaign_id = item.campaign, item.id
    else:
        campaign, campaign_id = check(uow, code_or_definition), 0
    when = as_utc(now or datetime.now(UTC))
    context = Context(
        when, ZoneInfo(timezone), program_id(uow, campaign.program) if campaign.program else None
    )
    query = candidate_query(
        campaign, campaign_id, context, event=False, channel_order=channel_order
    )
    size, rows = candidate_store.preview(uow.connection, query, max(0, min(sample, 100)))
    return {
        "code": campaign.code,
        "size": size,
        "holdout_percent": campaign.holdout_percent,
        "expected_holdout": round(size * campaign.holdout_percent / 100),
        "fields": sorted(fields(campaign.audience)),
        "sample": [{"member_id": m, "arm": a} for m, a in rows],
        "as_of": wire(when),
    }


def candidate_query(
    campaign: Campaign,
    campaign_id: int,
    context: Context,
    *,
    event: bool = True,
    event_start: datetime | None = None,
    channel_order: tuple[str, ...] = ("email", "sms"),
) -> Any:
    """The one query of the campaign's candidates now. A message without its own channels
    goes by ``channel_order`` (``REGULARS_CHANNEL_ORDER``), as the composer will send it."""
    message = campaign.first_message
    return candidate_store.candidates_query(
        campaign.audience,
        context,
        campaign_id=campaign_id,
        seed=campaign.seed,
        holdout_percent=campaign.holdout_percent,
        every_days=campaign.every_days,
        message_channels=(message.channels or channel_order) if message else (),
        marketing_first=campaign.needs_slot,
        event=campaign.trigger.event if event else None,
        event_start=event_start,
    )


def audience_fields() -> list[dict[str, Any]]:
    """Every field an audience may name, with its type, source and operators."""
    return describe()
