"""The points ledger in tables: programs, accounts, transactions, entries, lots, rewards.

Concurrency rule (the one thing to know): every change to a member's points first takes
the lock on their account row with :func:`lock_account` — an ``UPDATE … RETURNING`` that is
a row lock on PostgreSQL (later writers wait, then read the committed row) and, on SQLite,
the statement that opens the write transaction (pysqlite starts it right before the first
write, so the busy timeout makes other writers wait instead of failing). Lots, entries and
cached balances of an account are only written while that lock is held, and one transaction
never holds two account locks except in a fixed order (see ``services.loyalty_accrual``), so
no deadlock and no serialisation failure can reach a caller, and the same balance is never
spent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Row,
    RowMapping,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from regulars.domain.loyalty.ledger import Lot
from regulars.store import bulk
from regulars.store.dialect import upsert_insert
from regulars.store.tables import (
    ledger_transactions,
    loyalty_accounts,
    loyalty_program_versions,
    loyalty_programs,
    loyalty_rewards,
    members,
    points_lots,
    purchase_accruals,
    purchases,
)

# --- programs ---------------------------------------------------------------------------


def save_program(
    connection: Connection,
    code: str,
    name: str,
    kind: str,
    definition: str,
    budget: int | None,
    now: datetime,
) -> tuple[int, int, bool]:
    """Store a definition as the program's next version; return (id, version, changed).

    The same definition as the current one is not a new version.
    """
    row = (
        connection.execute(select(loyalty_programs).where(loyalty_programs.c.code == code))
        .mappings()
        .first()
    )
    if row is None:
        program_id = connection.execute(
            insert(loyalty_programs)
            .values(
                code=code,
                name=name,
                kind=kind,
                version=1,
                definition=definition,
                active=True,
                budget=budget,
                issued=0,
                created_at=now,
                updated_at=now,
            )
            .returning(loyalty_programs.c.id)
        ).scalar_one()
        version = 1
    else:
        program_id = row["id"]
        if row["definition"] == definition and row["active"]:
            return program_id, row["version"], False
        version = row["version"] + 1
        connection.execute(
            update(loyalty_programs)
            .where(loyalty_programs.c.id == program_id)
            .values(
                name=name,
                kind=kind,
                version=version,
                definition=definition,
                active=True,
                budget=budget,
                updated_at=now,
            )
        )
    connection.execute(
        insert(loyalty_program_versions).values(
            program_id=program_id, version=version, definition=definition, created_at=now
        )
    )
    return program_id, version, True


def programs(connection: Connection, active_only: bool = True) -> list[RowMapping]:
    query = select(loyalty_programs).order_by(loyalty_programs.c.id)
    if active_only:
        query = query.where(loyalty_programs.c.active.is_(True))
    return list(connection.execute(query).mappings())


def set_active(connection: Connection, code: str, active: bool, now: datetime) -> int:
    return connection.execute(
        update(loyalty_programs)
        .where(loyalty_programs.c.code == code)
        .values(active=active, updated_at=now)
    ).rowcount


def take_budget(connection: Connection, program_id: int, points: int) -> int:
    """Reserve up to ``points`` of a budgeted program's budget; return what was granted.

    Locks the program row (taken after the account lock, never before)."""
    row = connection.execute(
        update(loyalty_programs)
        .where(loyalty_programs.c.id == program_id)
        .values(issued=loyalty_programs.c.issued)
        .returning(loyalty_programs.c.issued, loyalty_programs.c.budget)
    ).one()
    if row.budget is None:
        return points
    granted = max(0, min(points, int(row.budget) - int(row.issued)))
    if granted:
        connection.execute(
            update(loyalty_programs)
            .where(loyalty_programs.c.id == program_id)
            .values(issued=loyalty_programs.c.issued + granted)
        )
    return granted


# --- accounts ---------------------------------------------------------------------------


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


def member_accounts(connection: Connection, member_id: int) -> list[RowMapping]:
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


def lock_account(connection: Connection, account_id: int, now: datetime) -> RowMapping:
    """Take the account's write lock and return its current row (see the module doc)."""
    return (
        connection.execute(
            update(loyalty_accounts)
            .where(loyalty_accounts.c.id == account_id)
            .values(updated_at=now)
            .returning(*loyalty_accounts.c)
        )
        .mappings()
        .one()
    )


