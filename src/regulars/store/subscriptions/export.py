"""A member's contracts as the access-request export shows them
(:mod:`regulars.store.reads.member_export`): each with its plan changes, every bill and the
exit-survey answers, oldest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from regulars.domain.times import as_utc
from regulars.store.subscriptions import contracts, exits, history


def of_member(connection: Connection, member_id: int) -> list[dict[str, Any]]:
    found = []
    for row in contracts.of_member(connection, member_id):
        contract = dict(row)
        contract_id = int(contract.pop("id"))
        contract["created_at"] = as_utc(contract["created_at"])
        contract["updated_at"] = as_utc(contract["updated_at"])
        contract["plan_changes"] = [dict(c) for c in history.changes_of(connection, contract_id)]
        contract["bills"] = [dict(b) for b in reversed(history.bills_of(connection, contract_id))]
        contract["exit_answers"] = [
            {**dict(a), "collected_at": as_utc(a["collected_at"])}
            for a in exits.answers_of(connection, contract_id)
        ]
        found.append(contract)
    return found
