"""Campaign definitions and shortcuts the campaign tests share."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select

from regulars.bootstrap import App
from regulars.domain.engagement.campaigns import State
from regulars.services.engagement import campaign_runs, campaigns, messages
from regulars.services.engagement.composing import Event
from regulars.store.tables import campaign_assignments, members, outbox

TEMPLATES = {
    "ko": {
        "subject": "{{ name }}님께",
        "text": "다시 오세요\n{{ campaign }}",
        "sms": "다시 오세요",
    },
    "en": {"subject": "For {{ name }}", "text": "Come back\n{{ campaign }}", "sms": "Come back"},
}


def message(**extra: Any) -> dict[str, Any]:
    return {"message": {"templates": TEMPLATES, **extra}}


def definition(code: str, audience: Any = None, steps: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"Campaign {code}",
        "trigger": {"daily": {}},
        "audience": audience or {},
        "steps": steps or [message()],
        "holdout_percent": 0,
        **extra,
    }


def launch(app: App, *definitions: dict[str, Any], now: datetime) -> None:
    with app.unit_of_work() as uow:
        for d in definitions:
            campaigns.install(uow, d, now)
            campaigns.move(uow, d["code"], State.RUNNING, now)
        uow.commit()


def run(app: App, now: datetime, cap: int = 2) -> campaign_runs.RunSummary:
    with app.unit_of_work() as uow:
        summary = campaign_runs.run_campaigns(
            uow, now, timezone="Asia/Seoul", cap=campaign_runs.Cap(cap, 7)
        )
        uow.commit()
    return summary


def assigned(app: App, code: str, arm: str | None = None) -> set[str]:
    """External ids of the members assigned to the campaign (in one arm)."""
    from regulars.store.tables import campaigns as campaign_table

    with app.unit_of_work() as uow:
        query = (
            select(members.c.external_id)
            .join(campaign_assignments, campaign_assignments.c.member_id == members.c.id)
            .join(campaign_table, campaign_table.c.id == campaign_assignments.c.campaign_id)
            .where(campaign_table.c.code == code)
        )
        if arm is not None:
            query = query.where(campaign_assignments.c.arm == arm)
        return set(uow.connection.execute(query).scalars())


def preview_ids(app: App, audience: Any, now: datetime, **extra: Any) -> set[str]:
    """Who a campaign with this audience (and no message) would take now."""
    d = definition("preview", audience, steps=[{"task": {"kind": "call", "title": "Call"}}],
                   **extra)  # fmt: skip
    with app.unit_of_work() as uow:
        found = campaigns.preview(uow, d, now=now, timezone="Asia/Seoul", sample=100)
    assert found["size"] == len(found["sample"])
    return {row["member_id"] for row in found["sample"]}


def campaign_events(app: App) -> list[Event]:
    """The outbox events of campaign messages, in order."""
    with app.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(outbox).where(outbox.c.topic == "campaign.message").order_by(outbox.c.id)
        ).mappings()
        return [Event.from_row(r) for r in rows]


def compose(app: App, event: Event, now: datetime, rules: str = "kr") -> object:
    """What the member-message composer makes of the event at ``now`` (Seoul time)."""
    settings = dataclasses.replace(app.settings, marketing_rules=rules, timezone="Asia/Seoul")
    with app.unit_of_work() as uow:
        return messages.compose(uow, event, now, settings)