def lock_member_account(
    connection: Connection, member_id: int, program_id: int, now: datetime
) -> RowMapping | None:
    """:func:`lock_account` by member and program; None when the account does not exist."""
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


def lock_accounts(
    connection: Connection, pairs: set[tuple[int, int]], now: datetime
) -> list[RowMapping]:
    """Open any missing accounts of ``(member_id, program_id)`` pairs, then lock them all in
    ascending id order (``SELECT … ORDER BY id FOR UPDATE`` on PostgreSQL; on SQLite the
    insert has opened the write transaction, which holds the database's write lock)."""
    if not pairs:
        return []
    if connection.dialect.name == "postgresql":  # steady state: the accounts exist
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
    if connection.dialect.name == "postgresql":  # one statement text for any number of pairs
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


# --- transactions, entries, lots ---------------------------------------------------------


def transaction_by_key(connection: Connection, source_key: str) -> RowMapping | None:
    return (
        connection.execute(
            select(ledger_transactions).where(ledger_transactions.c.source_key == source_key)
        )
        .mappings()
        .first()
    )


def set_detail(connection: Connection, transaction_id: int, detail: str) -> None:
    connection.execute(
        update(ledger_transactions)
        .where(ledger_transactions.c.id == transaction_id)
        .values(detail=detail)
    )


def _lot(row: Any) -> Lot:
    return Lot(
        id=row.id,
        points=row.points,
        remaining=row.remaining,
        awarded_at=row.awarded_at,
        release_at=row.release_at,
        expires_at=row.expires_at,
        released=row.released,
        closed=row.closed,
    )


def open_lots(connection: Connection, account_id: int) -> list[Lot]:
    """The account's lots that still hold points (pending or open)."""
    rows = connection.execute(
        select(points_lots).where(
            points_lots.c.account_id == account_id,
            points_lots.c.closed.is_(False),
            points_lots.c.remaining > 0,
        )
    )
    return [_aware(_lot(r)) for r in rows]


def purchase_lots(connection: Connection, account_id: int, purchase_id: int) -> list[Lot]:
    rows = connection.execute(
        select(points_lots).where(
            points_lots.c.account_id == account_id, points_lots.c.purchase_id == purchase_id
        )
    )
    return [_aware(_lot(r)) for r in rows]


def _aware(lot: Lot) -> Lot:
    """SQLite returns naive datetimes; the store is UTC."""

    def fix(value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    lot.awarded_at = fix(lot.awarded_at) or lot.awarded_at
    lot.release_at = fix(lot.release_at) or lot.release_at
    lot.expires_at = fix(lot.expires_at)
    return lot


def draw_lots(connection: Connection, draws: Sequence[tuple[int, int]]) -> None:
    """Take ``points`` from each ``(lot_id, points)``; the CHECK keeps remaining >= 0."""
    for lot_id, points in draws:
        connection.execute(
            update(points_lots)
            .where(points_lots.c.id == lot_id)
            .values(remaining=points_lots.c.remaining - points)
        )


def lots_due(
    connection: Connection, *, release: bool, now: datetime, limit: int, after: int = 0
) -> list[int]:
    """Accounts (ids above ``after``, ascending, at most ``limit``) with lots due for release
    (or, ``release=False``, for expiry)."""
    if release:
        condition = and_(points_lots.c.released.is_(False), points_lots.c.release_at <= now)
    else:
        condition = and_(
            points_lots.c.released.is_(True),
            points_lots.c.closed.is_(False),
            points_lots.c.expires_at <= now,
        )
    rows = connection.execute(
        select(points_lots.c.account_id)
        .where(condition, points_lots.c.account_id > after)
        .group_by(points_lots.c.account_id)
        .order_by(points_lots.c.account_id)
        .limit(limit)
    )
    return [int(r[0]) for r in rows]


def account_lots(connection: Connection, account_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(points_lots)
            .where(points_lots.c.account_id == account_id)
            .order_by(points_lots.c.id)
        ).mappings()
    )


