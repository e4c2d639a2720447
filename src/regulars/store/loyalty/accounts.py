"""Members' accounts in loyalty programs: cached balances, stamps, tier — and their locks.

:func:`lock`, :func:`lock_member` and :func:`lock_many` take the account's write lock (see
the package doc) and return an :class:`Account` whose counters the caller changes in memory
and a :class:`~regulars.store.loyalty.writer.Writer` writes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.rows import dict_row
from sqlalchemy import (
    BigInteger,
    Connection,
    RowMapping,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from regulars.domain.times import as_utc
from regulars.store import bulk
from regulars.store.dialect import is_postgres, upsert_insert
from regulars.store.erasure import erased_among
from regulars.store.tables import loyalty_accounts, loyalty_programs, members

if TYPE_CHECKING:
    from regulars.store.loyalty.writer import Writer


@dataclass
class Account:
    """A member's account in one program, as read under its lock. Changes to the cached
    counters are kept here and written by :meth:`Writer.flush`."""

    id: int
    member_id: int
    program_id: int
    available: int
    pending: int
    debt: int
    stamps: int
    tier: str | None
    tier_grace_until: datetime | None
    tier_since: datetime | None = None

    def change(self, w: Writer, **deltas: int) -> None:
        for name, delta in deltas.items():
            setattr(self, name, getattr(self, name) + delta)
        w.changed[self.id] = self

    def set_tier(
        self, w: Writer, tier: str | None, since: datetime | None, grace_until: datetime | None
    ) -> None:
        """Move the account to ``tier`` (held since ``since``, in grace until ``grace_until``);
        written with the counters by :meth:`Writer.flush`."""
        self.tier, self.tier_since, self.tier_grace_until = tier, since, grace_until
        w.changed[self.id] = self


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        member_id=row["member_id"],
        program_id=row["program_id"],
        available=row["available"],
        pending=row["pending"],
        debt=row["debt"],
        stamps=row["stamps"],
        tier=row["tier"],
        tier_grace_until=as_utc(row["tier_grace_until"]),
        tier_since=as_utc(row["tier_since"]),
    )


def member_id(connection: Connection, external_id: str) -> int | None:
    """The member's id, or None when no member has this external id."""
    if is_postgres(connection):  # the till asks before every sale: a fixed, prepared text
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SELECT id FROM members WHERE external_id = %s", (external_id,))
            row = cursor.fetchone()
        return None if row is None else int(row[0])
    found = connection.execute(
        select(members.c.id).where(members.c.external_id == external_id)
    ).scalar()
    return None if found is None else int(found)


def find_account(connection: Connection, member_id: int, program_id: int) -> RowMapping | None:
    return (
        connection.execute(
            select(loyalty_accounts).where(
                loyalty_accounts.c.member_id == member_id,
                loyalty_accounts.c.program_id == program_id,
            )
        )
        .mappings()
        .first()
    )


_MEMBER_ACCOUNTS = """
SELECT a.*, p.code AS program FROM loyalty_accounts a
JOIN loyalty_programs p ON p.id = a.program_id
WHERE a.member_id = %s ORDER BY a.program_id
"""


def member_accounts(connection: Connection, member_id: int) -> list[Any]:
    """The member's accounts (with their program's code), by program."""
    if is_postgres(connection):
        raw = connection.connection.driver_connection
        with raw.cursor(row_factory=dict_row) as cursor:  # type: ignore[union-attr]
            cursor.execute(_MEMBER_ACCOUNTS, (member_id,))
            return list(cursor.fetchall())
    return list(
        connection.execute(
            select(loyalty_accounts, loyalty_programs.c.code.label("program"))
            .join(loyalty_programs, loyalty_programs.c.id == loyalty_accounts.c.program_id)
            .where(loyalty_accounts.c.member_id == member_id)
            .order_by(loyalty_accounts.c.program_id)
        ).mappings()
    )


