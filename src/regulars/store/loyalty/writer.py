"""Every ledger write of a unit of work, buffered and sent in two round trips.

The posting rules (``regulars.services.loyalty.posting``) say what to write — transactions,
lots, double-entry entries, reward vouchers, outbox events, changed account counters; the
:class:`Writer` collects them in memory and :meth:`Writer.flush` writes them all at once.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from regulars.store import bulk
from regulars.store.loyalty.accounts import Account
from regulars.store.tables import (
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    loyalty_rewards,
    outbox,
    points_lots,
)

NEW_LOT = -1
"""The lot id of an entry that points at the lot written in the same flush (``new_lot``)."""


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

    def __init__(
        self, connection: Connection, reserved: tuple[list[int], list[int]] = ([], [])
    ) -> None:
        self.connection = connection
        self.reserved = (list(reserved[0]), list(reserved[1]))
        """Transaction and lot ids drawn in advance (by the accrual's claim), used first."""
        self.transactions: list[dict[str, Any]] = []
        self.lots: list[tuple[int, dict[str, Any]]] = []
        self.entries: list[tuple[int, int, str, int, int | None, int | None]] = []
        self.rewards: list[dict[str, Any]] = []
        self.events: list[tuple[int | None, dict[str, Any]]] = []
        self.changed: dict[int, Account] = {}
        self.flushed: list[int] = []  # transaction ids of the last flush, in order

    def transaction(self, **values: Any) -> int:
        """Buffer a ledger transaction; return its local index (for lots, entries, events)."""
        values.setdefault("detail", None)  # a dict is written as JSON at flush (None if empty)
        for key in ("source_key", "request_hash", "purchase_id", "reason", "actor"):
            values.setdefault(key, None)
        self.transactions.append(values)
        return len(self.transactions) - 1

    def lot(self, txn: int, **values: Any) -> int:
        """Buffer a lot awarded by the transaction ``txn``; return its local index."""
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
        """Buffer an outbox row; its payload gets the id of the transaction ``txn``."""
        self.events.append((txn, values))

    def flush(self) -> None:
        """Write what was buffered; the new transactions' ids are left in :attr:`flushed`."""
        connection = self.connection
        if not (self.transactions or self.rewards or self.events or self.changed):
            self.flushed = []
            return
        txns, lots_held = self.reserved
        if len(self.transactions) <= len(txns) and len(self.lots) <= len(lots_held):
            ids, lot_ids = txns[: len(self.transactions)], lots_held[: len(self.lots)]
            del txns[: len(self.transactions)], lots_held[: len(self.lots)]
        else:
            ids, lot_ids = bulk.allocate_ids(
                connection,
                [(ledger_transactions, len(self.transactions)), (points_lots, len(self.lots))],
            )
        for values in self.transactions:
            detail = values["detail"]
            if isinstance(detail, dict):
                values["detail"] = json.dumps(detail) if detail else None
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
        counters: dict[str, list[Any]] = {
            "id": [a.id for a in accounts],
            "available": [a.available for a in accounts],
            "pending": [a.pending for a in accounts],
            "debt": [a.debt for a in accounts],
            "stamps": [a.stamps for a in accounts],
            "tier": [a.tier for a in accounts],
            "tier_since": [a.tier_since for a in accounts],
            "tier_grace_until": [a.tier_grace_until for a in accounts],
        }
        bulk.write_together(
            connection,
            [
                (ledger_transactions, _columns(self.transactions, ids)),
                (points_lots, _columns(lots, lot_ids)),
                (ledger_entries, entries),
                (loyalty_rewards, _columns(self.rewards)),
                (outbox, _columns(events)),
            ],
            [(loyalty_accounts, counters)],
        )
        self.flushed = ids
        self.transactions, self.lots, self.entries, self.rewards, self.events = [], [], [], [], []
        self.changed = {}
