"""What a campaign message needs at the moment of sending: its action and campaign, whether
the member has an open detractor case, and the member's standing in the campaign's program."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from regulars.store.engagement.audiences import open_case_of
from regulars.store.tables import (
    campaign_actions,
    campaign_assignments,
    campaigns,
    loyalty_accounts,
    loyalty_programs,
    members,
)


def message_action(connection: Connection, action_id: int) -> dict[str, Any] | None:
    """The action with its step, and its campaign's state, name and current definition."""
    row = (
        connection.execute(
            select(
                campaign_actions.c.id,
                campaign_actions.c.step,
                campaign_actions.c.marketing,
                campaigns.c.state,
                campaigns.c.name,
                campaigns.c.definition,
            )
            .select_from(
                campaign_actions.join(
                    campaign_assignments,
                    campaign_assignments.c.id == campaign_actions.c.assignment_id,
                ).join(campaigns, campaigns.c.id == campaign_assignments.c.campaign_id)
            )
            .where(campaign_actions.c.id == action_id)
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def has_open_case(connection: Connection, member_id: int) -> bool:
    return bool(
        connection.execute(
            select(open_case_of(members.c.id)).where(members.c.id == member_id)
        ).scalar()
    )


def loyalty_values(connection: Connection, member_id: int, program: str) -> dict[str, Any]:
    """``tier`` and ``balance`` (spendable points) in the program, when the member has an
    account there."""
    row = connection.execute(
        select(loyalty_accounts.c.tier, loyalty_accounts.c.available)
        .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
        .where(loyalty_accounts.c.member_id == member_id, loyalty_programs.c.code == program)
    ).first()
    if row is None:
        return {}
    return {"tier": row.tier, "balance": f"{int(row.available):,}"}
