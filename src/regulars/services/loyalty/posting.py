"""Posting to a member's points account: award, spend, take back, release, expire.

Each function takes an :class:`Account` locked with :func:`lock` (see ``store.ledger`` for
why that makes concurrent spending safe), writes one ledger transaction whose entries sum to
zero, keeps the account's cached balances in step, and enqueues the event. The rules — which
lots a spend draws, how a refund takes points back — are the domain's
(``regulars.domain.loyalty.ledger``), so the store and the in-memory model cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from regulars.domain.loyalty import ledger as model
from regulars.services.loyalty.programs import RunningProgram, utc
from regulars.store import bulk
from regulars.store.loyalty import ledger as ledger_store
from regulars.store.tables import (
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    loyalty_rewards,
    points_lots,
)
from regulars.store.tables import outbox as outbox_table

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

    def change(self, w: Writer, **deltas: int) -> None:
        for name, delta in deltas.items():
            setattr(self, name, getattr(self, name) + delta)
        w.changed[self.id] = self


NEW_LOT = -1


def _columns(rows: list[dict[str, Any]], ids: list[int] | None = None) -> dict[str, list[Any]]:
    """Rows (dicts with the same keys) as columns, with their allocated ids if given."""
    if not rows:
        return {}
    columns: dict[str, list[Any]] = {name: [row.get(name) for row in rows] for name in rows[0]}
    if ids is not None:
        columns["id"] = ids
    return columns


class Writer:
    """Buffers a unit of work's ledger writes and sends them in two round trips.

    Transactions, lots, entries, reward vouchers, outbox events and account counters are
    collected in memory; :meth:`flush` draws the ids of the new transactions and lots (so
    that lots and entries can point at them) and writes every table at once with
    :func:`regulars.store.bulk.write_together` — one statement on PostgreSQL, whatever the
    number of rows, so one purchase and a batch of a thousand take the same path. Only valid
    while the accounts involved stay locked, i.e. within the caller's transaction; callers
    flush before reading lots back and before they return.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.transactions: list[dict[str, Any]] = []
        self.lots: list[tuple[int, dict[str, Any]]] = []
        self.entries: list[tuple[int, int, str, int, int | None, int | None]] = []
        self.rewards: list[dict[str, Any]] = []
        self.events: list[tuple[int | None, dict[str, Any]]] = []
        self.changed: dict[int, Account] = {}
        self.flushed: list[int] = []  # transaction ids of the last flush, in order

    def transaction(self, **values: Any) -> int:
        detail = values.get("detail")
        if isinstance(detail, dict):
            values["detail"] = json.dumps(detail)
        values.setdefault("detail", None)
        for key in ("source_key", "request_hash", "purchase_id", "reason", "actor"):
            values.setdefault(key, None)
        self.transactions.append(values)
        return len(self.transactions) - 1

    def lot(self, txn: int, **values: Any) -> int:
        self.lots.append((txn, values))
        return len(self.lots) - 1

    def reward(self, **values: Any) -> None:
        self.rewards.append(values)

    def post(
        self,
        txn: int,
        account_id: int,
        entries: list[tuple[str, int, int | None]],
        new_lot: int | None = None,
    ) -> None:
        """Entries ``(book, points, lot id)``, where the lot id :data:`NEW_LOT` means the lot
        ``new_lot`` (a local index) written in this flush; they must sum to zero."""
        if sum(points for _, points, _ in entries) != 0:
            raise AssertionError(f"unbalanced ledger transaction: {entries}")
        self.entries += [
            (
                txn,
                account_id,
                b,
                p,
                None if lot == NEW_LOT else lot,
                new_lot if lot == NEW_LOT else None,
            )
            for b, p, lot in entries
            if p
        ]

    def event(self, txn: int | None, values: dict[str, Any]) -> None:
        self.events.append((txn, values))

    def flush(self) -> None:
        """Write what was buffered; the new transactions' ids are left in :attr:`flushed`."""
        connection = self.connection
        if not (self.transactions or self.rewards or self.events or self.changed):
            self.flushed = []
            return
        ids, lot_ids = bulk.allocate_ids(
            connection,
            [(ledger_transactions, len(self.transactions)), (points_lots, len(self.lots))],
        )
        lots = [{**values, "transaction_id": ids[txn]} for txn, values in self.lots]
        entries: dict[str, list[Any]] = {
            "transaction_id": [ids[e[0]] for e in self.entries],
            "account_id": [e[1] for e in self.entries],
            "book": [e[2] for e in self.entries],
            "points": [e[3] for e in self.entries],
            "lot_id": [e[4] if e[5] is None else lot_ids[e[5]] for e in self.entries],
        }
        events = []
        for txn, values in self.events:
            payload = dict(values["payload"])
            if txn is not None:
                payload["transaction"] = ids[txn]
            events.append(
                {
                    **values,
                    "payload": json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True),
                }
            )
        accounts = list(self.changed.values())
        counters = {
            "id": [a.id for a in accounts],
            "available": [a.available for a in accounts],
            "pending": [a.pending for a in accounts],
            "debt": [a.debt for a in accounts],
            "stamps": [a.stamps for a in accounts],
        }
        bulk.write_together(
            connection,
            [
                (ledger_transactions, _columns(self.transactions, ids)),
                (points_lots, _columns(lots, lot_ids)),
                (ledger_entries, entries),
                (loyalty_rewards, _columns(self.rewards)),
                (outbox_table, _columns(events)),
            ],
            [(loyalty_accounts, counters)],
        )
        self.flushed = ids
        self.transactions, self.lots, self.entries, self.rewards, self.events = [], [], [], [], []
        self.changed = {}


