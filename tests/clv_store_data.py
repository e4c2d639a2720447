"""Purchases (with refunds) of simulated members, written into a store for the CLV tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from regulars.analytics.clv.simulation import simulate_transactions
from regulars.bootstrap import App
from regulars.store.tables import members, purchases

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)


def seed_store(app: App, n: int = 150) -> pd.DataFrame:
    """Members and purchases in the store (with refunds); returns the purchases, net, as the
    summary's definition says they count: member's internal id, time, net amount > 0."""
    tx = simulate_transactions(n, START, END, r=1.5, alpha=20.0, seed=7)
    rng = np.random.default_rng(8)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with app.unit_of_work() as uow:
        uow.connection.execute(
            insert(members),
            [
                {
                    "external_id": f"M{i:04d}",
                    "name": f"Member {i}",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, n + 1)
            ],
        )
        ids = dict(uow.connection.execute(select(members.c.external_id, members.c.id)).all())
        member_id = tx["member_id"].map(lambda i: ids[f"M{i:04d}"]).to_numpy()
        occurred = tx["occurred_at"].dt.to_pydatetime()
        sales = [
            {
                "external_id": f"S{k}",
                "member_id": int(member_id[k]),
                "occurred_at": occurred[k],
                "channel": "store",
                "kind": "sale",
                "total_amount": int(tx["amount"].iat[k]),
            }
            for k in range(len(tx))
        ]
        uow.connection.execute(insert(purchases), sales)
        sale_ids = dict(
            uow.connection.execute(select(purchases.c.external_id, purchases.c.id)).all()
        )
        # Refund some sales in part, some in full (a full refund removes the purchase), and
        # some twice; one refund comes after the end of the observation.
        refunded = rng.choice(len(tx), size=len(tx) // 10, replace=False)
        net = tx["amount"].to_numpy().copy()
        refunds = []
        for j, k in enumerate(refunded):
            amount = int(net[k]) if j % 3 == 0 else int(net[k] // 4)
            net[k] -= amount
            when = END + timedelta(days=3) if j == 0 else occurred[k] + timedelta(hours=2)
            refunds.append(
                {
                    "external_id": f"R{k}",
                    "member_id": int(member_id[k]),
                    "occurred_at": when,
                    "channel": "store",
                    "kind": "refund" if j % 2 else "return",
                    "original_id": sale_ids[f"S{k}"],
                    "total_amount": -amount,
                }
            )
        uow.connection.execute(insert(purchases), refunds)
        # An anonymous sale never counts.
        uow.connection.execute(
            insert(purchases),
            [
                {
                    "external_id": "ANON",
                    "member_id": None,
                    "occurred_at": START,
                    "channel": "store",
                    "kind": "sale",
                    "total_amount": 999,
                }
            ],
        )
        uow.commit()
    frame = pd.DataFrame({"member_id": member_id, "occurred_at": tx["occurred_at"], "amount": net})
    return frame[frame["amount"] > 0].reset_index(drop=True)
