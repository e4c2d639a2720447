"""The two runners of the purchase rules agree: same good lines, same errors, same rows.

The rules live once, as data, in ``regulars.domain.purchases``; the vectorised runner
(``services.purchases.batch``, files and big batches) and the row runner
(``services.purchases.rows``, small API requests) both apply them. These tests hold the
two together three ways:

- on random lines, valid and not, both runners' checks return the very same good lines and
  the very same errors in the same order (no database; any rule one runner applies and the
  other does not shows up here as soon as a line breaks it);
- a rule added to the domain's tables reaches both runners (so neither keeps a copy);
- on random requests, two stores — one written as ``record_purchases`` writes (the row
  runner when it can read the request), the other always through the vectorised runner —
  hold the same rows after every request, and the reports agree.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import aliased

from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.domain import fields
from regulars.domain import purchases as rules
from regulars.domain.purchases import Given, LineRule, PurchaseKind, SalesChannel
from regulars.services.imports.checks import RowError, text_frame
from regulars.services.imports.report import ImportReport
from regulars.services.members import upsert_members
from regulars.services.purchases import batch, rows
from regulars.services.purchases import recording as purchase_service
from regulars.store.tables import (
    categories,
    employees,
    members,
    products,
    purchase_lines,
    purchases,
    stores,
)

TZ = "Asia/Seoul"
ZONES = [
    UTC,
    timezone(timedelta(hours=9)),
    timezone(timedelta(hours=-5, minutes=-30)),
    timezone(timedelta(hours=5, minutes=45)),
]
BIG = 2**53

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 1, 1))
aware = st.builds(lambda d, z: d.replace(tzinfo=z), moments, st.sampled_from(ZONES))
far = st.builds(
    lambda d, z: d.replace(tzinfo=z),
    st.datetimes(min_value=datetime(1678, 1, 1), max_value=datetime(2261, 12, 31)),
    st.sampled_from(ZONES),
)
pool = [f"P{i}" for i in range(12)]


def lines(products: list[str], quantities: Any, amounts: Any, numbers: Any) -> Any:
    return st.lists(
        st.fixed_dictionaries(
            {
                "product": st.sampled_from(products),
                "category": st.sampled_from([None, "coffee", "bakery", "Coffee"]),
                "quantity": quantities,
                "amount": amounts,
                "line_no": numbers,
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
            ["latte", "mocha", "beans"],
            st.sampled_from([None, 1, 2, -1]),
            st.integers(-500, 20_000),
            st.sampled_from([None]),
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
        "lines": lines(
            ["latte"], st.sampled_from([1, -2]), st.integers(-5_000, 5_000), st.sampled_from([None])
        ),
    }
)
# Anything else the API or a caller of the service may pass, as values the row runner
# reads (ints, times with an offset) ...
wild = st.fixed_dictionaries(
    {
        "purchase_id": st.sampled_from([*pool, " P1 ", "", "y" * 64, "y" * 65, "R1"]),
        "member_id": st.sampled_from([None, "M1", " M2", "unknown", "m" * 65]),
        "occurred_at": st.one_of(aware, far, st.none()),
        "store": st.sampled_from([None, "S1", "S2", "z" * 64, "z" * 65]),
        "channel": st.sampled_from([*SalesChannel, None, "", "WEB", "Phone", "fax"]),
        "employee": st.sampled_from([None, "E1", "e" * 65]),
        "kind": st.sampled_from([*PurchaseKind, None, "SALE", "Refund", "swap"]),
        "original_purchase_id": st.one_of(st.none(), st.sampled_from([*pool, "P99", "R1"])),
        "lines": lines(
            ["latte", "mocha", " latte ", "", "x" * 64, "x" * 65],
            st.sampled_from([None, 1, 0, -1, 2]) | st.just(0) | st.integers(-BIG, BIG),
            st.one_of(st.integers(-20_000, 20_000), st.integers(-BIG, BIG), st.none()),
            st.one_of(st.sampled_from([None, 1, 2, 0, -1]), st.integers(-BIG, BIG)),
        )
        | st.just([]),
    }
)
# ... and as values only the vectorised runner reads (text, naive times, other numbers).
foreign = st.builds(
    lambda purchase, at, quantity, amount: {
        **purchase,
        "occurred_at": at,
        "lines": [{**line, "quantity": quantity, "amount": amount} for line in purchase["lines"]],
    },
    wild,
    st.one_of(aware, moments, st.sampled_from(["2026-03-01T09:30:00+09:00", "yesterday"])),
    st.sampled_from([1, "2", True, 1.5]),
    st.sampled_from([500, "1,200", 2**60, None]),
)
requests = st.lists(plain, min_size=1, max_size=3) | st.lists(
    plain | wild | foreign, min_size=1, max_size=3
)


@st.composite
def line_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Lines as ``record_purchases`` makes them, then some cells changed at random — lines of
    one purchase that disagree, repeated or impossible line numbers and so on."""
    found, _ = purchase_service.lines_of(draw(requests))
    for _ in range(draw(st.integers(0, 3))):
        line = draw(st.sampled_from(found))
        name = draw(st.sampled_from(rules.COLUMNS))
        donor = draw(st.sampled_from(draw(st.one_of(plain, wild, foreign))["lines"] or [{}]))
        head = draw(wild)
        line[name] = donor.get(name) if name in rules.LINE else head[name]
    return found


