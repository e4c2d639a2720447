"""Members' predictive scores: one row per member, replaced by every computation.

Programs and campaigns target members by these columns (``probability_alive``,
``value_at_risk``, ``expected_loss_at``…), so they live in the store next to the members.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from regulars.store.tables import member_scores, members, purchases

BATCH_ROWS = 20_000

SCORE_COLUMNS = (
    "member_id",
    "computed_at",
    "model",
    "frequency",
    "recency_days",
    "age_days",
    "probability_alive",
    "expected_purchases",
    "horizon_days",
    "clv",
    "value_at_risk",
    "expected_loss_at",
)


def replace_all(connection: Connection, rows: Sequence[Sequence[Any]]) -> int:
    """Replace every stored score with ``rows`` (tuples in :data:`SCORE_COLUMNS` order).

    Plain multi-row inserts (SQLAlchemy's insertmanyvalues) in batches: a table emptied first
    has no conflicts to skip, so the bulk importer's machinery is not needed.
    """
    connection.execute(delete(member_scores))
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        connection.execute(
            insert(member_scores), [dict(zip(SCORE_COLUMNS, row, strict=True)) for row in batch]
        )
    return len(rows)


def _with_member() -> Any:
    return select(
        members.c.external_id.label("member"),
        members.c.name,
        *(member_scores.c[name] for name in SCORE_COLUMNS if name != "member_id"),
    ).join(members, members.c.id == member_scores.c.member_id)


def at_risk(
    connection: Connection, limit: int, min_probability_lost: float = 0.0
) -> list[dict[str, Any]]:
    """Members with the most value at risk first (ties: higher lifetime value first)."""
    query = (
        _with_member()
        .where(members.c.erased_at.is_(None))
        .where(1 - member_scores.c.probability_alive >= min_probability_lost)
        .order_by(
            member_scores.c.value_at_risk.desc(),
            member_scores.c.clv.desc(),
            members.c.external_id,
        )
        .limit(limit)
    )
    return [dict(r) for r in connection.execute(query).mappings()]


def lost(
    connection: Connection, limit: int, below: float, within_days: int | None
) -> list[dict[str, Any]]:
    """Members recently lost with the most past value first: P(alive) below ``below``, last
    purchase at most ``within_days`` (default: the scores' horizon) before the computation;
    ``past_value`` is their net spend to date (sales less refunds, minor units)."""
    spend = (
        select(purchases.c.member_id, func.sum(purchases.c.total_amount).label("past_value"))
        .where(purchases.c.member_id.is_not(None))
        .group_by(purchases.c.member_id)
        .subquery("spend")
    )
    since_last = member_scores.c.age_days - member_scores.c.recency_days
    window = member_scores.c.horizon_days if within_days is None else within_days
    query = (
        _with_member()
        .add_columns(
            func.coalesce(spend.c.past_value, 0).label("past_value"),
            since_last.label("days_since_last_purchase"),
        )
        .outerjoin(spend, spend.c.member_id == member_scores.c.member_id)
        .where(members.c.erased_at.is_(None))
        .where(member_scores.c.probability_alive < below)
        .where(since_last <= window)
        .order_by(func.coalesce(spend.c.past_value, 0).desc(), members.c.external_id)
        .limit(limit)
    )
    return [dict(r) for r in connection.execute(query).mappings()]


def of_member(connection: Connection, external_id: str) -> dict[str, Any] | None:
    query = _with_member().where(members.c.external_id == external_id)
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(member_scores)).scalar_one())
