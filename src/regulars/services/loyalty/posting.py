"""Posting to a member's points account: award, spend, take back, release, expire.

Each function takes an :class:`~regulars.store.loyalty.accounts.Account` locked with
``store.loyalty.accounts.lock`` (see ``regulars.store.loyalty`` for why that makes concurrent
spending safe), writes one ledger transaction whose entries sum to zero through the
unit of work's :class:`~regulars.store.loyalty.writer.Writer`, keeps the account's cached
balances in step, and enqueues the event. A redemption voided at the till is given back
by :func:`give_back`. The rules — which lots a spend draws, how a refund
takes points back — are the domain's (``regulars.domain.loyalty.ledger``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from regulars.domain.loyalty import ledger as model
from regulars.services.loyalty.programs import RunningProgram
from regulars.store.loyalty import lots as lot_store
from regulars.store.loyalty.accounts import Account
from regulars.store.loyalty.programs import take_budget
from regulars.store.loyalty.writer import NEW_LOT, Writer

POINTS_EARNED = "points.earned"
POINTS_REDEEMED = "points.redeemed"
POINTS_REVERSED = "points.reversed"
POINTS_EXPIRED = "points.expired"
POINTS_EXPIRING = "points.expiring_soon"
POINTS_ADJUSTED = "points.adjusted"
TIER_CHANGED = "tier.changed"
REWARD_ISSUED = "reward.issued"
REWARD_REDEEMED = "reward.redeemed"
REDEMPTION_VOIDED = "points.redemption_voided"


def event(
    w: Writer,
    topic: str,
    account: Account,
    rp: RunningProgram,
    now: datetime,
    txn: int | None = None,
    **payload: Any,
) -> None:
    """Enqueue the account's event ``topic`` (program, balance, pending and ``payload``);
    with ``txn``, the payload names the transaction once the Writer has its id."""
    w.event(
        txn,
        {
            "topic": topic,
            "member_id": account.member_id,
            "channel": None,
            "dedupe_key": None,
            "created_at": now,
            "available_at": now,
            "payload": {
                "program": rp.program.code,
                "balance": account.available,
                "pending": account.pending,
                **payload,
            },
        },
    )


def award(
    w: Writer,
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
        points = take_budget(w.connection, rp.id, points)
    if points <= 0:
        return 0
    rules = rp.program.points
    window = rules.return_window_days if rules and kind == "earn" else 0
    released = window == 0
    settle = min(points, account.debt)
    net = points - settle
    txn = w.transaction(
        account_id=account.id,
        kind=kind,
        points=points,
        source_key=source_key,
        purchase_id=purchase_id,
        program_version=rp.version,
        reason=reason,
        actor=actor,
        detail=detail,
        occurred_at=at,
    )
    lot = None
    if net:
        lot = w.lot(
            txn,
            account_id=account.id,
            purchase_id=purchase_id,
            points=net,
            remaining=net,
            awarded_at=at,
            release_at=at + timedelta(days=window),
            expires_at=model.expires_at(rules.expiry, at) if rules else None,
            released=released,
            closed=False,
        )
    book = model.MEMBER_AVAILABLE if released else model.MEMBER_PENDING
    expense = model.PROGRAM_ADJUSTMENT if kind == "adjust" else model.PROGRAM_EXPENSE
    w.post(
        txn,
        account.id,
        [(expense, -points, None), (model.MEMBER_DEBT, settle, None), (book, net, NEW_LOT)],
        new_lot=lot,
    )
    account.change(
        w, debt=-settle, available=net if released else 0, pending=0 if released else net
    )
    topic = POINTS_ADJUSTED if kind == "adjust" else POINTS_EARNED
    event(w, topic, account, rp, at, txn, points=points, kind=kind, purchase=purchase_id)
    return points


def spend(
    w: Writer,
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
    """Spend points, soonest-expiring lots first; raises ``InsufficientPoints``. Flushes
    and returns the transaction's id."""
    w.flush()
    draws = model.plan_spend(lot_store.open_lots(w.connection, account.id), points, at)
    lot_store.draw_lots(w.connection, [(d.lot_id, d.points) for d in draws])
    txn = w.transaction(
        account_id=account.id,
        kind=kind,
        points=-points,
        source_key=source_key,
        request_hash=request_hash,
        program_version=rp.version,
        reason=reason,
        actor=actor,
        detail=detail,
        occurred_at=at,
    )
    counter = model.PROGRAM_ADJUSTMENT if kind == "adjust" else model.PROGRAM_REDEEMED
    w.post(
        txn,
        account.id,
        [(model.MEMBER_AVAILABLE, -d.points, d.lot_id) for d in draws] + [(counter, points, None)],
    )
    account.change(w, available=-points)
    topic = POINTS_ADJUSTED if kind == "adjust" else POINTS_REDEEMED
    event(w, topic, account, rp, at, txn, points=-points)
    w.flush()
    return w.flushed[0], draws


