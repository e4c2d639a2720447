"""A campaign's message as the composer sends it: its own words, channels and checks.

The outbox event of a campaign message (``campaign.message``) names only its action; at
the moment of sending, :func:`campaign_message` reads the action, its campaign and the
campaign's step, and answers the words in the member's language (the step's templates,
rendered by the composer in Jinja's sandbox like the catalogue's), the campaign's channel
preference and the values a template may use: ``name`` (added by the composer),
``member_number`` and ``referral_code`` (the member's id, which a friend gives when
joining), ``campaign`` (its name), and in the campaign's program ``tier`` and ``balance``.

It skips (never sends) a message whose campaign is no longer running (paused or ended since
it was planned) and a marketing message to a member whose detractor case is open — they get
no promotion until the case is closed. Consent and quiet hours are the composer's, as for
every member message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regulars.config import Settings
from regulars.domain.engagement.campaigns import Message
from regulars.services.engagement.campaigns import parsed
from regulars.services.engagement.plans import Skip
from regulars.store.engagement import campaign_reads
from regulars.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CampaignContent:
    message: Message
    values: dict[str, Any]
    channels: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def entry(self, locale: str) -> dict[str, Any]:
        """The words in the member's language as a catalogue entry."""
        template = self.message.templates.get(locale) or self.message.templates["ko"]
        return {
            "subject": template.subject,
            "lines": [line for line in template.text.splitlines() if line.strip()],
            "sms": template.sms,
            "action": "",
        }


def campaign_message(
    uow: UnitOfWork,
    payload: Mapping[str, Any],
    member: Mapping[str, Any],
    now: datetime,
    settings: Settings,
) -> CampaignContent | Skip:
    connection = uow.connection
    action = campaign_reads.message_action(connection, int(payload.get("action", 0)))
    if action is None:
        return Skip("campaign action gone")
    if action["state"] != "running":
        return Skip(f"campaign {action['state']}")
    campaign = parsed(action["definition"])
    steps = campaign.steps
    step = steps[action["step"]] if action["step"] < len(steps) else None
    if not isinstance(step, Message):
        return Skip("campaign step is no message any more")
    if step.marketing and campaign_reads.has_open_case(connection, int(member["id"])):
        return Skip("open detractor case")
    values: dict[str, Any] = {
        "member_number": member["external_id"],
        "referral_code": member["external_id"],
        "campaign": action["name"],
    }
    if campaign.program is not None:
        values.update(
            campaign_reads.loyalty_values(connection, int(member["id"]), campaign.program)
        )
    return CampaignContent(step, values, step.channels)