def checked_by_both(found: list[dict[str, Any]]) -> tuple[Any, Any]:
    good, errors = batch.check_purchases(text_frame(found, rules.COLUMNS), TZ)
    vectorised = ([_plain(r) for r in good.to_dict("records")], errors)
    return rows.check_lines(found), vectorised


def _plain(record: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): None if v is not None and pd.isna(v) else v for k, v in record.items()}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line_lists())
def test_both_runners_give_the_same_good_lines_and_errors(found: list[dict[str, Any]]) -> None:
    if not rows.readable(found):
        return
    by_rows, vectorised = checked_by_both(found)
    assert by_rows[1] == vectorised[1]  # the same errors, in the same order
    assert by_rows[0] == vectorised[0]


def test_the_row_runner_reads_most_random_lines() -> None:
    """The comparison above has teeth only if it mostly runs: most lines are readable."""
    readable = []

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(line_lists())
    def collect(found: list[dict[str, Any]]) -> None:
        readable.append(rows.readable(found))

    collect()
    assert sum(readable) >= 0.5 * len(readable)


GOOD = {
    "purchase_id": "P1",
    "member_id": None,
    "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    "store": "S1",
    "channel": "store",
    "employee": None,
    "kind": "sale",
    "original_purchase_id": None,
    "line_no": 1,
    "product": "latte",
    "category": "coffee",
    "quantity": 1,
    "amount": 4500,
}
OTHER = {  # another value for every field
    "purchase_id": "P2",
    "member_id": "M1",
    "occurred_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    "store": "S2",
    "channel": "web",
    "employee": "E1",
    "kind": "refund",
    "original_purchase_id": "P0",
    "line_no": 2,
    "product": "mocha",
    "category": "bakery",
    "quantity": 2,
    "amount": 3500,
}


def every_rule() -> list[Any]:
    """One case per rule the domain states — built from its tables, so that a rule added
    there gets a case here: (lines, the field and reason both runners must report)."""
    cases = []
    for check, spec in fields.checks_in_order(rules.FIELDS):
        name = spec.name
        if check is fields.Check.REQUIRED:
            cases.append(([{**GOOD, name: None}], name, fields.REQUIRED))
        elif check is fields.Check.LENGTH:
            assert spec.max_length is not None
            too_long = "x" * (spec.max_length + 1)
            cases.append(([{**GOOD, name: too_long}], name, fields.too_long(spec.max_length)))
        elif check is fields.Check.CHOICE:
            cases.append(([{**GOOD, name: "nope"}], name, fields.not_one_of(spec.choices)))
        elif check is fields.Check.WHOLE:
            for reason, broken_by in spec.bounds():
                value = next(
                    v
                    for v in (0, -1, (spec.minimum or 0) - 1, (spec.maximum or 0) + 1)
                    if broken_by(v)
                )
                cases.append(([{**GOOD, name: value}], name, reason))
        # times given as text are read by the vectorised runner only (see rows.readable)
    for rule in rules.LINE_RULES:
        variants = [
            {**GOOD, "kind": kind, "original_purchase_id": original}
            for kind in ("sale", "refund")
            for original in (None, "P0", GOOD["purchase_id"])
        ]
        line = next(v for v in variants if rule.when.holds(v))
        cases.append(([line], rule.field, rule.reason))
    for name in rules.SHARED:
        cases.append(([GOOD, {**GOOD, "line_no": 2, name: OTHER[name]}], name, rules.DIFFERS))
    cases.append(([GOOD, GOOD], "line_no", rules.REPEATED_LINE))
    cases.append(
        ([GOOD, {**GOOD, "line_no": 2, "product": None}], "purchase_id", rules.sibling_rejected(2))
    )
    return cases


