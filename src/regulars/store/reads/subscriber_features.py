"""The store as an engine for the subscription features (SQLite or PostgreSQL).

:func:`regulars.analytics.subscriptions.features.subscriber_features` writes the feature
SQL over the relations an engine names; this engine names them over the store's tables —
the business's own ids and codes, as the files hold them — and runs the query on the
caller's connection, so the per-bill work stays in the database. DuckDB and Spark engines
are in :mod:`regulars.analytics.subscriptions.engines`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text

from regulars.store.reads.clv_summary import StoreEngine

RELATIONS = {
    "contracts": (
        "SELECT s.external_id AS subscription_id, m.external_id AS member_id, p.code AS plan, "
        "s.monthly_fee, s.started_on, s.committed_until, s.cancelled_on, s.cancel_reason "
        "FROM subscriptions s JOIN members m ON m.id = s.member_id "
        "JOIN subscription_plans p ON p.id = s.plan_id"
    ),
    "plan_changes": (
        "SELECT pc.external_id AS change_id, s.external_id AS subscription_id, pc.changed_on, "
        "fp.code AS from_plan, tp.code AS to_plan, pc.fee_before, pc.fee_after "
        "FROM subscription_plan_changes pc JOIN subscriptions s ON s.id = pc.subscription_id "
        "JOIN subscription_plans fp ON fp.id = pc.from_plan_id "
        "JOIN subscription_plans tp ON tp.id = pc.to_plan_id"
    ),
    "bills": (
        "SELECT s.external_id AS subscription_id, b.month, b.amount, b.data_gb, "
        "b.voice_minutes, b.usage FROM subscription_bills b "
        "JOIN subscriptions s ON s.id = b.subscription_id"
    ),
    "members": "SELECT external_id AS member_id, segment, birth_date FROM members",
    "answers": (
        "SELECT a.response_id, m.external_id AS member_id, a.question, "
        "CASE WHEN a.question IN ('driver_rating', 'driver_importance') THEN a.subject END "
        "AS driver, a.value, a.collected_at "
        "FROM survey_answers a JOIN members m ON m.id = a.member_id"
    ),
    "cases": (
        "SELECT m.external_id AS member_id, f.opened_at "
        "FROM feedback_cases f JOIN members m ON m.id = f.member_id"
    ),
}
"""Each relation of :data:`regulars.analytics.subscriptions.features.RELATIONS` over the
store's tables."""


@dataclass
class StoreSubscriptions(StoreEngine):
    """The regulars store (SQLite or PostgreSQL), on the caller's connection (its dialect as
    the CLV summary's store engine reads it)."""

    def relation(self, name: str) -> str:
        return RELATIONS[name]

    def query(self, sql: str) -> pd.DataFrame:
        # a colon in a literal (a driver's name) is text, not a bound parameter
        result = self.connection.execute(text(sql.replace(":", "\\:")))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
