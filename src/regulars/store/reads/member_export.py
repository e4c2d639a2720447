"""Everything held on one member beyond their row, consents and purchases: the reads of a
data-subject access request (``regulars members export``, ``GET /v1/members/{id}/export``).

Each section is a list of plain dicts, times in UTC, ordered oldest first; the service turns
them into JSON. Internal surrogate keys are given where they are the only handle a person
has on a row (a transaction, a lot, a case); secrets (a link's token hash, an idempotency
key) are not.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from regulars.domain.times import as_utc
from regulars.store.subscriptions import export as subscription_export
from regulars.store.tables import (
    feedback_case_notes,
    feedback_cases,
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    loyalty_programs,
    loyalty_referrals,
    loyalty_rewards,
    member_scores,
    members,
    outbox,
    points_lots,
    purchases,
    survey_answers,
    survey_invitations,
    surveys,
)


def _rows(connection: Connection, query: Select[Any]) -> list[dict[str, Any]]:
    return [
        {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}
        for row in connection.execute(query).mappings()
    ]


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def holdings(connection: Connection, member_id: int) -> dict[str, list[dict[str, Any]]]:
    """The member's loyalty accounts, ledger, lots, vouchers, referrals, survey invitations
    and answers, feedback cases with their notes, messages and scores; analytics, campaign
    entries and staff tasks; subscriptions (contracts with their plan changes, bills and exit
    answers)."""
    accounts = select(loyalty_accounts.c.id).where(loyalty_accounts.c.member_id == member_id)
    ledger = _rows(
        connection,
        select(
            ledger_transactions.c.id.label("transaction_id"),
            loyalty_programs.c.code.label("program"),
            ledger_transactions.c.kind,
            ledger_transactions.c.points,
            ledger_transactions.c.occurred_at,
            ledger_transactions.c.reason,
            ledger_transactions.c.actor,
            ledger_transactions.c.detail,
            purchases.c.external_id.label("purchase_id"),
        )
        .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
        .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
        .outerjoin(purchases, purchases.c.id == ledger_transactions.c.purchase_id)
        .where(ledger_transactions.c.account_id.in_(accounts))
        .order_by(ledger_transactions.c.occurred_at, ledger_transactions.c.id),
    )
    entries: dict[int, list[dict[str, Any]]] = {}
    for entry in _rows(
        connection,
        select(
            ledger_entries.c.transaction_id,
            ledger_entries.c.book,
            ledger_entries.c.lot_id,
            ledger_entries.c.points,
        )
        .where(ledger_entries.c.account_id.in_(accounts))
        .order_by(ledger_entries.c.id),
    ):
        entries.setdefault(entry.pop("transaction_id"), []).append(entry)
    for txn in ledger:
        txn["detail"] = _json(txn["detail"])
        txn["entries"] = entries.get(txn["transaction_id"], [])
    notes: dict[int, list[dict[str, Any]]] = {}
    for note in _rows(
        connection,
        select(
            feedback_case_notes.c.case_id,
            feedback_case_notes.c.at,
            feedback_case_notes.c.author,
            feedback_case_notes.c.text,
        )
        .join(feedback_cases, feedback_cases.c.id == feedback_case_notes.c.case_id)
        .where(feedback_cases.c.member_id == member_id)
        .order_by(feedback_case_notes.c.at, feedback_case_notes.c.id),
    ):
        notes.setdefault(note.pop("case_id"), []).append(note)
    cases = _rows(
        connection,
        select(
            feedback_cases.c.id.label("case_id"),
            feedback_cases.c.response_id,
            surveys.c.code.label("survey"),
            feedback_cases.c.score,
            feedback_cases.c.reason,
            feedback_cases.c.status,
            feedback_cases.c.owner,
            feedback_cases.c.opened_at,
            feedback_cases.c.due_at,
            feedback_cases.c.closed_at,
        )
        .join(surveys, surveys.c.id == feedback_cases.c.survey_id)
        .where(feedback_cases.c.member_id == member_id)
        .order_by(feedback_cases.c.opened_at, feedback_cases.c.id),
    )
    for case in cases:
        case["notes"] = notes.get(case["case_id"], [])
    messages = _rows(
        connection,
        select(
            outbox.c.id.label("message_id"),
            outbox.c.topic,
            outbox.c.channel,
            outbox.c.payload,
            outbox.c.created_at,
            outbox.c.sent_at,
            outbox.c.attempts,
            outbox.c.last_error,
        )
        .where(outbox.c.member_id == member_id)
        .order_by(outbox.c.id),
    )
    for message in messages:
        message["payload"] = _json(message["payload"])
    return {
        "loyalty_accounts": _rows(
            connection,
            select(
                loyalty_programs.c.code.label("program"),
                loyalty_accounts.c.available,
                loyalty_accounts.c.pending,
                loyalty_accounts.c.debt,
                loyalty_accounts.c.stamps,
                loyalty_accounts.c.tier,
                loyalty_accounts.c.tier_since,
                loyalty_accounts.c.tier_grace_until,
                loyalty_accounts.c.created_at,
            )
            .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
            .where(loyalty_accounts.c.member_id == member_id)
            .order_by(loyalty_accounts.c.id),
        ),
        "ledger": ledger,
        "lots": _rows(
            connection,
            select(
                points_lots.c.id.label("lot_id"),
                loyalty_programs.c.code.label("program"),
                points_lots.c.points,
                points_lots.c.remaining,
                points_lots.c.awarded_at,
                points_lots.c.release_at,
                points_lots.c.expires_at,
                points_lots.c.released,
                points_lots.c.closed,
            )
            .join(loyalty_accounts, loyalty_accounts.c.id == points_lots.c.account_id)
            .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
            .where(points_lots.c.account_id.in_(accounts))
            .order_by(points_lots.c.awarded_at, points_lots.c.id),
        ),
        "vouchers": _rows(
            connection,
            select(
                loyalty_rewards.c.code,
                loyalty_rewards.c.name,
                loyalty_rewards.c.product,
                loyalty_rewards.c.state,
                loyalty_rewards.c.issued_at,
                loyalty_rewards.c.expires_at,
                loyalty_rewards.c.redeemed_at,
            )
            .where(loyalty_rewards.c.account_id.in_(accounts))
            .order_by(loyalty_rewards.c.issued_at, loyalty_rewards.c.id),
        ),
        "referrals": _referrals(connection, member_id),
        "survey_invitations": _rows(
            connection,
            select(
                surveys.c.code.label("survey"),
                survey_invitations.c.channel,
                survey_invitations.c.language,
                survey_invitations.c.created_at,
                survey_invitations.c.expires_at,
                survey_invitations.c.used_at,
                survey_invitations.c.response_id,
            )
            .join(surveys, surveys.c.id == survey_invitations.c.survey_id)
            .where(survey_invitations.c.member_id == member_id)
            .order_by(survey_invitations.c.created_at, survey_invitations.c.id),
        ),
        "survey_answers": _rows(
            connection,
            select(
                survey_answers.c.response_id,
                surveys.c.code.label("survey"),
                survey_answers.c.question,
                survey_answers.c.subject,
                survey_answers.c.value,
                survey_answers.c.text,
                survey_answers.c.language,
                survey_answers.c.collected_at,
                survey_answers.c.source,
            )
            .join(surveys, surveys.c.id == survey_answers.c.survey_id)
            .where(survey_answers.c.member_id == member_id)
            .order_by(survey_answers.c.collected_at, survey_answers.c.id),
        ),
        "feedback_cases": cases,
        "messages": messages,
        "subscriptions": subscription_export.of_member(connection, member_id),
        "scores": _rows(
            connection,
            select(
                member_scores.c.computed_at,
                member_scores.c.model,
                member_scores.c.frequency,
                member_scores.c.recency_days,
                member_scores.c.age_days,
                member_scores.c.probability_alive,
                member_scores.c.expected_purchases,
                member_scores.c.horizon_days,
                member_scores.c.clv,
                member_scores.c.value_at_risk,
                member_scores.c.expected_loss_at,
            )
            .where(member_scores.c.member_id == member_id)
            .order_by(member_scores.c.computed_at),
        ),
        **_campaigns(connection, member_id),
    }


def _campaigns(connection: Connection, member_id: int) -> dict[str, list[dict[str, Any]]]:
    """The member's analytics written back, their campaign entries (arm, step) and the staff
    tasks about them (issue 14)."""
    from regulars.store.tables import campaign_assignments, campaigns, member_analytics, stores
    from regulars.store.tables import staff_tasks as tasks

    a = campaign_assignments
    return {
        "analytics": _rows(
            connection,
            select(*(c for c in member_analytics.c if c.name != "member_id")).where(
                member_analytics.c.member_id == member_id
            ),
        ),
        "campaigns": _rows(
            connection,
            select(
                campaigns.c.code.label("campaign"),
                a.c.arm,
                a.c.assigned_at,
                a.c.attribution_until,
                a.c.step,
                a.c.step_due_at,
            )
            .join(campaigns, campaigns.c.id == a.c.campaign_id)
            .where(a.c.member_id == member_id)
            .order_by(a.c.assigned_at, a.c.id),
        ),
        "staff_tasks": _rows(
            connection,
            select(
                tasks.c.kind,
                tasks.c.title,
                tasks.c.status,
                tasks.c.assignee,
                stores.c.code.label("store"),
                tasks.c.due_at,
                tasks.c.created_at,
                tasks.c.done_at,
            )
            .outerjoin(stores, stores.c.id == tasks.c.store_id)
            .where(tasks.c.member_id == member_id)
            .order_by(tasks.c.id),
        ),
    }


def _referrals(connection: Connection, member_id: int) -> list[dict[str, Any]]:
    referrer = members.alias("referrer")
    referee = members.alias("referee")
    return _rows(
        connection,
        select(
            referrer.c.external_id.label("referrer"),
            referee.c.external_id.label("referee"),
            loyalty_referrals.c.created_at,
            loyalty_referrals.c.rewarded_at,
        )
        .join(referrer, referrer.c.id == loyalty_referrals.c.referrer_id)
        .join(referee, referee.c.id == loyalty_referrals.c.referee_id)
        .where(
            (loyalty_referrals.c.referrer_id == member_id)
            | (loyalty_referrals.c.referee_id == member_id)
        )
        .order_by(loyalty_referrals.c.created_at, loyalty_referrals.c.id),
    )
