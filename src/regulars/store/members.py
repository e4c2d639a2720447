"""Members and their consent history.

Module functions take the connection (the import path calls them in bulk); :class:`Members`
binds them to one connection as the repository ``uow.members`` the member use cases use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select, update

from regulars.domain.members import email_key, phone_key
from regulars.domain.times import as_utc
from regulars.store import erasure, member_names
from regulars.store.bulk import ids_by_key
from regulars.store.dialect import upsert_insert
from regulars.store.reads.member_export import holdings
from regulars.store.tables import member_consents, members, products, purchase_lines, purchases

MEMBER_FIELDS = (
    "name",
    "email",
    "phone",
    "birth_date",
    "locale",
    "segment",
    "region",
    "signup_date",
    "acquisition_channel",
    "acquisition_cost",
    "card_id",
)


def ids_by_external_id(connection: Connection, external_ids: Iterable[str]) -> dict[str, int]:
    return ids_by_key(connection, members, "external_id", external_ids)


def upsert(
    connection: Connection, rows: Sequence[dict[str, Any]], now: datetime
) -> tuple[int, int]:
    """Insert new members and update changed ones; return ``(added, updated)``.

    A row identical to what is stored changes nothing, so re-importing a file is a no-op.
    Each row holds ``external_id`` and the :data:`MEMBER_FIELDS`.
    """
    stored = _stored_fields(connection, [r["external_id"] for r in rows])
    new = [r for r in rows if r["external_id"] not in stored]
    changed = [
        r for r in rows if r["external_id"] in stored and stored[r["external_id"]] != _fields(r)
    ]
    if new:
        statement = upsert_insert(connection, members).on_conflict_do_nothing(
            index_elements=[members.c.external_id]
        )
        connection.execute(
            statement,
            [{**r, **_lookup_keys(r), "created_at": now, "updated_at": now} for r in new],
        )
    if changed:
        connection.execute(
            update(members).where(members.c.external_id == bindparam("_external_id")),
            [
                {
                    **{f: r[f] for f in MEMBER_FIELDS},
                    **_lookup_keys(r),
                    "_external_id": r["external_id"],
                    "updated_at": now,
                }
                for r in changed
            ],
        )
    renamed = [r for r in changed if r["name"] != stored[r["external_id"]][0]]
    member_names.index_names(
        connection, [(r["external_id"], r["name"]) for r in (*new, *renamed) if r["external_id"]]
    )
    return len(new), len(changed)


def _lookup_keys(row: dict[str, Any]) -> dict[str, str | None]:
    """The columns a member is looked up by, derived from the row's phone and e-mail."""
    return {"phone_key": phone_key(row.get("phone")), "email_key": email_key(row.get("email"))}


def _fields(row: dict[str, Any] | RowMapping) -> tuple[Any, ...]:
    return tuple(row[f] for f in MEMBER_FIELDS)


def _stored_fields(connection: Connection, external_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    stored: dict[str, tuple[Any, ...]] = {}
    wanted = sorted(set(external_ids))
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        query = select(members.c.external_id, *[members.c[f] for f in MEMBER_FIELDS]).where(
            members.c.external_id.in_(chunk)
        )
        for row in connection.execute(query).mappings():
            stored[row["external_id"]] = _fields(row)
    return stored


def get(connection: Connection, external_id: str) -> RowMapping | None:
    return (
        connection.execute(select(members).where(members.c.external_id == external_id))
        .mappings()
        .first()
    )


def find(
    connection: Connection,
    *,
    phone: str | None = None,
    email: str | None = None,
    card: str | None = None,
    external_id: str | None = None,
    limit: int = 20,
) -> list[RowMapping]:
    """Members (not erased) matching every criterion given, by id: ``phone`` and ``email``
    in their lookup form (``domain.members.phone_key`` / ``email_key``), ``card`` as
    ``card_key`` stores it. Each criterion is an indexed equality."""
    query = select(members).where(members.c.erased_at.is_(None))
    for column, value in (
        (members.c.phone_key, phone),
        (members.c.email_key, email),
        (members.c.card_id, card),
        (members.c.external_id, external_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return list(connection.execute(query.order_by(members.c.id).limit(limit)).mappings())


def card_holders(connection: Connection, cards: Iterable[str]) -> dict[str, str]:
    """The member (external id) holding each of these card numbers, for those held."""
    wanted = sorted({c for c in cards if c})
    held: dict[str, str] = {}
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        query = select(members.c.card_id, members.c.external_id).where(members.c.card_id.in_(chunk))
        held.update({str(card): str(member) for card, member in connection.execute(query)})
    return held


def page(connection: Connection, after_id: int, limit: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(members).where(members.c.id > after_id).order_by(members.c.id).limit(limit)
        ).mappings()
    )


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(members)).scalar_one())


def consent_state(connection: Connection, member_ids: Iterable[int]) -> dict[tuple[int, str], bool]:
    """The consent in force for each (member, channel) that has any history."""
    wanted = sorted(set(member_ids))
    state: dict[tuple[int, str], bool] = {}
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        rows = connection.execute(
            select(
                member_consents.c.member_id, member_consents.c.channel, member_consents.c.granted
            )
            .where(member_consents.c.member_id.in_(chunk))
            .order_by(member_consents.c.at, member_consents.c.id)
        )
        for member_id, channel, granted in rows:
            state[(int(member_id), channel)] = bool(granted)
    return state


def consent_history(connection: Connection, member_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(member_consents)
            .where(member_consents.c.member_id == member_id)
            .order_by(member_consents.c.at, member_consents.c.id)
        ).mappings()
    )