def lock(connection: Connection, account_id: int, now: datetime) -> Account:
    return _account(ledger_store.lock_account(connection, account_id, now))


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
        tier_grace_until=utc(row["tier_grace_until"]),
    )


def lock_member(connection: Connection, member_id: int, program_id: int, now: datetime) -> Account:
    """Lock the member's account in the program, opening it on first use."""
    row = ledger_store.lock_member_account(connection, member_id, program_id, now)
    if row is None:
        ledger_store.ensure_account(connection, member_id, program_id, now)
        row = ledger_store.lock_member_account(connection, member_id, program_id, now)
    return _account(row)


def lock_many(
    connection: Connection, pairs: Iterable[tuple[int, int]], now: datetime
) -> dict[tuple[int, int], Account]:
    """Lock the accounts of ``(member_id, program_id)`` pairs, opening missing ones, in
    ascending account id order — the one lock order every transaction follows."""
    rows = ledger_store.lock_accounts(connection, set(pairs), now)
    return {(a.member_id, a.program_id): a for a in map(_account, rows)}


def event(
    w: Writer,
    topic: str,
    account: Account,
    rp: RunningProgram,
    now: datetime,
    txn: int | None = None,
    **payload: Any,
) -> None:
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
        points = ledger_store.take_budget(w.connection, rp.id, points)
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
    draws = model.plan_spend(ledger_store.open_lots(w.connection, account.id), points, at)
    ledger_store.draw_lots(w.connection, [(d.lot_id, d.points) for d in draws])
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
) -> model.Clawback:
    """Take back ``points`` a purchase earned (see
    :class:`regulars.domain.loyalty.ledger.Clawback`)."""
    w.flush()
    connection = w.connection
    own = ledger_store.purchase_lots(connection, account.id, original_id)
    own_ids = {lot.id for lot in own}
    others = [
        lot for lot in ledger_store.open_lots(connection, account.id) if lot.id not in own_ids
    ]
    plan = model.plan_clawback(own, others, points, at)
    released = {lot.id: lot.released for lot in [*own, *others]}
    draws = [*plan.own, *plan.other]
    ledger_store.draw_lots(connection, [(d.lot_id, d.points) for d in draws])
    txn = w.transaction(
        account_id=account.id,
        kind="reverse",
        points=-points,
        source_key=f"reverse:{refund_id}:{account.id}",
        purchase_id=refund_id,
        program_version=rp.version,
        detail={"original_purchase": original_id, "debt": plan.debt},
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
    connection = w.connection
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
    connection = w.connection
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
        txn = w.transaction(
            account_id=account.id,
            kind="expire",
            points=-total,
            program_version=rp.version,
            occurred_at=now,
        )
        for r in rows:
            w.post(
                txn,
                account.id,
                [
                    (model.MEMBER_AVAILABLE, -int(r.remaining), r.id),
                    (model.PROGRAM_BREAKAGE, int(r.remaining), r.id),
                ],
            )
        account.change(w, available=-total)
        event(w, POINTS_EXPIRED, account, rp, now, txn, points=-total)
    return total
