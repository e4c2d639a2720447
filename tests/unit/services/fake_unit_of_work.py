"""An in-memory unit of work: the use cases of :mod:`regulars.services.unit_of_work` run on it
without a database.

Each repository keeps plain dicts and behaves like the store's for what the use cases rely
on (one key per prefix, a revocation keeps its first time, members upserted by external id,
consent state = the latest event by time, times handed back in UTC, a remembered answer
stays the first one). ``rollback`` (and leaving the ``with`` block) returns to the last
``commit``, as a real transaction does; ``committed`` says whether anything committed.
``tests/integration/services/test_fake_matches_store.py`` runs the same checks on this fake
and on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any

from regulars.domain.members import email_key, phone_key
from regulars.domain.times import as_utc
from regulars.store.api_keys import StoredApiKey
from regulars.store.erasure import new_pseudonym
from regulars.store.idempotency import RememberedAnswer
from regulars.store.members import MEMBER_FIELDS

PERSONAL_FIELDS = (
    "name",
    "email",
    "phone",
    "birth_date",
    "region",
    "signup_date",
    "acquisition_channel",
    "card_id",
)
HOLDINGS = (
    "loyalty_accounts",
    "ledger",
    "lots",
    "vouchers",
    "referrals",
    "survey_invitations",
    "survey_answers",
    "feedback_cases",
    "messages",
    "scores",
)


class FakeApiKeys:
    def __init__(self) -> None:
        self.rows: dict[int, StoredApiKey] = {}

    def add(
        self,
        *,
        name: str,
        prefix: str,
        secret_hash: bytes,
        salt: bytes,
        scopes: str,
        created_at: datetime,
    ) -> int:
        if self.by_prefix(prefix) is not None:
            raise ValueError(f"prefix {prefix!r} is taken (a unique constraint in the store)")
        key_id = max(self.rows, default=0) + 1
        self.rows[key_id] = StoredApiKey(
            key_id, name, prefix, secret_hash, salt, scopes, as_utc(created_at), None
        )
        return key_id

    def by_prefix(self, prefix: str) -> StoredApiKey | None:
        return next((k for k in self.rows.values() if k.prefix == prefix), None)

    def revoke(self, key_id: int, at: datetime) -> None:
        stored = self.rows.get(key_id)
        if stored is not None and stored.revoked_at is None:
            self.rows[key_id] = replace(stored, revoked_at=as_utc(at))

    def all(self) -> list[StoredApiKey]:
        return [self.rows[i] for i in sorted(self.rows)]


class FakeMembers:
    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.consents: list[dict[str, Any]] = []
        self.purchases: dict[int, list[dict[str, Any]]] = {}
        self.erased: set[str] = set()

    def upsert(self, rows: Sequence[dict[str, Any]], now: datetime) -> tuple[int, int]:
        stored = {r["external_id"]: r for r in self.rows.values()}
        new = [r for r in rows if r["external_id"] not in stored]
        changed = [
            r
            for r in rows
            if r["external_id"] in stored
            and _fields(stored[r["external_id"]]) != _fields(r)  # identical rows change nothing
        ]
        for row in new:
            if self.get(row["external_id"]) is None:  # ON CONFLICT DO NOTHING
                member_id = max(self.rows, default=0) + 1
                self.rows[member_id] = {
                    "id": member_id,
                    "external_id": row["external_id"],
                    **{f: row.get(f) for f in MEMBER_FIELDS},
                    "created_at": as_utc(now),
                    "updated_at": as_utc(now),
                    "erased_at": None,
                }
        for row in changed:
            stored[row["external_id"]].update(
                {**{f: row[f] for f in MEMBER_FIELDS}, "updated_at": as_utc(now)}
            )
        return len(new), len(changed)

    def ids_by_external_id(self, external_ids: Iterable[str]) -> dict[str, int]:
        ids = {r["external_id"]: r["id"] for r in self.rows.values()}
        return {e: ids[e] for e in external_ids if e in ids}

    def get(self, external_id: str) -> dict[str, Any] | None:
        row = next((r for r in self.rows.values() if r["external_id"] == external_id), None)
        return None if row is None else dict(row)

    def find(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        card: str | None = None,
        external_id: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        wanted = [
            (phone_key, "phone", phone),
            (email_key, "email", email),
            (lambda v: v, "card_id", card),
            (lambda v: v, "external_id", external_id),
        ]
        found = [
            dict(self.rows[i])
            for i in sorted(self.rows)
            if self.rows[i]["erased_at"] is None
            and all(
                value is None or key(self.rows[i].get(field)) == value
                for key, field, value in wanted
            )
        ]
        return found[:limit]

    def card_holders(self, cards: Iterable[str]) -> dict[str, str]:
        wanted = set(cards)
        return {
            r["card_id"]: r["external_id"] for r in self.rows.values() if r.get("card_id") in wanted
        }

    def page(self, after_id: int, limit: int) -> list[dict[str, Any]]:
        return [dict(self.rows[i]) for i in sorted(self.rows) if i > after_id][:limit]

    def consent_state(self, member_ids: Iterable[int]) -> dict[tuple[int, str], bool]:
        wanted = set(member_ids)
        state: dict[tuple[int, str], bool] = {}
        for event in self._in_order(e for e in self.consents if e["member_id"] in wanted):
            state[(event["member_id"], event["channel"])] = bool(event["granted"])
        return state

    def consent_history(self, member_id: int) -> list[dict[str, Any]]:
        return [
            dict(e) for e in self._in_order(e for e in self.consents if e["member_id"] == member_id)
        ]

    def add_consent_events(self, events: Sequence[dict[str, Any]]) -> None:
        for event in events:
            if event["member_id"] not in self.rows:
                raise ValueError("no such member (a foreign key in the store)")
            event_id = len(self.consents) + 1
            self.consents.append({**event, "id": event_id, "at": as_utc(event["at"])})

    def erase(self, member_id: int, now: datetime) -> str | None:
        row = self.rows.get(member_id)
        if row is None:
            return None
        if row["erased_at"] is None:
            self.erased.add(row["external_id"])
            row["external_id"] = new_pseudonym()
        row.update(dict.fromkeys(PERSONAL_FIELDS))
        row.update(erased_at=as_utc(now), updated_at=as_utc(now))
        self.consents = [e for e in self.consents if e["member_id"] != member_id]
        return str(row["external_id"])

    def holdings(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        """The fake holds no loyalty, feedback or messages: every section is empty."""
        return {section: [] for section in HOLDINGS}

    def erased_ids(self, external_ids: Iterable[str]) -> set[str]:
        return set(external_ids) & self.erased

    def forget_erased(self, external_ids: Iterable[str]) -> None:
        self.erased -= set(external_ids)

    def purchases_of(self, member_id: int) -> list[dict[str, Any]]:
        return copy.deepcopy(
            sorted(self.purchases.get(member_id, []), key=lambda p: p["occurred_at"])
        )

    def add_purchase(self, member_id: int, purchase: dict[str, Any]) -> None:
        """Test set-up only: a purchase as :meth:`purchases_of` returns it."""
        self.purchases.setdefault(member_id, []).append(
            {**purchase, "occurred_at": as_utc(purchase["occurred_at"])}
        )

    @staticmethod
    def _in_order(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(events, key=lambda e: (e["at"], e["id"]))


class FakeIdempotencyKeys:
    def __init__(self, unit: FakeUnitOfWork) -> None:
        self.answers: dict[tuple[str, int], RememberedAnswer] = {}
        self._unit = unit

    def find(self, key: str, api_key_id: int) -> RememberedAnswer | None:
        return self.answers.get((key, api_key_id))

    def find_committed(self, key: str, api_key_id: int) -> RememberedAnswer | None:
        committed: dict[tuple[str, int], RememberedAnswer] = self._unit.committed_state[
            "idempotency"
        ]
        return committed.get((key, api_key_id))

    def remember(
        self,
        key: str,
        api_key_id: int,
        *,
        method: str,
        path: str,
        request_hash: str,
        status_code: int,
        response_body: str,
        at: datetime,
    ) -> bool:
        if (key, api_key_id) in self.answers:
            return False
        self.answers[(key, api_key_id)] = RememberedAnswer(request_hash, status_code, response_body)
        return True


class FakeUnitOfWork:
    """Satisfies :class:`regulars.services.unit_of_work.UnitOfWork`, in memory."""

    def __init__(self) -> None:
        self.api_keys = FakeApiKeys()
        self.members = FakeMembers()
        self.idempotency = FakeIdempotencyKeys(self)
        self.committed = False
        self.committed_state = self._state()

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self.committed = True
        self.committed_state = self._state()

    def rollback(self) -> None:
        state = copy.deepcopy(self.committed_state)
        self.api_keys.rows = state["api_keys"]
        self.members.rows = state["members"]
        self.members.consents = state["consents"]
        self.members.purchases = state["purchases"]
        self.members.erased = state["erased"]
        self.idempotency.answers = state["idempotency"]

    def _state(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "api_keys": self.api_keys.rows,
                "members": self.members.rows,
                "consents": self.members.consents,
                "purchases": self.members.purchases,
                "erased": self.members.erased,
                "idempotency": self.idempotency.answers,
            }
        )


def _fields(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(f) for f in MEMBER_FIELDS)
