"""Member use cases for the API: write through the import checks, read, consent, export, erase."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from regulars.domain.members import ContactChannel, card_key, email_key, phone_key
from regulars.domain.times import as_utc, wire
from regulars.services.errors import Invalid, NotFound
from regulars.services.imports import members as member_import
from regulars.services.imports.checks import text_frame
from regulars.services.imports.report import ImportReport
from regulars.services.unit_of_work import UnitOfWork
from regulars.store.members import MEMBER_FIELDS


def upsert_members(uow: UnitOfWork, records: list[dict[str, Any]], timezone: str) -> ImportReport:
    """Add or update members; ``report.errors`` lists rejected records by 1-based position."""
    frame = text_frame(records, member_import.COLUMNS)
    report = ImportReport(kind="members", rows=len(frame))
    good, errors = member_import.check_members(frame, timezone)
    report.errors.extend(errors)
    if len(good):
        member_import.write_members(uow, good, datetime.now(UTC), report)
    return report


def get_member(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    """A member as the API shows it, with the consent in force on each channel."""
    row = _member(uow, external_id)
    return _shown(row, uow.members.consent_state([row["id"]]))


def _member(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    row = uow.members.get(external_id)
    if row is None:
        raise NotFound(f"no member with id {external_id!r}")
    return row


def record_consent(
    uow: UnitOfWork,
    external_id: str,
    channel: str,
    granted: bool,
    source: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Append a grant or withdrawal to the member's consent history; return the member."""
    try:
        contact = ContactChannel(channel)
    except ValueError:
        raise Invalid(f"channel {channel!r} must be one of email, sms, push") from None
    member_id = int(_member(uow, external_id)["id"])
    uow.members.add_consent_events(
        [
            {
                "member_id": member_id,
                "channel": contact.value,
                "granted": granted,
                "at": datetime.now(UTC) if at is None else as_utc(at),
                "source": source,
            }
        ]
    )
    return get_member(uow, external_id)


def export_member(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    """Everything the business holds on a member (a data-subject access request), as JSON:
    the member, their consent history, purchases with lines, loyalty accounts, ledger
    (with entries), lots, vouchers, referrals, survey invitations and answers (with their
    text), feedback cases with notes, messages about them and their scores."""
    row = _member(uow, external_id)
    member_id = int(row["id"])
    return {
        "format": EXPORT_FORMAT,
        "member": get_member(uow, external_id),
        "consent_history": [
            {
                "channel": h["channel"],
                "granted": h["granted"],
                "at": wire(h["at"]),
                "source": h["source"],
            }
            for h in uow.members.consent_history(member_id)
        ],
        "purchases": [
            {
                "purchase_id": p["purchase_id"],
                "occurred_at": wire(p["occurred_at"]),
                "kind": p["kind"],
                "channel": p["channel"],
                "total_amount": p["total_amount"],
                "lines": p["lines"],
            }
            for p in uow.members.purchases_of(member_id)
        ],
        **json_ready(uow.members.holdings(member_id)),
    }


EXPORT_FORMAT = "regulars.member-export/1"
"""Names the shape of :func:`export_member`'s answer; a change of shape changes it."""


def json_ready(value: Any) -> Any:
    """``value`` with every time as ISO 8601 with offset and every date as ISO 8601."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, datetime):
        return wire(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def erase_member(uow: UnitOfWork, external_id: str, now: datetime | None = None) -> str:
    """Erase the member's personal data in every table, on request (PIPA art. 36, GDPR
    art. 17); return the pseudonym their row now carries.

    What the books must keep stays under that random pseudonym: purchases, amounts, dates,
    the points ledger. The member can no longer earn or spend, and their id is free: enrolling
    it again creates a new member with no link to this history. See
    :mod:`regulars.store.erasure` for what happens to each table."""
    member_id = int(_member(uow, external_id)["id"])
    pseudonym = uow.members.erase(member_id, now or datetime.now(UTC))
    assert pseudonym is not None
    return pseudonym


def list_members(uow: UnitOfWork, after: str | None, limit: int) -> dict[str, Any]:
    """A page of members after the member with external id ``after`` (keyset pagination)."""
    after_id = 0
    if after is not None:
        after_id = int(_member(uow, after)["id"])
    rows = uow.members.page(after_id, limit)
    items = [{"member_id": r["external_id"], **{f: r[f] for f in MEMBER_FIELDS}} for r in rows]
    return {"members": items, "next": items[-1]["member_id"] if len(items) == limit else None}


LOOKUP_LIMIT = 20


def find_members(
    uow: UnitOfWork,
    *,
    phone: str | None = None,
    email: str | None = None,
    card: str | None = None,
    member_id: str | None = None,
    limit: int = LOOKUP_LIMIT,
) -> list[dict[str, Any]]:
    """The members a till or the console is looking for, each as :func:`get_member` shows it.

    Every criterion given must match: ``phone`` written in any Korean format (``010-1234-5678``,
    ``01012345678``, ``+82 10 1234 5678``: compared by ``domain.members.phone_key``),
    ``email`` without regard to case, ``card`` as printed (spaces and dashes ignored),
    ``member_id`` exactly. Erased members are never found. At least one criterion is needed.
    """
    keys = {
        "phone": phone_key(phone) if phone is not None else None,
        "email": email_key(email) if email is not None else None,
        "card": card_key(card) if card is not None else None,
        "external_id": member_id,
    }
    given = {"phone": phone, "email": email, "card": card, "member_id": member_id}
    if all(v is None for v in given.values()):
        raise Invalid("give a phone, an e-mail, a card or a member id to look a member up")
    for name, key in (("phone", "phone"), ("email", "email"), ("card", "card")):
        if given[name] is not None and keys[key] is None:
            raise Invalid(f"{name} {given[name]!r} has nothing to look up by")
    rows = uow.members.find(**keys, limit=max(1, min(limit, 100)))
    consent = uow.members.consent_state([r["id"] for r in rows])
    return [_shown(row, consent) for row in rows]


def _shown(row: dict[str, Any], consent: dict[tuple[int, str], bool]) -> dict[str, Any]:
    return {
        "member_id": row["external_id"],
        **{f: row[f] for f in MEMBER_FIELDS},
        "consent": {c.value: consent.get((row["id"], c.value), False) for c in ContactChannel},
        "erased": row["erased_at"] is not None,
        "created_at": wire(row["created_at"]),
        "updated_at": wire(row["updated_at"]),
    }
