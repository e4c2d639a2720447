"""Scheduled jobs: release pending points, expire points and vouchers, warn before expiry,
evaluate tiers. Each is idempotent (running it twice at the same ``now`` changes nothing the
second time) and works account by account under the account's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select, update

from regulars.domain.loyalty import tiers as tier_rules
from regulars.domain.loyalty.programs import ProgramKind, TierRules
from regulars.services.loyalty import posting
from regulars.services.loyalty.programs import RunningProgram, running, utc
from regulars.store import bulk, outbox
from regulars.store.loyalty import ledger as ledger_store
from regulars.store.tables import (
    ledger_transactions,
    loyalty_accounts,
    loyalty_rewards,
    points_lots,
    purchases,
)
from regulars.store.tables import (
    outbox as outbox_table,
)
from regulars.store.unit_of_work import UnitOfWork


def _programs_by_id(connection: Connection) -> dict[int, RunningProgram]:
    return {rp.id: rp for rp in running(connection)}


def _programs_of(connection: Connection, account_ids: list[int]) -> dict[int, int]:
    """Account id -> program id, in one query."""
    rows = connection.execute(
        select(loyalty_accounts.c.id, loyalty_accounts.c.program_id).where(
            bulk.among(connection, loyalty_accounts.c.id, account_ids)
        )
    )
    return {int(a): int(p) for a, p in rows}


def _due_accounts(
    connection: Connection, *, release: bool, now: datetime, limit: int
) -> Iterator[list[int]]:
    """Every account with lots due, in ascending id order (the lock order), ``limit`` at a
    time; each account once per run, even when its program is no longer active."""
    after = 0
    while True:
        batch = ledger_store.lots_due(
            connection, release=release, now=now, limit=limit, after=after
        )
        if batch:
            yield batch
        if len(batch) < limit:
            return
        after = batch[-1]


def _post_due(
    uow: UnitOfWork,
    now: datetime,
    limit: int,
    *,
    release: bool,
    post: Callable[[posting.Writer, posting.Account, RunningProgram, datetime], int],
) -> int:
    """Lock each account with lots due whose program still runs (ascending ids: the lock
    order) and ``post`` to it, ``limit`` accounts a batch; return what ``post`` returned."""
    connection = uow.connection
    programs = _programs_by_id(connection)
    total = 0
    for accounts in _due_accounts(connection, release=release, now=now, limit=limit):
        w = posting.Writer(connection)
        owner = _programs_of(connection, accounts)
        for account_id in accounts:
            rp = programs.get(owner[account_id])
            if rp is not None:
                total += post(w, posting.lock(connection, account_id, now), rp, now)
        w.flush()
    return total


def release_due(uow: UnitOfWork, now: datetime, limit: int = 1000) -> int:
    """Release points whose return window has passed, in every account; return the points
    released. Accounts are read and written ``limit`` at a time."""
    return _post_due(uow, now, limit, release=True, post=posting.release)


def expire_due(uow: UnitOfWork, now: datetime, limit: int = 1000) -> dict[str, int]:
    """Expire points past their expiry in every account (and vouchers past theirs)."""
    points = _post_due(uow, now, limit, release=False, post=posting.expire)
    connection = uow.connection
    vouchers = connection.execute(
        update(loyalty_rewards)
        .where(loyalty_rewards.c.state == "issued", loyalty_rewards.c.expires_at <= now)
        .values(state="expired")
    ).rowcount
    return {"points": points, "vouchers": vouchers}


def warn_expiring(uow: UnitOfWork, now: datetime, days: int = 30) -> int:
    """Enqueue one ``points.expiring_soon`` per account and expiry day (deduplicated)."""
    connection = uow.connection
    rows = connection.execute(
        select(
            points_lots.c.account_id,
            loyalty_accounts.c.member_id,
            points_lots.c.expires_at,
            func.sum(points_lots.c.remaining),
        )
        .join(loyalty_accounts, loyalty_accounts.c.id == points_lots.c.account_id)
        .where(
            points_lots.c.released.is_(True),
            points_lots.c.closed.is_(False),
            points_lots.c.remaining > 0,
            points_lots.c.expires_at > now,
            points_lots.c.expires_at <= now + timedelta(days=days),
        )
        .group_by(points_lots.c.account_id, loyalty_accounts.c.member_id, points_lots.c.expires_at)
    )
    sent = 0
    for account_id, member, expires, remaining in rows:
        key = f"expiring:{account_id}:{expires:%Y-%m-%dT%H:%M}"
        # Counted by looking first: outbox.enqueue's rowcount is not reliable on psycopg.
        if connection.execute(
            select(outbox_table.c.id).where(outbox_table.c.dedupe_key == key)
        ).first():
            continue
        outbox.enqueue(
            connection,
            posting.POINTS_EXPIRING,
            {"account": account_id, "points": int(remaining), "expires_at": expires},
            member_id=member,
            dedupe_key=key,
            now=now,
        )
        sent += 1
    return sent


def _window_start(now: datetime, months: int) -> datetime:
    index = now.year * 12 + now.month - 1 - months
    return now.replace(year=index // 12, month=index % 12 + 1, day=min(now.day, 28))


def _measures(
    connection: Connection, rp: RunningProgram, rules: TierRules, now: datetime
) -> dict[int, int]:
    """Each member's qualifying measure over the rolling window."""
    since = _window_start(now, rules.window_months)
    if rules.measure == "points":
        query: Any = (
            select(loyalty_accounts.c.member_id, func.sum(ledger_transactions.c.points))
            .join(loyalty_accounts, loyalty_accounts.c.id == ledger_transactions.c.account_id)
            .where(
                loyalty_accounts.c.program_id == rp.id,
                ledger_transactions.c.kind == "earn",
                ledger_transactions.c.occurred_at > since,
                ledger_transactions.c.occurred_at <= now,
            )
            .group_by(loyalty_accounts.c.member_id)
        )
    else:
        value = (
            func.sum(purchases.c.total_amount)
            if rules.measure == "spend"
            else func.sum(case((purchases.c.kind == "sale", 1), else_=-1))
        )
        query = (
            select(purchases.c.member_id, value)
            .where(
                purchases.c.member_id.is_not(None),
                purchases.c.occurred_at > since,
                purchases.c.occurred_at <= now,
            )
            .group_by(purchases.c.member_id)
        )
    return {int(m): int(v or 0) for m, v in connection.execute(query)}


