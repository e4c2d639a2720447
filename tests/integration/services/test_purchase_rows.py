"""The row-by-row path of small API writes writes exactly what the import path writes.

Two stores receive the same random requests, one through ``purchase_rows.write_if_plain``
(falling back to the import path as ``record_purchases`` does), the other always through
the import path's checks. After every request both stores and both reports must agree —
whether the request was plain, already present, or wrong in any of the ways the import
checks know.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import aliased

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.domain.purchases import PurchaseKind, SalesChannel
from regulars.services.imports.report import ImportReport
from regulars.services.members import upsert_members
from regulars.services.purchases import recording as purchase_service
from regulars.services.purchases import rows as purchase_rows
from regulars.store.tables import (
    categories,
    employees,
    members,
    products,
    purchase_lines,
    purchases,
    stores,
)

ZONES = [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))]

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 1, 1))
aware = st.builds(lambda d, z: d.replace(tzinfo=z), moments, st.sampled_from(ZONES))
pool = [f"P{i}" for i in range(12)]


def lines(products: list[str], quantities: list[Any], amounts: Any, numbers: list[Any]) -> Any:
    return st.lists(
        st.fixed_dictionaries(
            {
                "product": st.sampled_from(products),
                "category": st.sampled_from([None, "coffee", "bakery", "Coffee"]),
                "quantity": st.sampled_from(quantities),
                "amount": amounts,
                "line_no": st.sampled_from(numbers),
            }
        ),
        min_size=1,
        max_size=3,
    )


# What a till sends: valid in every field (though refunds may name sales not in the store).
plain = st.fixed_dictionaries(
    {
        "purchase_id": st.sampled_from(pool),
        "member_id": st.sampled_from([None, "M1", "M2", "M3"]),
        "occurred_at": aware,
        "store": st.sampled_from([None, "S1", "S2"]),
        "channel": st.sampled_from(list(SalesChannel)),
        "employee": st.sampled_from([None, "E1"]),
        "kind": st.just(PurchaseKind.SALE),
        "original_purchase_id": st.none(),
        "lines": lines(
            ["latte", "mocha", "beans"], [None, 1, 2, -1], st.integers(0, 20_000), [None]
        ),
    }
) | st.fixed_dictionaries(
    {
        "purchase_id": st.sampled_from([f"R{i}" for i in range(6)]),
        "member_id": st.sampled_from([None, "M1"]),
        "occurred_at": aware,
        "store": st.just("S1"),
        "channel": st.just(SalesChannel.STORE),
        "employee": st.none(),
        "kind": st.sampled_from([PurchaseKind.REFUND, PurchaseKind.RETURN]),
        "original_purchase_id": st.sampled_from(pool),
        "lines": lines(["latte"], [1], st.integers(-5_000, 5_000), [None]),
    }
)
# Anything else the API or a caller of the service may pass.
wild = st.fixed_dictionaries(
    {
        "purchase_id": st.sampled_from([*pool, " P1 ", "", "y" * 70]),
        "member_id": st.sampled_from([None, "M1", " M2", "unknown"]),
        "occurred_at": st.one_of(
            aware, moments, st.sampled_from(["2026-03-01T09:30:00+09:00", "yesterday"])
        ),
        "store": st.sampled_from([None, "S1", "S2", "z" * 70]),
        "channel": st.sampled_from([*SalesChannel, None, "WEB", "fax"]),
        "employee": st.sampled_from([None, "E1"]),
        "kind": st.sampled_from([*PurchaseKind, "SALE", "swap"]),
        "original_purchase_id": st.one_of(st.none(), st.sampled_from([*pool, "P99"])),
        "lines": lines(
            ["latte", "mocha", " latte ", "", "x" * 70],
            [None, 1, 0, "2"],
            st.one_of(st.integers(-20_000, 20_000), st.sampled_from([None, "1,200"])),
            [None, 1, 2],
        )
        | st.just([]),
    }
)
requests = st.lists(plain, min_size=1, max_size=3) | st.lists(plain | wild, min_size=1, max_size=3)


def snapshot(app: App) -> dict[str, Any]:
    """Everything the two paths write, by codes and external ids (not row ids)."""
    original = aliased(purchases)
    with app.engine.connect() as c:
        heads = c.execute(
            select(
                purchases.c.external_id,
                members.c.external_id,
                purchases.c.occurred_at,
                stores.c.code,
                purchases.c.channel,
                employees.c.code,
                purchases.c.kind,
                original.c.external_id,
                purchases.c.total_amount,
            )
            .outerjoin(members, members.c.id == purchases.c.member_id)
            .outerjoin(stores, stores.c.id == purchases.c.store_id)
            .outerjoin(employees, employees.c.id == purchases.c.employee_id)
            .outerjoin(original, original.c.id == purchases.c.original_id)
            .order_by(purchases.c.external_id)
        ).all()
        lines = c.execute(
            select(
                purchases.c.external_id,
                purchase_lines.c.line_no,
                products.c.code,
                categories.c.code,
                purchase_lines.c.quantity,
                purchase_lines.c.amount,
            )
            .join(purchases, purchases.c.id == purchase_lines.c.purchase_id)
            .join(products, products.c.id == purchase_lines.c.product_id)
            .outerjoin(categories, categories.c.id == purchase_lines.c.category_id)
            .order_by(purchases.c.external_id, purchase_lines.c.line_no)
        ).all()
        catalogue = {
            t.name: sorted(c.execute(select(t.c.code)).scalars()) for t in (stores, employees)
        }
        filed = c.execute(
            select(products.c.code, categories.c.code)
            .outerjoin(categories, categories.c.id == products.c.category_id)
            .order_by(products.c.code)
        ).all()
    return {"heads": heads, "lines": lines, "catalogue": catalogue, "products": filed}


def outcome(report: ImportReport) -> tuple[Any, ...]:
    errors = [(e.row, e.field, e.value, e.reason) for e in report.sorted_errors()]
    return report.rows, report.added, report.already_present, sorted(errors)


def test_plain_rows_write_what_the_import_path_writes(
    sqlite_template: Path, tmp_path: Path
) -> None:
    apps = []
    for name in ("rows", "checked"):
        path = tmp_path / f"{name}.db"
        shutil.copy(sqlite_template, path)
        app = build(Settings(database_url=f"sqlite:///{path}"), migrate_schema=False)
        with app.unit_of_work() as uow:
            upsert_members(uow, [{"member_id": m} for m in ("M1", "M2", "M3")], "UTC")
            uow.commit()
        apps.append(app)
    fast, reference = apps
    taken = []

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(requests)
    def check(records: list[dict[str, Any]]) -> None:
        with fast.unit_of_work() as uow:
            report = ImportReport(
                kind="purchases", rows=sum(len(r["lines"] or [{}]) for r in records)
            )
            plain = purchase_rows.write_if_plain(uow, records, report)
            if not plain:
                report = purchase_service._record_checked(uow, records, "Asia/Seoul")
            uow.commit()
        with reference.unit_of_work() as uow:
            expected = purchase_service._record_checked(uow, records, "Asia/Seoul")
            uow.commit()
        taken.append(plain)
        assert outcome(report) == outcome(expected)
        assert snapshot(fast) == snapshot(reference)

    check()
    for app in apps:
        app.engine.dispose()
    # the comparison has teeth only if the row path took a good share of the requests
    assert sum(taken) >= 40, f"row path taken {sum(taken)} times of {len(taken)}"
