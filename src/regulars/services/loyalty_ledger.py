"""Posting to a member's points account: award, spend, take back, release, expire.

Each function takes an :class:`Account` locked with :func:`lock` (see ``store.ledger`` for
why that makes concurrent spending safe), writes one ledger transaction whose entries sum to
zero, keeps the account's cached balances in step, and enqueues the event. The rules — which
lots a spend draws, how a refund takes points back — are the domain's
(``regulars.domain.ledger``), so the store and the in-memory model cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from regulars.domain import ledger as model
from regulars.services.loyalty_programs import RunningProgram, utc
from regulars.store import ledger as ledger_store
from regulars.store import outbox
from regulars.store.tables import points_lots

POINTS_EARNED = "points.earned"
POINTS_REDEEMED = "points.redeemed"
POINTS_REVERSED = "points.reversed"
POINTS_EXPIRED = "points.expired"
POINTS_EXPIRING = "points.expiring_soon"
POINTS_ADJUSTED = "points.adjusted"
TIER_CHANGED = "tier.changed"
REWARD_ISSUED = "reward.issued"
REWARD_REDEEMED = "reward.redeemed"


@dataclass
class Account:
    """A member's account in one program, as read under its lock."""

    id: int
    member_id: int
    program_id: int
    available: int
    pending: int
    debt: int
    stamps: int
    tier: str | None
    tier_grace_until: datetime | None

    def change(self, connection: Connection, **deltas: int) -> None:
        for name, delta in deltas.items():
            setattr(self, name, getattr(self, name) + delta)
        ledger_store.change_account(connection, self.id, **deltas)


def lock(connection: Connection, account_id: int, now: datetime) -> Account:
    row = ledger_store.lock_account(connection, account_id, now)
    return Account(
        id=row["id"],
        member_id=row["member_id"],
        program_id=row["program_id"],
        available=row["available"],
        pending=row["pending"],
        debt=row["debt"],
        stamps=row["stamps"],
        tier=row["tier"],
        tier_grace_until=utc(row["tier_grace_until"]),
    )


def lock_member(connection: Connection, member_id: int, program_id: int, now: datetime) -> Account:
    return lock(
        connection, ledger_store.ensure_account(connection, member_id, program_id, now), now
    )


def event(
    connection: Connection,
    topic: str,
    account: Account,
    rp: RunningProgram,
    now: datetime,
    dedupe_key: str | None = None,
    **payload: Any,
) -> None:
    outbox.enqueue(
        connection,
        topic,
        {
            "program": rp.program.code,
            "balance": account.available,
            "pending": account.pending,
            **payload,
        },
        member_id=account.member_id,
        dedupe_key=dedupe_key,
        now=now,
    )