def ensure_account(connection: Connection, member_id: int, program_id: int, now: datetime) -> int:
    """The id of the member's account in the program, created on first use."""
    found = connection.execute(
        select(loyalty_accounts.c.id).where(
            loyalty_accounts.c.member_id == member_id,
            loyalty_accounts.c.program_id == program_id,
        )
    ).scalar()
    if found is not None:
        return int(found)
    connection.execute(
        upsert_insert(connection, loyalty_accounts)
        .values(member_id=member_id, program_id=program_id, created_at=now, updated_at=now)
        .on_conflict_do_nothing()
    )
    return int(
        connection.execute(
            select(loyalty_accounts.c.id).where(
                loyalty_accounts.c.member_id == member_id,
                loyalty_accounts.c.program_id == program_id,
            )
        ).scalar_one()
    )


def lock(connection: Connection, account_id: int, now: datetime) -> Account:
    """Take the account's write lock and return it as it is now (see the package doc)."""
    return _account(
        connection.execute(
            update(loyalty_accounts)
            .where(loyalty_accounts.c.id == account_id)
            .values(updated_at=now)
            .returning(*loyalty_accounts.c)
        )
        .mappings()
        .one()
    )


def _lock_member_row(
    connection: Connection, member_id: int, program_id: int, now: datetime
) -> RowMapping | None:
    """:func:`lock` by member and program; None when the account does not exist."""
    return (
        connection.execute(
            update(loyalty_accounts)
            .where(
                loyalty_accounts.c.member_id == member_id,
                loyalty_accounts.c.program_id == program_id,
            )
            .values(updated_at=now)
            .returning(*loyalty_accounts.c)
        )
        .mappings()
        .first()
    )


def lock_member(connection: Connection, member_id: int, program_id: int, now: datetime) -> Account:
    """Lock the member's account in the program, opening it on first use."""
    row = _lock_member_row(connection, member_id, program_id, now)
    if row is None:
        ensure_account(connection, member_id, program_id, now)
        row = _lock_member_row(connection, member_id, program_id, now)
    return _account(row)


def lock_many(
    connection: Connection, pairs: Iterable[tuple[int, int]], now: datetime
) -> dict[tuple[int, int], Account]:
    """Lock the accounts of ``(member_id, program_id)`` pairs, opening missing ones, in
    ascending account id order — the one lock order every transaction follows."""
    rows = _lock_rows(connection, set(pairs), now)
    return {(a.member_id, a.program_id): a for a in map(_account, rows)}


_LOCK_WITH_MEMBERS = """
SELECT a.id, a.member_id, a.program_id, a.available, a.pending, a.debt, a.stamps, a.tier,
       a.tier_grace_until, a.tier_since, m.erased_at
FROM loyalty_accounts a
JOIN unnest(%s::bigint[], %s::bigint[]) AS w(m, p) ON a.member_id = w.m AND a.program_id = w.p
JOIN members m ON m.id = a.member_id
ORDER BY a.id
FOR UPDATE OF a
"""