def evaluate_tiers(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Upgrade at once, downgrade after the grace period; emit ``tier.changed``.

    A first pass finds the accounts whose tier or grace period changes; those are locked
    together (ascending ids, the lock order) and decided again under the lock."""
    connection = uow.connection
    counts = {"upgraded": 0, "downgraded": 0, "grace_started": 0}
    candidates: list[tuple[int, RunningProgram, TierRules, int]] = []
    for rp in running(connection, ProgramKind.POINTS):
        rules = rp.program.tiers
        if rules is None:
            continue
        measures = _measures(connection, rp, rules, now)
        accounts = {
            int(m): (t, utc(g))
            for m, t, g in connection.execute(
                select(
                    loyalty_accounts.c.member_id,
                    loyalty_accounts.c.tier,
                    loyalty_accounts.c.tier_grace_until,
                ).where(loyalty_accounts.c.program_id == rp.id)
            )
        }
        for member in set(measures) | set(accounts):
            tier, grace = accounts.get(member, (None, None))
            decision = tier_rules.decide(rules, tier, grace, measures.get(member, 0), now)
            if decision.changed or decision.grace_until != grace:
                candidates.append((member, rp, rules, measures.get(member, 0)))
    locked = posting.lock_many(connection, [(m, rp.id) for m, rp, _, _ in candidates], now)
    for member, rp, rules, measure in candidates:
        account = locked[(member, rp.id)]
        decision = tier_rules.decide(rules, account.tier, account.tier_grace_until, measure, now)
        ledger_store.set_tier(
            connection,
            account.id,
            decision.tier,
            decision.grace_until,
            now if decision.changed else None,
        )
        if decision.changed:
            rank = [t.code for t in rules.tiers]
            up = (rank.index(decision.tier) if decision.tier else -1) > (
                rank.index(account.tier) if account.tier in rank else -1
            )
            counts["upgraded" if up else "downgraded"] += 1
            tier = rules.get(decision.tier)
            outbox.enqueue(
                connection,
                posting.TIER_CHANGED,
                {
                    "program": rp.program.code,
                    "old": account.tier,
                    "new": decision.tier,
                    "privileges": list(tier.privileges) if tier else [],
                },
                member_id=member,
                dedupe_key=f"tier:{account.id}:{now.isoformat()}",
                now=now,
            )
        elif decision.grace_until is not None and account.tier_grace_until is None:
            counts["grace_started"] += 1
    return counts


def run_all(uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Release, expire, warn and evaluate tiers, in that order."""
    return {
        "released": release_due(uow, now),
        "expired": expire_due(uow, now),
        "expiring_warnings": warn_expiring(uow, now),
        "tiers": evaluate_tiers(uow, now),
    }
