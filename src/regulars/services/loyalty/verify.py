"""``ledger verify``: the invariant check finance teams run on a points ledger.

Recomputes every account's balance, pending points and debt, and every lot's remaining
points, from the ledger's entries (in the database: see ``regulars.store.loyalty.verify``),
and reports each number that drifted from what the entries say. A clean ledger has no
drift; any drift means a write went around the posting rules (a manual ``UPDATE``, a bug)
and the cached number cannot be trusted.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from regulars.store.loyalty import verify as checks
from regulars.store.unit_of_work import UnitOfWork


def verify_ledger(uow: UnitOfWork) -> dict[str, Any]:
    """What was checked and every drift found: ``{"accounts", "lots", "entries", "clean",
    "account_drift": [...], "lot_drift": [...], "unbalanced": [...]}``."""
    connection = uow.connection
    accounts, lots, entries = checks.counts(connection)
    account_drift = [asdict(d) for d in checks.account_drift(connection)]
    lot_drift = [asdict(d) for d in checks.lot_drift(connection)]
    unbalanced = [
        {"transaction_id": t, "sum": s} for t, s in checks.unbalanced_transactions(connection)
    ]
    return {
        "accounts": accounts,
        "lots": lots,
        "entries": entries,
        "clean": not (account_drift or lot_drift or unbalanced),
        "account_drift": account_drift,
        "lot_drift": lot_drift,
        "unbalanced": unbalanced,
    }