def lock_owners(
    connection: Connection, pairs: Iterable[tuple[int, int]], now: datetime
) -> tuple[dict[tuple[int, int], Account], set[int]]:
    """:func:`lock_many` for the accounts of members who may earn and spend: returns the
    locked accounts and the members among ``pairs`` who were erased (whose accounts rest,
    and are left out). On PostgreSQL, when every account exists (the steady state), one
    statement of fixed text locks them and tells the erased apart."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}, set()
    if is_postgres(connection):
        raw = connection.connection.driver_connection
        with raw.cursor(row_factory=dict_row) as cursor:  # type: ignore[union-attr]
            cursor.execute(_LOCK_WITH_MEMBERS, ([m for m, _ in wanted], [p for _, p in wanted]))
            rows = cursor.fetchall()
        if len(rows) == len(wanted):
            erased = {int(r["member_id"]) for r in rows if r["erased_at"] is not None}
            accounts = [_account(r) for r in rows if int(r["member_id"]) not in erased]
            return {(a.member_id, a.program_id): a for a in accounts}, erased
    erased = erased_among(connection, [m for m, _ in wanted])
    return lock_many(connection, [pair for pair in wanted if pair[0] not in erased], now), erased


def _lock_rows(
    connection: Connection, pairs: set[tuple[int, int]], now: datetime
) -> list[RowMapping]:
    """Open any missing accounts of ``(member_id, program_id)`` pairs, then lock them all in
    ascending id order (``SELECT … ORDER BY id FOR UPDATE`` on PostgreSQL; on SQLite the
    insert has opened the write transaction, which holds the database's write lock)."""
    if not pairs:
        return []
    if is_postgres(connection):  # steady state: the accounts exist
        rows = _select_for_update(connection, pairs)
        if len(rows) == len(pairs):
            return rows
    ordered = sorted(pairs)
    bulk.insert_ignoring_conflicts(
        connection,
        loyalty_accounts,
        {
            "member_id": [m for m, _ in ordered],
            "program_id": [p for _, p in ordered],
            "created_at": [now] * len(ordered),
            "updated_at": [now] * len(ordered),
        },
    )
    return _select_for_update(connection, pairs)


def _select_for_update(connection: Connection, pairs: set[tuple[int, int]]) -> list[RowMapping]:
    ordered = sorted(pairs)
    if is_postgres(connection):  # one statement text for any number of pairs
        wanted = select(
            func.unnest(bindparam("members", type_=postgresql.ARRAY(BigInteger))).label("m"),
            func.unnest(bindparam("programs", type_=postgresql.ARRAY(BigInteger))).label("p"),
        ).subquery()
        return list(
            connection.execute(
                select(loyalty_accounts)
                .join(
                    wanted,
                    and_(
                        loyalty_accounts.c.member_id == wanted.c.m,
                        loyalty_accounts.c.program_id == wanted.c.p,
                    ),
                )
                .order_by(loyalty_accounts.c.id)
                .with_for_update(of=loyalty_accounts),
                {"members": [m for m, _ in ordered], "programs": [p for _, p in ordered]},
            ).mappings()
        )
    by_program: dict[int, list[int]] = {}
    for member, program in ordered:
        by_program.setdefault(program, []).append(member)
    condition = or_(
        *(
            and_(loyalty_accounts.c.program_id == p, loyalty_accounts.c.member_id.in_(ms))
            for p, ms in by_program.items()
        )
    )
    return list(
        connection.execute(
            select(loyalty_accounts).where(condition).order_by(loyalty_accounts.c.id)
        ).mappings()
    )


def programs_of(connection: Connection, account_ids: list[int]) -> dict[int, int]:
    """Account id -> program id, in one query."""
    rows = connection.execute(
        select(loyalty_accounts.c.id, loyalty_accounts.c.program_id).where(
            bulk.among(connection, loyalty_accounts.c.id, account_ids)
        )
    )
    return {int(a): int(p) for a, p in rows}


def set_tier(
    connection: Connection,
    account_id: int,
    tier: str | None,
    grace_until: datetime | None,
    since: datetime | None,
) -> None:
    values: dict[str, Any] = {"tier": tier, "tier_grace_until": grace_until}
    if since is not None:
        values["tier_since"] = since
    connection.execute(
        update(loyalty_accounts).where(loyalty_accounts.c.id == account_id).values(**values)
    )


def tiers_of(
    connection: Connection, program_id: int
) -> dict[int, tuple[str | None, datetime | None]]:
    """Member id -> (tier, end of the grace period) of every account in the program."""
    return {
        int(m): (t, as_utc(g))
        for m, t, g in connection.execute(
            select(
                loyalty_accounts.c.member_id,
                loyalty_accounts.c.tier,
                loyalty_accounts.c.tier_grace_until,
            ).where(loyalty_accounts.c.program_id == program_id)
        )
    }


def program_accounts(connection: Connection, program_id: int) -> list[RowMapping]:
    """Every account of a program with its member's external id (for jobs and overviews)."""
    return list(
        connection.execute(
            select(
                members.c.external_id.label("member"),
                loyalty_accounts.c.available,
                loyalty_accounts.c.pending,
                loyalty_accounts.c.debt,
                loyalty_accounts.c.stamps,
                loyalty_accounts.c.tier,
            )
            .join(members, members.c.id == loyalty_accounts.c.member_id)
            .where(loyalty_accounts.c.program_id == program_id)
            .order_by(loyalty_accounts.c.id)
        ).mappings()
    )
