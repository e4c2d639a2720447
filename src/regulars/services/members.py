"""Member use cases for the API: write through the import checks, read, consent, export, erase."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from regulars.domain.members import ContactChannel
from regulars.services.errors import Invalid, NotFound
from regulars.services.imports import members as member_import
from regulars.services.imports.checks import text_frame
from regulars.services.imports.report import ImportReport
from regulars.store import members as member_store
from regulars.store import purchases as purchase_store
from regulars.store.tables import purchases
from regulars.store.unit_of_work import UnitOfWork


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
    row = member_store.get(uow.connection, external_id)
    if row is None:
        raise NotFound(f"no member with id {external_id!r}")
    consent = member_store.consent_state(uow.connection, [row["id"]])
    return {
        "member_id": row["external_id"],
        **{f: row[f] for f in member_store.MEMBER_FIELDS},
        "consent": {c.value: consent.get((row["id"], c.value), False) for c in ContactChannel},
        "erased": row["erased_at"] is not None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _member_id(uow: UnitOfWork, external_id: str) -> int:
    row = member_store.get(uow.connection, external_id)
    if row is None:
        raise NotFound(f"no member with id {external_id!r}")
    return int(row["id"])


def record_consent(
    uow: UnitOfWork,
    external_id: str,
    channel: str,
    granted: bool,
    source: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    try:
        contact = ContactChannel(channel)
    except ValueError:
        raise Invalid(f"channel {channel!r} must be one of email, sms, push") from None
    member_id = _member_id(uow, external_id)
    member_store.add_consent_events(
        uow.connection,
        [
            {
                "member_id": member_id,
                "channel": contact.value,
                "granted": granted,
                "at": at or datetime.now(UTC),
                "source": source,
            }
        ],
    )
    return get_member(uow, external_id)


def export_member(uow: UnitOfWork, external_id: str) -> dict[str, Any]:
    """Everything the business holds on a member (a data-subject access request)."""
    member = get_member(uow, external_id)
    member_id = _member_id(uow, external_id)
    history = member_store.consent_history(uow.connection, member_id)
    bought = uow.connection.execute(
        purchases.select()
        .where(purchases.c.member_id == member_id)
        .order_by(purchases.c.occurred_at)
    ).mappings()
    return {
        "member": member,
        "consent_history": [
            {"channel": h["channel"], "granted": h["granted"], "at": h["at"], "source": h["source"]}
            for h in history
        ],
        "purchases": [
            {
                "purchase_id": p["external_id"],
                "occurred_at": p["occurred_at"],
                "kind": p["kind"],
                "channel": p["channel"],
                "total_amount": p["total_amount"],
                "lines": [
                    {"line_no": ln["line_no"], "quantity": ln["quantity"], "amount": ln["amount"]}
                    for ln in purchase_store.lines_of(uow.connection, p["id"])
                ],
            }
            for p in bought
        ],
    }


def erase_member(uow: UnitOfWork, external_id: str) -> None:
    """Erase personal data on request; purchase history stays for the business's books."""
    member_store.erase(uow.connection, _member_id(uow, external_id))


def list_members(uow: UnitOfWork, after: str | None, limit: int) -> dict[str, Any]:
    """A page of members after the member with external id ``after`` (keyset pagination)."""
    after_id = 0
    if after is not None:
        after_id = _member_id(uow, after)
    rows = member_store.page(uow.connection, after_id, limit)
    items = [
        {"member_id": r["external_id"], **{f: r[f] for f in member_store.MEMBER_FIELDS}}
        for r in rows
    ]
    return {"members": items, "next": items[-1]["member_id"] if len(items) == limit else None}
