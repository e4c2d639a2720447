"""A negative line on a sale is a discount, whichever way it comes in — the API's row runner,
its vectorised runner (a time without an offset), a purchases file — and every figure built
on purchases treats it so: the total and the points base, net spend, the average check, RFM's
monetary value, the CLV summary, cross-category buying. Refunds keep their own sign rule
(stored negative, written either way). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.analytics import behaviour
from regulars.analytics.clv.summary import summarise
from regulars.api import create_api
from regulars.bootstrap import App
from regulars.services import api_keys
from regulars.services.analytics import load_inputs
from regulars.services.imports.files import import_file
from regulars.services.loyalty.programs import install_program
from regulars.services.members import upsert_members
from regulars.store.reads.clv_summary import StoreEngine
from regulars.store.tables import purchase_lines, purchases

TZ = "Asia/Seoul"
POINTS = {"code": "cash", "kind": "points", "points": {"earn": {"points": 1, "per_amount": 10}}}
COFFEE = {"product": "latte", "category": "coffee", "quantity": 2, "amount": 10000}
COUPON = {"product": "coupon", "category": "coupons", "amount": -2000}


def sale(purchase_id: str, member: str, occurred_at: str) -> dict[str, object]:
    return {
        "purchase_id": purchase_id,
        "member_id": member,
        "occurred_at": occurred_at,
        "store": "S01",
        "lines": [COFFEE, COUPON],
    }


def test_a_discount_line_lowers_every_figure_whichever_way_it_comes_in(
    app: App, tmp_path: Path
) -> None:
    with app.unit_of_work() as uow:
        install_program(uow, POINTS)
        upsert_members(uow, [{"member_id": m} for m in ("API", "NAIVE", "FILE")], TZ)
        token, _ = api_keys.create(uow, "till", "pos")
        uow.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_api(app)) as client:
        # The row runner: an aware time.
        rows = client.post(
            "/v1/purchases", headers=headers, json=sale("A1", "API", "2026-03-02T09:00:00+09:00")
        )
        assert rows.status_code == 201, rows.text
        # The vectorised runner: a time without an offset is read in REGULARS_TIMEZONE.
        naive = client.post(
            "/v1/purchases", headers=headers, json=sale("N1", "NAIVE", "2026-03-02T09:00:00")
        )
        assert naive.status_code == 201, naive.text
        for answer in (rows.json(), naive.json()):
            assert answer["total_amount"] == 8000
            assert [line["amount"] for line in answer["lines"]] == [10000, -2000]
            (points,) = answer["loyalty"]
            assert points["points"] == 800  # on what the member paid, not on 10,000
        # A refund written positive is stored negative: refunds keep their own sign rule.
        refund = {
            "purchase_id": "R1",
            "member_id": "API",
            "occurred_at": "2026-03-03T09:00:00+09:00",
            "kind": "refund",
            "original_purchase_id": "A1",
            "lines": [{"product": "latte", "category": "coffee", "amount": 4000}],
        }
        refunded = client.post("/v1/purchases", headers=headers, json=refund)
        assert refunded.status_code == 201, refunded.text
        assert refunded.json()["total_amount"] == -4000
        assert refunded.json()["loyalty"][0]["points"] == -400  # half the sale: half its points
    file = tmp_path / "purchases.csv"
    file.write_text(
        "purchase_id,member_id,occurred_at,product,category,quantity,amount\n"
        "F1,FILE,2026-03-02T09:00:00,latte,coffee,2,10000\n"
        "F1,FILE,2026-03-02T09:00:00,coupon,coupons,1,-2000\n"
    )
    report = import_file("purchases", file, app.run_committed, timezone=TZ)
    assert report.added == 1, report.errors
    with app.engine.connect() as connection:
        heads = connection.execute(select(purchases.c.external_id, purchases.c.total_amount))
        totals = {str(row[0]): int(row[1]) for row in heads}
        amounts = sorted(connection.execute(select(purchase_lines.c.amount)).scalars())
    assert totals == {"A1": 8000, "N1": 8000, "F1": 8000, "R1": -4000}
    assert amounts == [-4000, -2000, -2000, -2000, 10000, 10000, 10000]

    with app.unit_of_work() as uow:
        inputs = load_inputs(uow, as_of=date(2026, 3, 31))
        engine = StoreEngine(uow.connection)
        net_sales = engine.query(engine.source())
        clv = summarise(engine, datetime(2026, 3, 31, tzinfo=UTC), 9)
    summary = inputs.summary.set_index("member_id")
    # Net spend: what the members paid (less the refund), never the list prices.
    assert summary.loc["NAIVE", "net_spend"] == summary.loc["FILE", "net_spend"] == 8000
    assert summary.loc["API", "net_spend"] == 4000
    # A coupon is no category bought: cross-purchases count coffee only.
    assert set(summary["categories"]) == {1}
    checks = behaviour.average_check(inputs.months)
    march = checks[checks["period"] == date(2026, 3, 1)].iloc[0]
    assert march["purchases"] == 3
    assert march["average_check"] == (8000 + 8000 + 8000 - 4000) / 3
    monetary = behaviour.rfm(inputs.summary, date(2026, 3, 31)).set_index("member_id")["monetary"]
    assert monetary.to_dict() == {"API": 4000, "NAIVE": 8000, "FILE": 8000}
    # The CLV summary reads each sale net of its discount and refunds: what it spends from.
    assert sorted(net_sales["amount"].astype(int)) == [4000, 8000, 8000]
    assert len(clv) == 3