def claw_back(
    w: Writer,
    account: Account,
    rp: RunningProgram,
    original_id: int,
    refund_id: int,
    points: int,
    at: datetime,
    *,
    tier: dict[str, Any] | None = None,
) -> model.Clawback:
    """Take back ``points`` a purchase earned (see
    :class:`regulars.domain.loyalty.ledger.Clawback`); ``tier`` records a tier a void undid."""
    w.flush()
    connection = w.connection
    own = lot_store.purchase_lots(connection, account.id, original_id)
    own_ids = {lot.id for lot in own}
    others = [lot for lot in lot_store.open_lots(connection, account.id) if lot.id not in own_ids]
    plan = model.plan_clawback(own, others, points, at)
    released = {lot.id: lot.released for lot in [*own, *others]}
    draws = [*plan.own, *plan.other]
    lot_store.draw_lots(connection, [(d.lot_id, d.points) for d in draws])
    txn = w.transaction(
        account_id=account.id,
        kind="reverse",
        points=-points,
        source_key=f"reverse:{refund_id}:{account.id}",
        purchase_id=refund_id,
        program_version=rp.version,
        detail={"original_purchase": original_id, "debt": plan.debt}
        | ({"tier": tier} if tier else {}),
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
    w.post(txn, account.id, entries)
    from_pending = sum(d.points for d in draws if not released[d.lot_id])
    account.change(
        w,
        available=-(points - plan.debt - from_pending),
        pending=-from_pending,
        debt=plan.debt,
    )
    event(w, POINTS_REVERSED, account, rp, at, txn, points=-points, debt=plan.debt)
    w.flush()
    return plan


def release(w: Writer, account: Account, rp: RunningProgram, now: datetime) -> int:
    """Release the account's pending lots whose return window has passed (idempotent)."""
    released = lot_store.release_due(w.connection, account.id, now)
    moving = [(lot_id, points) for lot_id, points, closed in released if points and not closed]
    total = sum(points for _, points in moving)
    if total:
        txn = w.transaction(
            account_id=account.id,
            kind="release",
            points=0,
            program_version=rp.version,
            occurred_at=now,
        )
        for lot_id, points in moving:
            w.post(
                txn,
                account.id,
                [(model.MEMBER_PENDING, -points, lot_id), (model.MEMBER_AVAILABLE, points, lot_id)],
            )
        account.change(w, pending=-total, available=total)
    return total


def expire(w: Writer, account: Account, rp: RunningProgram, now: datetime) -> int:
    """Expire what remains of the account's open lots past their expiry (idempotent)."""
    closed = lot_store.close_expired(w.connection, account.id, now)
    total = sum(remaining for _, remaining in closed)
    if total:
        txn = w.transaction(
            account_id=account.id,
            kind="expire",
            points=-total,
            program_version=rp.version,
            occurred_at=now,
        )
        for lot_id, remaining in closed:
            w.post(
                txn,
                account.id,
                [
                    (model.MEMBER_AVAILABLE, -remaining, lot_id),
                    (model.PROGRAM_BREAKAGE, remaining, lot_id),
                ],
            )
        account.change(w, available=-total)
        event(w, POINTS_EXPIRED, account, rp, now, txn, points=-total)
    return total


def give_back(
    w: Writer,
    account: Account,
    rp: RunningProgram,
    redemption: int,
    drawn: list[tuple[int, int]],
    closed: set[int],
    at: datetime,
    *,
    actor: str,
    reason: str | None,
) -> tuple[int, int, int, int]:
    """Void a redemption: give back the points it drew (``drawn``, ``(lot id, points)``).

    Points go back into the lots they came from; those drawn from a lot that has ``closed``
    since (expired: nothing left in it) go to breakage, as they would have at its expiry.
    If the member owes debt, the points given back settle it first (as an award does), taken
    from the same lots. One ledger transaction of kind ``void``, entries summing to zero.
    Returns ``(transaction, points given back to lots, points to breakage, debt settled)``.
    """
    total = sum(points for _, points in drawn)
    restored = [(lot, points) for lot, points in drawn if lot not in closed]
    expired = total - sum(points for _, points in restored)
    settle = min(account.debt, total - expired)
    settling: list[tuple[int, int]] = []
    left = settle
    for lot, points in restored:
        if left == 0:
            break
        take = min(points, left)
        settling.append((lot, take))
        left -= take
    net: dict[int, int] = {}
    for lot, points in restored:
        net[lot] = net.get(lot, 0) + points
    for lot, points in settling:
        net[lot] -= points
    lot_store.draw_lots(w.connection, [(lot, -points) for lot, points in net.items() if points])
    txn = w.transaction(
        account_id=account.id,
        kind="void",
        points=total,
        source_key=f"void:{redemption}",
        program_version=rp.version,
        reason=reason,
        actor=actor,
        detail={"voids": redemption, "breakage": expired, "settled_debt": settle},
        occurred_at=at,
    )
    entries: list[tuple[str, int, int | None]] = [(model.PROGRAM_REDEEMED, -total, None)]
    entries += [(model.MEMBER_AVAILABLE, points, lot) for lot, points in restored]
    entries += [(model.PROGRAM_BREAKAGE, points, lot) for lot, points in drawn if lot in closed]
    entries += [(model.MEMBER_AVAILABLE, -points, lot) for lot, points in settling]
    entries += [(model.MEMBER_DEBT, settle, None)]
    w.post(txn, account.id, entries)
    account.change(w, available=total - expired - settle, debt=-settle)
    event(w, REDEMPTION_VOIDED, account, rp, at, txn, points=total, voids=redemption)
    w.flush()
    return w.flushed[0], total - expired, expired, settle
