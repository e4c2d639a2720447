"""Churn scores written back (``subscription_scores``): one row per active contract, replaced
whole by every scoring (bulk write, ``COPY`` on PostgreSQL), and read per member, as the
audiences' per-member source, and as the list of subscribers to call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Subquery, delete, func, select

from regulars.store import bulk
from regulars.store.tables import members, subscription_plans, subscription_scores, subscriptions

COLUMNS = tuple(c.name for c in subscription_scores.columns)
SCORED = (
    "cancel_probability_30d",
    "cancel_probability_90d",
    "median_residual_days",
    "loyalty_index",
    "loyalty_band",
)


def contract_ids(connection: Connection) -> pd.DataFrame:
    """``id``, ``external_id`` and ``member_id`` (internal) of every contract."""
    rows = connection.execute(
        select(subscriptions.c.id, subscriptions.c.external_id, subscriptions.c.member_id)
    ).all()
    return pd.DataFrame(rows, columns=["id", "external_id", "member_id"])


def has_contracts(connection: Connection) -> bool:
    return connection.execute(select(subscriptions.c.id).limit(1)).first() is not None


def member_names(connection: Connection, external_ids: list[str]) -> dict[str, str | None]:
    """The name (or None) of each of the members not erased among ``external_ids``."""
    rows = connection.execute(
        select(members.c.external_id, members.c.name).where(
            bulk.among(connection, members.c.external_id, sorted(set(external_ids))),
            members.c.erased_at.is_(None),
        )
    ).all()
    return {str(external): name for external, name in rows}


def replace_all(connection: Connection, columns: Mapping[str, Any]) -> int:
    """Replace every row with ``columns`` (name -> values, the table's columns)."""
    connection.execute(delete(subscription_scores))
    return bulk.insert_rows(connection, subscription_scores, columns)


def _read(where: Any) -> Any:
    s = subscription_scores
    return (
        select(
            subscriptions.c.external_id.label("subscription"),
            members.c.external_id.label("member"),
            subscription_plans.c.code.label("plan"),
            subscriptions.c.monthly_fee,
            *(s.c[c] for c in COLUMNS if c not in ("subscription_id", "member_id")),
        )
        .join(subscriptions, subscriptions.c.id == s.c.subscription_id)
        .join(members, members.c.id == s.c.member_id)
        .join(subscription_plans, subscription_plans.c.id == subscriptions.c.plan_id)
        .where(where)
    )


def of_member(connection: Connection, external_id: str) -> list[dict[str, Any]]:
    """The member's scored contracts, by their id."""
    query = _read(members.c.external_id == external_id).order_by(subscriptions.c.external_id)
    return [dict(r) for r in connection.execute(query).mappings()]


def totals(connection: Connection) -> dict[str, Any]:
    """How many contracts were scored, when, and the monthly fee expected to cancel within
    30 and 90 days (sums of probability × fee)."""
    s = subscription_scores
    fee = subscriptions.c.monthly_fee
    row = connection.execute(
        select(
            func.count(),
            func.max(s.c.computed_at),
            func.max(s.c.as_of),
            func.sum(s.c.cancel_probability_30d),
            func.sum(s.c.cancel_probability_90d),
            func.sum(s.c.cancel_probability_30d * fee),
            func.sum(s.c.cancel_probability_90d * fee),
        ).join(subscriptions, subscriptions.c.id == s.c.subscription_id)
    ).one()
    return {
        "scored": int(row[0]),
        "computed_at": row[1],
        "as_of": row[2],
        "expected_cancellations_30d": float(row[3] or 0),
        "expected_cancellations_90d": float(row[4] or 0),
        "fee_at_risk_30d": float(row[5] or 0),
        "fee_at_risk_90d": float(row[6] or 0),
    }


def per_member() -> Subquery:
    """One row per member with scored contracts — the audiences' ``subscription_scores``
    source: of the member's active contracts the highest P(cancel in 30 and 90 days), the
    shortest median residual life and the lowest loyalty index."""
    s = subscription_scores
    return (
        select(
            s.c.member_id,
            func.max(s.c.cancel_probability_30d).label("cancel_probability_30d"),
            func.max(s.c.cancel_probability_90d).label("cancel_probability_90d"),
            func.min(s.c.median_residual_days).label("median_residual_days"),
            func.min(s.c.loyalty_index).label("loyalty_index"),
            func.count().label("scored_contracts"),
        )
        .group_by(s.c.member_id)
        .subquery("subscription_scores")
    )
