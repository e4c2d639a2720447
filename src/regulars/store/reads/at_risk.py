"""What the at-risk views add to the scores: totals over every member, and where and when
the members to call last bought.

The scores themselves (ranked lists) are :mod:`regulars.store.scores`; this module sums them
and finds each listed member's home store — the store of most of their purchases, the
latest one on a tie (the definition the staff tasks use) — and their last purchase.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from regulars.store.bulk import among
from regulars.store.tables import member_scores, members, purchases, stores


def risk_totals(connection: Connection, lost_below: float) -> dict[str, Any]:
    """Over every scored member not erased: how many, their lifetime value and value at risk,
    when they were scored and for what horizon; and how many are *lost* (P(alive) below
    ``lost_below``, last purchase within the horizon) with their past value (net spend)."""
    s = member_scores.c
    alive = members.c.erased_at.is_(None)
    totals = (
        connection.execute(
            select(
                func.count().label("scored"),
                func.coalesce(func.sum(s.clv), 0).label("clv"),
                func.coalesce(func.sum(s.value_at_risk), 0).label("value_at_risk"),
                func.max(s.computed_at).label("computed_at"),
                func.max(s.horizon_days).label("horizon_days"),
            )
            .join(members, members.c.id == s.member_id)
            .where(alive)
        )
        .mappings()
        .one()
    )
    spend = (
        select(purchases.c.member_id, func.sum(purchases.c.total_amount).label("past_value"))
        .where(purchases.c.member_id.is_not(None))
        .group_by(purchases.c.member_id)
        .subquery("spend")
    )
    lost = (
        connection.execute(
            select(
                func.count().label("lost"),
                func.coalesce(func.sum(spend.c.past_value), 0).label("lost_past_value"),
            )
            .select_from(member_scores)
            .join(members, members.c.id == s.member_id)
            .outerjoin(spend, spend.c.member_id == s.member_id)
            .where(
                alive,
                s.probability_alive < lost_below,
                s.age_days - s.recency_days <= s.horizon_days,
            )
        )
        .mappings()
        .one()
    )
    return {
        "scored": int(totals["scored"]),
        "clv": int(totals["clv"]),
        "value_at_risk": int(totals["value_at_risk"]),
        "computed_at": totals["computed_at"],
        "horizon_days": None if totals["horizon_days"] is None else int(totals["horizon_days"]),
        "lost": int(lost["lost"]),
        "lost_past_value": int(lost["lost_past_value"]),
    }


def where_and_when(
    connection: Connection, external_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """For each member (by the business's id): ``home_store`` (name, None without a store),
    ``home_store_code`` and ``last_purchase`` (their latest sale, UTC)."""
    wanted = sorted(set(external_ids))
    if not wanted:
        return {}
    ids = dict(
        connection.execute(
            select(members.c.id, members.c.external_id).where(
                among(connection, members.c.external_id, wanted)
            )
        ).all()
    )
    if not ids:
        return {}
    p = purchases.c
    sale = p.kind == "sale"
    per_store = connection.execute(
        select(
            p.member_id,
            p.store_id,
            func.count().label("n"),
            func.max(p.occurred_at).label("latest"),
        )
        .where(among(connection, p.member_id, list(ids)), sale)
        .group_by(p.member_id, p.store_id)
    ).all()
    store_names = {
        row.id: (row.code, row.name)
        for row in connection.execute(select(stores.c.id, stores.c.code, stores.c.name))
    }
    found: dict[str, dict[str, Any]] = {
        external: {"home_store": None, "home_store_code": None, "last_purchase": None}
        for external in ids.values()
    }
    best: dict[int, tuple[int, Any]] = {}
    for member_id, store_id, n, latest in per_store:
        entry = found[ids[member_id]]
        if entry["last_purchase"] is None or latest > entry["last_purchase"]:
            entry["last_purchase"] = latest
        if store_id is None:
            continue
        if member_id not in best or (n, latest) > best[member_id]:
            best[member_id] = (n, latest)
            code, name = store_names.get(store_id, (None, None))
            entry["home_store_code"], entry["home_store"] = code, name
    return found
