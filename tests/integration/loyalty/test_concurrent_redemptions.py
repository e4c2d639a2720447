"""64 redemptions race against one balance: exactly as many succeed as the balance allows,
none is spent twice, and no deadlock or serialisation error reaches a caller.

Each thread has its own connection (a pool of 64) and its own unit of work, released by a
barrier at the same instant. Runs on PostgreSQL (row lock on the account) and SQLite (the
account lock opens the write transaction; the busy timeout queues the writers).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty.programs import install_program
from regulars.services.loyalty.verify import verify_ledger
from regulars.services.members import upsert_members
from regulars.store.database import connect
from regulars.store.tables import ledger_entries, ledger_transactions, points_lots
from regulars.store.unit_of_work import UnitOfWork

CLIENTS = 64
BALANCE = 1000
COST = 30
RACE = {
    "code": "race",
    "kind": "points",
    "points": {"earn": {"points": 1, "per_amount": 100}, "redeem": {"min_points": 1}},
}


def test_64_concurrent_redemptions_never_overspend(app: App) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with app.unit_of_work() as uow:
        install_program(uow, RACE)
        upsert_members(uow, [{"member_id": "M1"}], "UTC")
        uow.commit()
    with app.unit_of_work() as uow:  # three lots, so spends cross lot boundaries
        for points in (400, 350, 250):
            loyalty.adjust(uow, "M1", "race", points, "opening balance", "test", now=now)
        uow.commit()

    engine = connect(str(app.engine.url.render_as_string(hide_password=False)), pool_size=CLIENTS)
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(i: int) -> None:
        barrier.wait()
        try:
            with UnitOfWork(engine) as uow:
                loyalty.redeem_points(uow, "M1", "race", COST, f"order-{i}", now=now)
                uow.commit()
            result = "ok"
        except loyalty.NotEnoughPoints:
            result = "refused"
        except Exception as error:  # anything else (deadlock, serialisation) is a failure
            result = f"error: {type(error).__name__}: {error}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()

    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("ok") == BALANCE // COST
    assert outcomes.count("refused") == CLIENTS - BALANCE // COST
    with app.unit_of_work() as uow:
        view = loyalty.balances(uow, "M1")["programs"][0]
    assert view["balance"] == view["spendable"] == BALANCE - (BALANCE // COST) * COST
    with app.engine.connect() as c:
        redeemed = c.execute(
            select(func.count()).where(ledger_transactions.c.kind == "redeem")
        ).scalar()
        assert redeemed == BALANCE // COST
        assert c.execute(select(func.sum(ledger_entries.c.points))).scalar() == 0
        assert c.execute(select(func.min(points_lots.c.remaining))).scalar() >= 0
    with app.unit_of_work() as uow:  # the invariant check finance runs: no drift anywhere
        report = verify_ledger(uow)
    assert report["clean"], report