@pytest.mark.parametrize(("found", "field", "reason"), every_rule())
def test_every_rule_of_the_domain_is_applied_alike_by_both_runners(
    found: list[dict[str, Any]], field: str, reason: str
) -> None:
    assert rows.readable(found)
    by_rows, vectorised = checked_by_both(found)
    assert by_rows == vectorised
    assert (field, reason) in [(e.field, e.reason) for e in by_rows[1]]


EXTRA_RULE = LineRule("store", Given("employee"), "is not for purchases an employee rang up")


@pytest.mark.parametrize(
    "change",
    ["line rule", "shorter codes", "bounded amounts", "fewer kinds"],
)
def test_a_rule_added_to_the_domain_reaches_both_runners(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def field(name: str, **changes: Any) -> None:
        monkeypatch.setattr(
            rules,
            "FIELDS",
            tuple(dataclasses.replace(f, **changes) if f.name == name else f for f in rules.FIELDS),
        )

    head = {
        "purchase_id": "P1",
        "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "store": "S1",
        "employee": "E1",
        "kind": "refund",
        "original_purchase_id": "P0",
    }
    found = [
        {**head, "product": "latte", "amount": 4500, "quantity": 1, "line_no": 1},
        {**head, "product": "cold brew", "amount": 0, "quantity": 2, "line_no": 2},
    ]
    if change == "line rule":
        monkeypatch.setattr(rules, "LINE_RULES", (*rules.LINE_RULES, EXTRA_RULE))
        expected = (1, "store", "S1", EXTRA_RULE.reason)
    elif change == "shorter codes":
        field("product", max_length=5)
        expected = (2, "product", "cold brew", "is longer than 5 characters")
    elif change == "bounded amounts":
        field("amount", minimum=1)
        expected = (2, "amount", "0", "must be at least 1")
    else:
        field("kind", choices=("sale", "return"))
        expected = (1, "kind", "refund", "must be one of sale, return")
    by_rows, vectorised = checked_by_both(found)
    assert dataclasses.astuple(by_rows[1][0]) == expected
    assert by_rows == vectorised
    assert by_rows[0] == []  # all or nothing: the purchase's other line goes too


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
    errors: list[RowError] = report.errors
    return report.rows, report.added, report.already_present, errors


def test_the_row_runner_writes_what_the_vectorised_runner_writes(
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
    taken: list[tuple[bool, bool]] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(requests)
    def check(records: list[dict[str, Any]]) -> None:
        found, _ = purchase_service.lines_of(records)
        with fast.unit_of_work() as uow:
            report = purchase_service.record_lines(uow, found, TZ)  # as the API records them
            uow.commit()
        with reference.unit_of_work() as uow:
            expected = batch.record_lines(uow, found, TZ)
            uow.commit()
        taken.append((rows.readable(found), bool(report.errors)))
        assert outcome(report) == outcome(expected)
        assert snapshot(fast) == snapshot(reference)

    check()
    for app in apps:
        app.engine.dispose()
    # the comparison has teeth only if the row runner took a good share of the requests,
    # rejected lines among them
    assert sum(r for r, _ in taken) >= 100, f"row runner took {sum(r for r, _ in taken)}"
    assert sum(r and e for r, e in taken) >= 20