def account_history(connection: Connection, account_id: int, limit: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(ledger_transactions)
            .where(ledger_transactions.c.account_id == account_id)
            .order_by(ledger_transactions.c.id.desc())
            .limit(limit)
        ).mappings()
    )


# --- rewards and accruals ---------------------------------------------------------------


def reward(connection: Connection, code: str) -> RowMapping | None:
    return (
        connection.execute(select(loyalty_rewards).where(loyalty_rewards.c.code == code))
        .mappings()
        .first()
    )


def account_rewards(connection: Connection, account_id: int) -> list[RowMapping]:
    return list(
        connection.execute(
            select(loyalty_rewards)
            .where(loyalty_rewards.c.account_id == account_id)
            .order_by(loyalty_rewards.c.id)
        ).mappings()
    )


def claim_accruals(connection: Connection, purchase_ids: list[int], now: datetime) -> list[int]:
    """Mark purchases as accrued; return those that were not yet, in the given order."""
    if not purchase_ids:
        return []
    claimed = set(
        connection.execute(
            upsert_insert(connection, purchase_accruals)
            .values([{"purchase_id": i, "accrued_at": now} for i in purchase_ids])
            .on_conflict_do_nothing()
            .returning(purchase_accruals.c.purchase_id)
        ).scalars()
    )
    return [i for i in purchase_ids if i in claimed]


def claim_purchases(
    connection: Connection, purchase_ids: list[int], now: datetime
) -> list[Row[Any]]:
    """:func:`claim_accruals`, returning the claimed purchases' rows (any order): on
    PostgreSQL in one statement of the same text for any number of purchases."""
    if not purchase_ids:
        return []
    if connection.dialect.name != "postgresql":
        claimed = claim_accruals(connection, purchase_ids, now)
        if not claimed:
            return []
        return list(connection.execute(select(purchases).where(purchases.c.id.in_(claimed))))
    claim = (
        postgresql.insert(purchase_accruals)
        .from_select(
            ["purchase_id", "accrued_at"],
            select(
                func.unnest(bindparam("ids", type_=postgresql.ARRAY(BigInteger))),
                bindparam("now", type_=DateTime(timezone=True)),
            ),
        )
        .on_conflict_do_nothing()
        .returning(purchase_accruals.c.purchase_id)
        .cte("claimed")
    )
    return list(
        connection.execute(
            select(purchases).join(claim, claim.c.purchase_id == purchases.c.id),
            {"ids": purchase_ids, "now": now},
        )
    )


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


def points_by_kind(connection: Connection, program_id: int) -> dict[str, int]:
    """Points moved per transaction kind (earn, redeem, expire, reverse, …) in a program."""
    rows = connection.execute(
        select(ledger_transactions.c.kind, func.sum(ledger_transactions.c.points))
        .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
        .where(loyalty_accounts.c.program_id == program_id)
        .group_by(ledger_transactions.c.kind)
    )
    return {str(kind): int(points or 0) for kind, points in rows}


def rewards_by_state(connection: Connection, program_id: int) -> dict[str, int]:
    """Vouchers of a program counted by state (issued, redeemed, expired, void)."""
    rows = connection.execute(
        select(loyalty_rewards.c.state, func.count())
        .join(loyalty_accounts, loyalty_accounts.c.id == loyalty_rewards.c.account_id)
        .where(loyalty_accounts.c.program_id == program_id)
        .group_by(loyalty_rewards.c.state)
    )
    return {str(state): int(count) for state, count in rows}