def award(
    connection: Connection,
    account: Account,
    rp: RunningProgram,
    points: int,
    *,
    kind: str,
    at: datetime,
    purchase_id: int | None = None,
    source_key: str | None = None,
    detail: dict[str, Any] | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> int:
    """Issue points as a lot (pending for earnings within the return window); debt owed by
    the member is settled first; a budgeted program grants at most what is left. Returns the
    points issued."""
    if rp.program.budget is not None:
        points = ledger_store.take_budget(connection, rp.id, points)
    if points <= 0:
        return 0
    rules = rp.program.points
    window = rules.return_window_days if rules and kind == "earn" else 0
    release_at = at + timedelta(days=window)
    expires = model.expires_at(rules.expiry, at) if rules else None
    released = window == 0
    settle = min(points, account.debt)
    net = points - settle
    txn = ledger_store.add_transaction(
        connection,
        account_id=account.id,
        kind=kind,
        points=points,
        source_key=source_key,
        purchase_id=purchase_id,
        program_version=rp.version,
        reason=reason,
        actor=actor,
        detail=json.dumps(detail) if detail else None,
        occurred_at=at,
    )
    lot = None
    if net:
        lot = ledger_store.add_lot(
            connection,
            account_id=account.id,
            transaction_id=txn,
            purchase_id=purchase_id,
            points=net,
            remaining=net,
            awarded_at=at,
            release_at=release_at,
            expires_at=expires,
            released=released,
            closed=False,
        )
    book = model.MEMBER_AVAILABLE if released else model.MEMBER_PENDING
    expense = model.PROGRAM_ADJUSTMENT if kind == "adjust" else model.PROGRAM_EXPENSE
    ledger_store.add_entries(
        connection,
        txn,
        account.id,
        [(expense, -points, None), (model.MEMBER_DEBT, settle, None), (book, net, lot)],
    )
    account.change(
        connection,
        debt=-settle,
        available=net if released else 0,
        pending=0 if released else net,
    )
    topic = POINTS_ADJUSTED if kind == "adjust" else POINTS_EARNED
    event(connection, topic, account, rp, at, points=points, kind=kind, transaction=txn)
    return points


def spend(
    connection: Connection,
    account: Account,
    rp: RunningProgram,
    points: int,
    *,
    at: datetime,
    kind: str = "redeem",
    source_key: str | None = None,
    request_hash: str | None = None,
    detail: dict[str, Any] | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> tuple[int, list[model.Draw]]:
    """Spend points, soonest-expiring lots first; raises ``InsufficientPoints``."""
    draws = model.plan_spend(ledger_store.open_lots(connection, account.id), points, at)
    ledger_store.draw_lots(connection, [(d.lot_id, d.points) for d in draws])
    txn = ledger_store.add_transaction(
        connection,
        account_id=account.id,
        kind=kind,
        points=-points,
        source_key=source_key,
        request_hash=request_hash,
        program_version=rp.version,
        reason=reason,
        actor=actor,
        detail=json.dumps(detail) if detail else None,
        occurred_at=at,
    )
    counter = model.PROGRAM_ADJUSTMENT if kind == "adjust" else model.PROGRAM_REDEEMED
    ledger_store.add_entries(
        connection,
        txn,
        account.id,
        [(model.MEMBER_AVAILABLE, -d.points, d.lot_id) for d in draws] + [(counter, points, None)],
    )
    account.change(connection, available=-points)
    topic = POINTS_ADJUSTED if kind == "adjust" else POINTS_REDEEMED
    event(connection, topic, account, rp, at, points=-points, transaction=txn)
    return txn, draws


def claw_back(
    connection: Connection,
    account: Account,
    rp: RunningProgram,
    original_id: int,
    refund_id: int,
    points: int,
    at: datetime,
) -> model.Clawback:
    """Take back ``points`` a purchase earned (see :class:`regulars.domain.ledger.Clawback`)."""
    own = ledger_store.purchase_lots(connection, account.id, original_id)
    own_ids = {lot.id for lot in own}
    others = [
        lot for lot in ledger_store.open_lots(connection, account.id) if lot.id not in own_ids
    ]
    plan = model.plan_clawback(own, others, points, at)
    released = {lot.id: lot.released for lot in [*own, *others]}
    draws = [*plan.own, *plan.other]
    ledger_store.draw_lots(connection, [(d.lot_id, d.points) for d in draws])
    txn = ledger_store.add_transaction(
        connection,
        account_id=account.id,
        kind="reverse",
        points=-points,
        source_key=f"reverse:{refund_id}:{account.id}",
        purchase_id=refund_id,
        program_version=rp.version,
        detail=json.dumps({"original_purchase": original_id, "debt": plan.debt}),
        occurred_at=at,
    )
    entries: list[tuple[str, int, int | None]] = [
        (
            model.MEMBER_AVAILABLE if released[d.lot_id] else model.MEMBER_PENDING,
            -d.points,
            d.lot_id,
        )
        for d in draws
    ]
    entries += [(model.MEMBER_DEBT, -plan.debt, None), (model.PROGRAM_EXPENSE, points, None)]
    ledger_store.add_entries(connection, txn, account.id, entries)
    from_pending = sum(d.points for d in draws if not released[d.lot_id])
    account.change(
        connection,
        available=-(points - plan.debt - from_pending),
        pending=-from_pending,
        debt=plan.debt,
    )
    event(connection, POINTS_REVERSED, account, rp, at, points=-points, debt=plan.debt)
    return plan


def release(connection: Connection, account: Account, rp: RunningProgram, now: datetime) -> int:
    """Release the account's pending lots whose return window has passed (idempotent)."""
    rows = list(
        connection.execute(
            select(points_lots.c.id, points_lots.c.remaining, points_lots.c.closed).where(
                points_lots.c.account_id == account.id,
                points_lots.c.released.is_(False),
                points_lots.c.release_at <= now,
            )
        )
    )
    if not rows:
        return 0
    connection.execute(
        update(points_lots).where(points_lots.c.id.in_([r.id for r in rows])).values(released=True)
    )
    moving = [(int(r.id), int(r.remaining)) for r in rows if r.remaining and not r.closed]
    total = sum(points for _, points in moving)
    if total:
        txn = ledger_store.add_transaction(
            connection,
            account_id=account.id,
            kind="release",
            points=0,
            program_version=rp.version,
            occurred_at=now,
        )
        entries: list[tuple[str, int, int | None]] = []
        for lot_id, points in moving:
            entries += [
                (model.MEMBER_PENDING, -points, lot_id),
                (model.MEMBER_AVAILABLE, points, lot_id),
            ]
        ledger_store.add_entries(connection, txn, account.id, entries)
        account.change(connection, pending=-total, available=total)
    return total


def expire(connection: Connection, account: Account, rp: RunningProgram, now: datetime) -> int:
    """Expire what remains of the account's open lots past their expiry (idempotent)."""
    rows = list(
        connection.execute(
            select(points_lots.c.id, points_lots.c.remaining).where(
                points_lots.c.account_id == account.id,
                points_lots.c.released.is_(True),
                points_lots.c.closed.is_(False),
                points_lots.c.expires_at <= now,
            )
        )
    )
    if not rows:
        return 0
    connection.execute(
        update(points_lots)
        .where(points_lots.c.id.in_([r.id for r in rows]))
        .values(closed=True, remaining=0)
    )
    total = sum(int(r.remaining) for r in rows)
    if total:
        txn = ledger_store.add_transaction(
            connection,
            account_id=account.id,
            kind="expire",
            points=-total,
            program_version=rp.version,
            occurred_at=now,
        )
        entries: list[tuple[str, int, int | None]] = []
        for r in rows:
            entries += [
                (model.MEMBER_AVAILABLE, -r.remaining, r.id),
                (model.PROGRAM_BREAKAGE, r.remaining, r.id),
            ]
        ledger_store.add_entries(connection, txn, account.id, entries)
        account.change(connection, available=-total)
        event(connection, POINTS_EXPIRED, account, rp, now, points=-total)
    return total
