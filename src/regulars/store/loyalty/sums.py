"""Everything an accrual sums after taking its locks, asked together: one round trip.

A sale's accrual needs, read after its accounts are locked (so that no concurrent award
can slip in between): the points each account already earned in a cap period, each
member's tier measure over the window ending at the sale, and, for the till's answer, the
cumulative spend a discount card measures. :class:`Asks` collects them; :func:`answer`
reads them all — on PostgreSQL in one statement of fixed text (four ``unnest`` parts of
correlated, indexed sums, prepared once per connection), elsewhere one query per ask.

Windows: a cap period is ``[since, until)``; tier and discount measures are
``(since, until]`` (a window ending at the sale includes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select

from regulars.store.bulk import array_text
from regulars.store.dialect import is_postgres
from regulars.store.tables import ledger_transactions, purchases

EVER = datetime(1, 1, 2, tzinfo=UTC)
"""The start of a window that has none (a lifetime discount card)."""

Window = tuple[int, datetime, datetime]
"""``(account or member id, since, until)``."""


@dataclass
class Asks:
    earned_in: list[Window] = field(default_factory=list)  # points earned, [since, until)
    earned: list[Window] = field(default_factory=list)  # points earned, (since, until]
    spend: list[Window] = field(default_factory=list)  # net spend, (since, until]
    purchases: list[Window] = field(default_factory=list)  # sales less undoings

    def ask(self, kind: str, window: Window) -> int:
        """Ask for one sum; return its place in its kind's answers."""
        asked: list[Window] = getattr(self, kind)
        asked.append(window)
        return len(asked) - 1


@dataclass
class Answers:
    earned_in: list[int]
    earned: list[int]
    spend: list[int]
    purchases: list[int]


_SUMS = """
SELECT 0, w.n, (SELECT coalesce(sum(t.points), 0) FROM ledger_transactions t
  WHERE t.account_id = w.k AND t.kind = 'earn' AND t.occurred_at >= w.s AND t.occurred_at < w.u)
FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS w(k, s, u, n)
UNION ALL
SELECT 1, w.n, (SELECT coalesce(sum(t.points), 0) FROM ledger_transactions t
  WHERE t.account_id = w.k AND t.kind = 'earn' AND t.occurred_at > w.s AND t.occurred_at <= w.u)
FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS w(k, s, u, n)
UNION ALL
SELECT 2, w.n, (SELECT coalesce(sum(p.total_amount), 0) FROM purchases p
  WHERE p.member_id = w.k AND p.occurred_at > w.s AND p.occurred_at <= w.u)
FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS w(k, s, u, n)
UNION ALL
SELECT 3, w.n, (SELECT coalesce(sum(CASE WHEN p.kind = 'sale' THEN 1 ELSE -1 END), 0)
  FROM purchases p WHERE p.member_id = w.k AND p.occurred_at > w.s AND p.occurred_at <= w.u)
FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS w(k, s, u, n)
"""
KINDS = ("earned_in", "earned", "spend", "purchases")


def answer(connection: Connection, asks: Asks) -> Answers:
    """Every sum asked, in the order asked."""
    asked = [getattr(asks, kind) for kind in KINDS]
    found: list[list[int]] = [[0] * len(windows) for windows in asked]
    if not any(asked):
        return Answers(*found)
    if is_postgres(connection):
        params: list[Any] = []
        for windows in asked:
            params += [array_text([k for k, _, _ in windows])]
            params += [array_text([s for _, s, _ in windows])]
            params += [array_text([u for _, _, u in windows])]
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(_SUMS, params)
            for kind, n, value in cursor.fetchall():
                found[kind][n - 1] = int(value)
        return Answers(*found)
    for kind, windows in enumerate(asked):
        for n, window in enumerate(windows):
            found[kind][n] = int(connection.execute(_QUERIES[kind], _bound(window)).scalar_one())
    return Answers(*found)


def _bound(window: Window) -> dict[str, Any]:
    k, s, u = window
    return {"k": k, "s": s, "u": u}


_EARN = (ledger_transactions.c.account_id == bindparam("k"), ledger_transactions.c.kind == "earn")
_BOUGHT = (purchases.c.member_id == bindparam("k"),)
_AFTER = (purchases.c.occurred_at > bindparam("s"), purchases.c.occurred_at <= bindparam("u"))
_QUERIES = (
    select(func.coalesce(func.sum(ledger_transactions.c.points), 0)).where(
        *_EARN,
        ledger_transactions.c.occurred_at >= bindparam("s"),
        ledger_transactions.c.occurred_at < bindparam("u"),
    ),
    select(func.coalesce(func.sum(ledger_transactions.c.points), 0)).where(
        *_EARN,
        ledger_transactions.c.occurred_at > bindparam("s"),
        ledger_transactions.c.occurred_at <= bindparam("u"),
    ),
    select(func.coalesce(func.sum(purchases.c.total_amount), 0)).where(*_BOUGHT, *_AFTER),
    select(func.coalesce(func.sum(case((purchases.c.kind == "sale", 1), else_=-1)), 0)).where(
        *_BOUGHT, *_AFTER
    ),
)
