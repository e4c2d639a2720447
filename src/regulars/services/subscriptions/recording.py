"""Subscription use cases for the API: record plans, contracts, plan changes and bills
through the same checks and writers as a file (the request's records become a text frame),
and read a contract or a member's contracts back.

A contract the request cancels invites its member to the exit survey at once
(:func:`regulars.services.subscriptions.exits.invite_after_cancellations`), in the same
transaction; a file import leaves that to ``regulars subscriptions invite-exits``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regulars.config import Settings
from regulars.domain.times import wire
from regulars.services.errors import NotFound
from regulars.services.imports.checks import text_frame
from regulars.services.imports.report import ImportReport
from regulars.services.subscriptions import exits
from regulars.services.subscriptions.imports import KINDS, SubscriptionKind
from regulars.store.subscriptions import contracts as contract_store
from regulars.store.subscriptions import exits as exit_store
from regulars.store.subscriptions import history
from regulars.store.unit_of_work import UnitOfWork

RECENT_BILLS = 24
"""How many of a contract's latest bills its answer shows."""


def record(
    uow: UnitOfWork,
    kind: SubscriptionKind,
    records: list[dict[str, Any]],
    now: datetime,
    settings: Settings,
) -> ImportReport:
    """Check and write ``records`` (JSON values, one per row) of ``kind`` in the caller's
    transaction; the report's rows are the records' 1-based places."""
    spec = KINDS[kind]
    frame = text_frame(records, spec.columns)
    report = ImportReport(kind=spec.name, rows=len(frame))
    good, errors = spec.check(frame, settings.timezone)
    report.errors.extend(errors)
    cancelled = spec.write(uow, good, now, report) if len(good) else None
    if cancelled:
        exits.invite_after_cancellations(
            uow,
            now,
            secret=settings.secret_key,
            base_url=settings.public_url,
            timezone=settings.timezone,
            subscriptions=cancelled,
        )
    return report


def _contract(row: Any) -> dict[str, Any]:
    found = dict(row)
    found.pop("id")
    status = "cancelled" if found["cancelled_on"] is not None else "active"
    return {**found, "status": status}


def get_subscription(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    """One contract with its plan changes, latest bills and exit answers."""
    row = contract_store.get(uow.connection, external_id)
    if row is None:
        raise NotFound(f"no contract with id {external_id!r}")
    contract_id = int(row["id"])
    return {
        **_contract(row),
        "plan_changes": [dict(c) for c in history.changes_of(uow.connection, contract_id)],
        "bills": [dict(b) for b in history.bills_of(uow.connection, contract_id, RECENT_BILLS)],
        "exit_answers": [
            {**dict(a), "collected_at": wire(a["collected_at"])}
            for a in exit_store.answers_of(uow.connection, contract_id)
        ],
    }


def member_subscriptions(uow: UnitOfWork, member: str) -> dict[str, Any]:
    """A member's contracts, each with its plan changes, latest bills and exit answers."""
    ids = uow.members.ids_by_external_id([member])
    if member not in ids:
        raise NotFound(f"no member with id {member!r}")
    rows = contract_store.of_member(uow.connection, ids[member])
    return {
        "member_id": member,
        "subscriptions": [get_subscription(uow, str(r["subscription_id"])) for r in rows],
    }
