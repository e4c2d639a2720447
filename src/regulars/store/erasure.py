"""Erasure of a member: what every table holds about them, removed or pseudonymised.

What stays is what the books must keep — purchases and their lines (amounts, dates), the
loyalty accounts, ledger transactions and entries, lots — tied to the member's row, whose
``external_id`` becomes a random pseudonym (``erased-<32 hex>``). The pseudonym is drawn at
random and the old id is not kept anywhere, so nothing in the store leads back to the
person; the old id is free again, and enrolling it later makes a new member with no link to
the old history.

Table by table (``store/tables.py``; a new table with personal data belongs here, and
``tests/integration/privacy/test_erasure_walks_every_table.py`` fails until it is):

- ``members``: name, email, phone (and their lookup keys), card number, birth date, region,
  signup date, acquisition channel cleared; ``external_id`` pseudonymised; ``erased_at`` set.
- ``member_consents``, ``member_scores``, ``survey_invitations``, ``loyalty_referrals``
  (either side), ``member_name_grams`` (the bigrams of the name): deleted.
- ``audit_log``: the entries about the member keep who did what and when; their target
  becomes the pseudonym, the free text in their before/after (a reason, a note) becomes
  :data:`ERASED`, and what else names the member is redacted like the outbox's.
- ``survey_answers``: free-text-only rows deleted, the text of the others cleared, the
  member unlinked (the scores stay, anonymous, for the statistics).
- ``feedback_cases``: reason cleared, member unlinked; their ``feedback_case_notes`` text
  replaced by :data:`ERASED` (the note's time and author stay, the audit of the case).
- ``outbox``: the member's messages not yet sent deleted; sent ones keep only their topic
  and times; other rows naming the member (by id, birth date, name, e-mail, phone or
  region) redacted.
- ``ledger_transactions`` of the member's accounts: reasons replaced by :data:`ERASED`,
  details redacted; points, kinds and times unchanged.
- ``loyalty_rewards``: issued vouchers revoked (an erased member redeems nothing).
- ``idempotency_keys``: stored answers that name the member redacted, so that a replay
  never hands the data back.
- ``member_analytics``, ``campaign_candidates``, ``staff_tasks``, ``subscription_scores``:
  deleted (a staff task is about a person). ``campaign_assignments``: the member's step
  schedule stops (no further message, gift or task); the assignment and
  ``campaign_actions`` stay, tied to the pseudonym, as the campaign's measurement (an arm,
  times and points, no text).
- ``subscription_exit_answers`` of the member's contracts: comments cleared (the reason and
  the competitor named stay with the contract); ``subscription_exit_invitations`` go with
  the member's invitations. Contracts, plan changes and bills are kept for the books, tied
  to the pseudonymised member.
- ``till_voids`` of the member's sales and redemptions: the reason erased, the answer
  redacted (who voided, and when, stay).

The old id is remembered only as a keyed digest in ``erased_member_ids`` (HMAC-SHA256 with
the installation's secret, no time, no link to the row): an enrolment or an import of that
id is refused until it says ``re_enrol``, so that a stale members file does not bring the
person back. Re-enrolling makes a new member with no link to the erased history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, case, delete, or_, select, update

from regulars.store.dialect import upsert_insert
from regulars.store.subscriptions import exits as subscription_exits
from regulars.store.tables import (
    audit_log,
    campaign_assignments,
    campaign_candidates,
    deliveries,
    erased_member_ids,
    feedback_case_notes,
    feedback_cases,
    idempotency_keys,
    ledger_transactions,
    loyalty_accounts,
    loyalty_referrals,
    loyalty_rewards,
    member_analytics,
    member_consents,
    member_name_grams,
    member_scores,
    members,
    outbox,
    purchases,
    staff_tasks,
    subscription_scores,
    survey_answers,
    survey_invitations,
    till_voids,
)

ERASED = "[erased]"
# Every table, by what erasure does with it. A new table must be placed in one of these
# (tests/integration/privacy fails until it is): with personal data, erase it below.
ERASED_OR_PSEUDONYMISED = frozenset(
    {
        "members",
        "member_consents",
        "member_scores",
        "survey_invitations",
        "survey_answers",
        "feedback_cases",
        "feedback_case_notes",
        "outbox",
        "deliveries",
        "ledger_transactions",
        "loyalty_rewards",
        "loyalty_referrals",
        "idempotency_keys",
        "member_name_grams",
        "audit_log",
        "subscription_exit_invitations",
        "subscription_exit_answers",
        "till_voids",
        "subscription_scores",
    }
    | {"member_analytics", "campaign_candidates", "campaign_assignments", "staff_tasks"}
)
KEPT_FOR_THE_BOOKS = frozenset(
    {"purchases", "purchase_lines", "purchase_accruals", "loyalty_accounts", "ledger_entries"}
    | {"points_lots", "campaign_actions"}
    | {"subscriptions", "subscription_plan_changes", "subscription_bills"}
)
NOTHING_PERSONAL = frozenset(
    {"stores", "departments", "employees", "categories", "products", "api_keys", "surveys"}
    | {"loyalty_programs", "loyalty_program_versions", "erased_member_ids", "webhook_endpoints"}
    | {"staff_users", "staff_sessions", "staff_sign_ins"}
    | {"campaigns", "campaign_versions", "campaign_runs"}
    | {"subscription_plans"}
)
PSEUDONYM_PREFIX = "erased-"
_SENT_PAYLOAD = json.dumps({"erased": True})


def new_pseudonym() -> str:
    """A random external id for an erased member (128 bits; no mapping is kept)."""
    return PSEUDONYM_PREFIX + secrets.token_hex(16)


def digest(secret_key: str, external_id: str) -> str:
    """The keyed digest under which an erased member's id is remembered."""
    return hmac.new(secret_key.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def remember_erased(connection: Connection, digests: Iterable[str]) -> None:
    rows = [{"digest": d} for d in sorted(set(digests))]
    if rows:
        connection.execute(
            upsert_insert(connection, erased_member_ids).on_conflict_do_nothing(), rows
        )


def erased_digests(connection: Connection, digests: Iterable[str]) -> set[str]:
    """Those of ``digests`` that name an erased member's id."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        found.update(
            connection.execute(
                select(erased_member_ids.c.digest).where(erased_member_ids.c.digest.in_(chunk))
            ).scalars()
        )
    return found


def forget_erased(connection: Connection, digests: Iterable[str]) -> None:
    """Free erased ids for a new enrolment."""
    wanted = sorted(set(digests))
    if wanted:
        connection.execute(delete(erased_member_ids).where(erased_member_ids.c.digest.in_(wanted)))


def erased_among(connection: Connection, member_ids: Iterable[int]) -> set[int]:
    """Those of ``member_ids`` that were erased: they neither earn nor spend."""
    wanted = sorted({int(m) for m in member_ids})
    found: set[int] = set()
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        found.update(
            int(m)
            for m in connection.execute(
                select(members.c.id).where(
                    members.c.id.in_(chunk), members.c.erased_at.is_not(None)
                )
            ).scalars()
        )
    return found


def account_member_erased(connection: Connection, account_id: int) -> bool:
    """Whether the loyalty account belongs to an erased member."""
    found = connection.execute(
        select(members.c.erased_at)
        .join(loyalty_accounts, loyalty_accounts.c.member_id == members.c.id)
        .where(loyalty_accounts.c.id == account_id)
    ).first()
    return found is not None and found[0] is not None


def erase_member(connection: Connection, member_id: int, now: datetime) -> str | None:
    """Erase everything personal held on the member; return the pseudonym (None: no member).

    Erasing an already erased member clears again whatever came in since (idempotent)."""
    row = connection.execute(select(members).where(members.c.id == member_id)).mappings().first()
    if row is None:
        return None
    pseudonym = (
        row["external_id"]
        if str(row["external_id"]).startswith(PSEUDONYM_PREFIX) and row["erased_at"] is not None
        else new_pseudonym()
    )
    exact = {str(row["external_id"]): pseudonym}
    if row["birth_date"] is not None:
        exact[row["birth_date"].isoformat()] = ERASED
    inside = [
        str(row[f])
        for f in ("name", "email", "phone", "region", "card_id")
        if row[f] and len(str(row[f])) >= 3
    ]
    connection.execute(
        update(members)
        .where(members.c.id == member_id)
        .values(
            external_id=pseudonym,
            name=None,
            email=None,
            phone=None,
            phone_key=None,
            email_key=None,
            card_id=None,
            birth_date=None,
            region=None,
            signup_date=None,
            acquisition_channel=None,
            erased_at=now,
            updated_at=now,
        )
    )
    subscription_exits.erase_comments(connection, member_id)
    for table in (
        member_consents,
        member_scores,
        survey_invitations,
        member_name_grams,
        member_analytics,
        campaign_candidates,
        staff_tasks,
        subscription_scores,
    ):
        connection.execute(delete(table).where(table.c.member_id == member_id))
    connection.execute(
        update(campaign_assignments)
        .where(campaign_assignments.c.member_id == member_id)
        .values(step_due_at=None)
    )
    connection.execute(
        delete(loyalty_referrals).where(
            or_(
                loyalty_referrals.c.referrer_id == member_id,
                loyalty_referrals.c.referee_id == member_id,
            )
        )
    )
    _erase_feedback(connection, member_id)
    _erase_outbox(connection, member_id, exact, inside)
    _erase_ledger_text(connection, member_id, exact, inside)
    connection.execute(
        update(loyalty_rewards)
        .where(
            loyalty_rewards.c.account_id.in_(_accounts(member_id)),
            loyalty_rewards.c.state == "issued",
        )
        .values(state="revoked")
    )
    _redact_column(connection, idempotency_keys, "response_body", exact, inside, by_key=True)
    _erase_audit(connection, member_id, pseudonym, exact, inside)
    _erase_voids(connection, member_id, exact, inside)
    return pseudonym


def _erase_audit(
    connection: Connection, member_id: int, pseudonym: str, exact: dict[str, str], inside: list[str]
) -> None:
    """The audit of what staff did to the member stays (who, what, when), about the
    pseudonym; what it recorded of the member is redacted."""
    connection.execute(
        update(audit_log)
        .where(audit_log.c.member_id == member_id, audit_log.c.target_kind == "member")
        .values(target=pseudonym)
    )
    rows = connection.execute(
        select(audit_log.c.id, audit_log.c.before_json, audit_log.c.after_json).where(
            audit_log.c.member_id == member_id
        )
    ).all()
    for entry, before, after in rows:  # free text staff wrote about the member goes whole
        connection.execute(
            update(audit_log)
            .where(audit_log.c.id == entry)
            .values(before_json=_without_free_text(before), after_json=_without_free_text(after))
        )
    for column in ("target", "before_json", "after_json"):
        _redact_column(connection, audit_log, column, exact, inside)


AUDIT_FREE_TEXT = frozenset({"reason", "note", "text", "name"})
"""Keys of an audit entry's before/after whose values are what staff wrote (a reason, a
note) or the member's name: replaced by :data:`ERASED` when the member is erased."""