def add_consent_events(connection: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Append consent events; ``at`` is stored in UTC (SQLite would drop another offset)."""
    if events:
        connection.execute(member_consents.insert(), [{**e, "at": as_utc(e["at"])} for e in events])


def erase(connection: Connection, member_id: int, now: datetime | None = None) -> str | None:
    """Erase a member's personal data in every table (:mod:`regulars.store.erasure`);
    purchases and the ledger stay, tied to a pseudonym. Return it (None: no such member)."""
    at = datetime.now(UTC) if now is None else as_utc(now)
    return erasure.erase_member(connection, member_id, at)


def purchases_of(connection: Connection, member_id: int) -> list[dict[str, Any]]:
    """A member's purchases, oldest first, each with its lines (one query)."""
    rows = connection.execute(
        select(
            purchases.c.id,
            purchases.c.external_id,
            purchases.c.occurred_at,
            purchases.c.kind,
            purchases.c.channel,
            purchases.c.total_amount,
            purchase_lines.c.line_no,
            products.c.code.label("product"),
            purchase_lines.c.quantity,
            purchase_lines.c.amount,
        )
        .outerjoin(purchase_lines, purchase_lines.c.purchase_id == purchases.c.id)
        .outerjoin(products, products.c.id == purchase_lines.c.product_id)
        .where(purchases.c.member_id == member_id)
        .order_by(purchases.c.occurred_at, purchases.c.id, purchase_lines.c.line_no)
    ).mappings()
    bought: dict[int, dict[str, Any]] = {}
    for row in rows:
        purchase = bought.setdefault(
            row["id"],
            {
                "purchase_id": row["external_id"],
                "occurred_at": as_utc(row["occurred_at"]),
                "kind": row["kind"],
                "channel": row["channel"],
                "total_amount": row["total_amount"],
                "lines": [],
            },
        )
        if row["line_no"] is not None:
            purchase["lines"].append(
                {
                    "line_no": row["line_no"],
                    "product": row["product"],
                    "quantity": row["quantity"],
                    "amount": row["amount"],
                }
            )
    return list(bought.values())


def _member(row: RowMapping) -> dict[str, Any]:
    return {
        **row,
        "created_at": as_utc(row["created_at"]),
        "updated_at": as_utc(row["updated_at"]),
        "erased_at": as_utc(row["erased_at"]),
    }


class Members:
    """The members and their consent, on one connection (``uow.members``).

    Members are found by the business's ``external_id``; the row ``id`` ties consent and
    purchases to them. Rows come back as plain dicts with their times in UTC. ``secret_key``
    (the installation's) keys the digests under which erased ids are remembered.
    """

    def __init__(self, connection: Connection, secret_key: str = "") -> None:
        self.connection = connection
        self.secret_key = secret_key

    def upsert(self, rows: Sequence[dict[str, Any]], now: datetime) -> tuple[int, int]:
        """Insert new members, update changed ones: ``(added, updated)``; see :func:`upsert`."""
        return upsert(self.connection, rows, now)

    def ids_by_external_id(self, external_ids: Iterable[str]) -> dict[str, int]:
        return ids_by_external_id(self.connection, external_ids)

    def get(self, external_id: str) -> dict[str, Any] | None:
        row = get(self.connection, external_id)
        return None if row is None else _member(row)

    def find(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        card: str | None = None,
        external_id: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Members not erased matching every key given (lookup forms), by id."""
        rows = find(
            self.connection,
            phone=phone,
            email=email,
            card=card,
            external_id=external_id,
            limit=limit,
        )
        return [_member(r) for r in rows]

    def card_holders(self, cards: Iterable[str]) -> dict[str, str]:
        """Card number -> the external id of the member holding it."""
        return card_holders(self.connection, cards)

    def page(self, after_id: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` members whose id follows ``after_id``, in id order."""
        return [_member(r) for r in page(self.connection, after_id, limit)]

    def consent_state(self, member_ids: Iterable[int]) -> dict[tuple[int, str], bool]:
        return consent_state(self.connection, member_ids)

    def consent_history(self, member_id: int) -> list[dict[str, Any]]:
        """Every grant and withdrawal, oldest first."""
        return [{**r, "at": as_utc(r["at"])} for r in consent_history(self.connection, member_id)]

    def add_consent_events(self, events: Sequence[dict[str, Any]]) -> None:
        add_consent_events(self.connection, events)

    def erase(self, member_id: int, now: datetime) -> str | None:
        """Erase the member everywhere and remember their old id (as a keyed digest); return
        the pseudonym their row now carries."""
        row = self.connection.execute(
            select(members.c.external_id, members.c.erased_at).where(members.c.id == member_id)
        ).first()
        if row is None:
            return None
        if row.erased_at is None:
            erasure.remember_erased(
                self.connection, [erasure.digest(self.secret_key, row.external_id)]
            )
        return erase(self.connection, member_id, now)

    def erased_ids(self, external_ids: Iterable[str]) -> set[str]:
        """Those of ``external_ids`` that were erased and not enrolled again since."""
        by_digest = {erasure.digest(self.secret_key, e): e for e in external_ids}
        return {by_digest[d] for d in erasure.erased_digests(self.connection, by_digest)}

    def forget_erased(self, external_ids: Iterable[str]) -> None:
        """Free these erased ids: enrolling them now makes new members."""
        erasure.forget_erased(
            self.connection, [erasure.digest(self.secret_key, e) for e in external_ids]
        )

    def purchases_of(self, member_id: int) -> list[dict[str, Any]]:
        return purchases_of(self.connection, member_id)

    def holdings(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything else held on the member, by section (see ``store/reads/member_export``)."""
        return holdings(self.connection, member_id)
