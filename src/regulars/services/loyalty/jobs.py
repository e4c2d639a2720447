"""Scheduled jobs: release pending points, expire points and vouchers, warn before expiry,
evaluate tiers. Each is idempotent (running it twice at the same ``now`` changes nothing the
second time) and works account by account under the account's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from regulars.domain.loyalty import earning
from regulars.domain.loyalty import tiers as tier_rules
from regulars.domain.loyalty.programs import ProgramKind, TierRules
from regulars.domain.times import wire
from regulars.services.loyalty import posting
from regulars.services.loyalty.programs import RunningProgram, running
from regulars.store import outbox
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty import lots as lot_store
from regulars.store.loyalty import measures
from regulars.store.loyalty import rewards as reward_store
from regulars.store.loyalty.writer import Writer
from regulars.store.unit_of_work import UnitOfWork


def _due_accounts(
    uow: UnitOfWork, *, release: bool, now: datetime, limit: int
) -> Iterator[list[int]]:
    """Every account with lots due, in ascending id order (the lock order), ``limit`` at a
    time; each account once per run, even when its program is no longer active."""
    after = 0
    while True:
        batch = lot_store.lots_due(
            uow.connection, release=release, now=now, limit=limit, after=after
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
    post: Callable[[Writer, account_store.Account, RunningProgram, datetime], int],
) -> int:
    """Lock each account with lots due whose program still runs (ascending ids: the lock
    order) and ``post`` to it, ``limit`` accounts a batch; return what ``post`` returned."""
    connection = uow.connection
    programs = {rp.id: rp for rp in running(uow)}
    total = 0
    for accounts in _due_accounts(uow, release=release, now=now, limit=limit):
        w = Writer(connection)
        owner = account_store.programs_of(connection, accounts)
        for account_id in accounts:
            rp = programs.get(owner[account_id])
            if rp is not None:
                total += post(w, account_store.lock(connection, account_id, now), rp, now)
        w.flush()
    return total


def release_due(uow: UnitOfWork, now: datetime, limit: int = 1000) -> int:
    """Release points whose return window has passed, in every account; return the points
    released. Accounts are read and written ``limit`` at a time."""
    return _post_due(uow, now, limit, release=True, post=posting.release)


def expire_due(uow: UnitOfWork, now: datetime, limit: int = 1000) -> dict[str, int]:
    """Expire points past their expiry in every account (and vouchers past theirs)."""
    points = _post_due(uow, now, limit, release=False, post=posting.expire)
    vouchers = reward_store.expire_due(uow.connection, now)
    return {"points": points, "vouchers": vouchers}


def warn_expiring(uow: UnitOfWork, now: datetime, days: int = 30) -> int:
    """Enqueue one ``points.expiring_soon`` per account and expiry day (deduplicated)."""
    connection = uow.connection
    sent = 0
    for account_id, member, expires, remaining in lot_store.expiring_soon(connection, now, days):
        key = f"expiring:{account_id}:{expires:%Y-%m-%dT%H:%M}"
        if lot_store.warned(connection, key):
            continue
        outbox.enqueue(
            connection,
            posting.POINTS_EXPIRING,
            {"account": account_id, "points": remaining, "expires_at": wire(expires)},
            member_id=member,
            dedupe_key=key,
            now=now,
        )
        sent += 1
    return sent


def evaluate_tiers(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Upgrade at once, downgrade after the grace period; emit ``tier.changed``.

    A first pass finds the accounts whose tier or grace period changes; those are locked
    together (ascending ids, the lock order) and decided again under the lock."""
    connection = uow.connection
    counts = {"upgraded": 0, "downgraded": 0, "grace_started": 0}
    candidates: list[tuple[int, RunningProgram, TierRules, int]] = []
    for rp in running(uow, ProgramKind.POINTS):
        rules = rp.program.tiers
        if rules is None:
            continue
        since = earning.window_start(now, rules.window_months)
        measured = measures.by_member(connection, rp.id, rules.measure, since, now)
        accounts = account_store.tiers_of(connection, rp.id)
        for member in set(measured) | set(accounts):
            current, grace = accounts.get(member, (None, None))
            decision = tier_rules.decide(rules, current, grace, measured.get(member, 0), now)
            if decision.changed or decision.grace_until != grace:
                candidates.append((member, rp, rules, measured.get(member, 0)))
    locked = account_store.lock_many(connection, [(m, rp.id) for m, rp, _, _ in candidates], now)
    for member, rp, rules, measure in candidates:
        account = locked[(member, rp.id)]
        decision = tier_rules.decide(rules, account.tier, account.tier_grace_until, measure, now)
        account_store.set_tier(
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