def _without_free_text(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return ERASED
    if isinstance(value, dict):
        value = {k: ERASED if k in AUDIT_FREE_TEXT and v else v for k, v in value.items()}
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _erase_voids(
    connection: Connection, member_id: int, exact: dict[str, str], inside: list[str]
) -> None:
    """Voids of the member's sales and redemptions: the reason erased, the answer redacted
    (who voided and when stay: the audit)."""
    theirs = or_(
        till_voids.c.purchase_id.in_(
            select(purchases.c.id).where(purchases.c.member_id == member_id)
        ),
        till_voids.c.transaction_id.in_(
            select(ledger_transactions.c.id).where(
                ledger_transactions.c.account_id.in_(_accounts(member_id))
            )
        ),
    )
    rows = connection.execute(select(till_voids.c.id, till_voids.c.answer).where(theirs)).all()
    for void_id, answer in rows:
        given = json.loads(answer)
        if given.get("reason") is not None:
            given["reason"] = ERASED
        connection.execute(
            update(till_voids)
            .where(till_voids.c.id == void_id)
            .values(
                reason=case((till_voids.c.reason.is_(None), None), else_=ERASED),
                answer=redact_text(json.dumps(given, ensure_ascii=False), exact, inside),
            )
        )


def _accounts(member_id: int) -> Any:
    return select(loyalty_accounts.c.id).where(loyalty_accounts.c.member_id == member_id)


def _erase_feedback(connection: Connection, member_id: int) -> None:
    mine = survey_answers.c.member_id == member_id
    connection.execute(delete(survey_answers).where(mine, survey_answers.c.value.is_(None)))
    connection.execute(update(survey_answers).where(mine).values(text=None, member_id=None))
    cases = select(feedback_cases.c.id).where(feedback_cases.c.member_id == member_id)
    connection.execute(
        update(feedback_case_notes)
        .where(feedback_case_notes.c.case_id.in_(cases))
        .values(text=ERASED)
    )
    connection.execute(
        update(feedback_cases)
        .where(feedback_cases.c.member_id == member_id)
        .values(reason=None, member_id=None)
    )


def _erase_outbox(
    connection: Connection, member_id: int, exact: dict[str, str], inside: list[str]
) -> None:
    mine = outbox.c.member_id == member_id
    # What was sent or is to be sent to the member (the rendered message, the address) goes
    # whole: a delivery is bookkeeping of a message, and the message is theirs.
    connection.execute(
        delete(deliveries).where(deliveries.c.event_id.in_(select(outbox.c.id).where(mine)))
    )
    _redact_column(connection, deliveries, "content", exact, inside)
    _redact_column(connection, deliveries, "target", exact, inside)
    _redact_column(connection, deliveries, "last_error", exact, inside)
    connection.execute(delete(outbox).where(mine, outbox.c.sent_at.is_(None)))
    connection.execute(update(outbox).where(mine).values(payload=_SENT_PAYLOAD, last_error=None))
    _redact_column(connection, outbox, "payload", exact, inside)
    _redact_column(connection, outbox, "last_error", exact, inside)


def _erase_ledger_text(
    connection: Connection, member_id: int, exact: dict[str, str], inside: list[str]
) -> None:
    theirs = ledger_transactions.c.account_id.in_(_accounts(member_id))
    connection.execute(
        update(ledger_transactions)
        .where(theirs, ledger_transactions.c.reason.is_not(None))
        .values(reason=ERASED)
    )
    rows = connection.execute(
        select(ledger_transactions.c.id, ledger_transactions.c.detail).where(
            theirs, ledger_transactions.c.detail.is_not(None)
        )
    ).all()
    for txn, detail in rows:
        redacted = redact_text(detail, exact, inside)
        if redacted != detail:
            connection.execute(
                update(ledger_transactions)
                .where(ledger_transactions.c.id == txn)
                .values(detail=redacted)
            )


def _redact_column(
    connection: Connection,
    table: Table,
    column: str,
    exact: dict[str, str],
    inside: list[str],
    *,
    by_key: bool = False,
) -> None:
    """Redact every value of ``table.column`` that names the member (by id, birth date, name,
    e-mail, phone or region); a candidate is found by substring, then redacted by
    :func:`redact_text`."""
    values = [*exact, *inside]
    if not values:
        return
    col = table.c[column]
    keys = [table.c.key, table.c.api_key_id] if by_key else [table.c.id]
    rows = connection.execute(
        select(*keys, col).where(or_(*[col.contains(v, autoescape=True) for v in values]))
    ).all()
    for *key, text in rows:
        redacted = redact_text(text, exact, inside)
        if redacted == text:
            continue
        where = (
            [table.c.key == key[0], table.c.api_key_id == key[1]]
            if by_key
            else [table.c.id == key[0]]
        )
        connection.execute(update(table).where(*where).values({column: redacted}))


def redact_text(text: str | None, exact: dict[str, str], inside: list[str]) -> str | None:
    """``text`` (JSON or not) with the member's traces replaced: a JSON string equal to a key
    of ``exact`` becomes its value (the old external id becomes the pseudonym), and any
    occurrence of a string of ``inside`` (name, e-mail, phone, region) becomes
    :data:`ERASED`."""
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return _scrub(text, exact, inside)
    walked = _walk(parsed, exact, inside)
    if walked == parsed:
        return text
    return json.dumps(walked, ensure_ascii=False, sort_keys=True)


def _walk(value: Any, exact: dict[str, str], inside: list[str]) -> Any:
    if isinstance(value, dict):
        return {_scrub(str(k), exact, inside): _walk(v, exact, inside) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, exact, inside) for v in value]
    if isinstance(value, str):
        return _scrub(value, exact, inside)
    return value


def _scrub(text: str, exact: dict[str, str], inside: list[str]) -> str:
    if text in exact:
        return exact[text]
    for value in inside:
        text = text.replace(value, ERASED)
    return text
