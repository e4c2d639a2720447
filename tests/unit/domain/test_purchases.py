from datetime import UTC, datetime

from regulars.domain.fields import Check, Field, checks_in_order
from regulars.domain.purchases import (
    FIELDS,
    LINE_RULES,
    Purchase,
    PurchaseKind,
    PurchaseLine,
    signed,
    written_after_sales,
)


def test_refunds_and_returns_are_negative_whichever_sign_the_file_used() -> None:
    assert signed(PurchaseKind.SALE, 5000) == 5000
    assert signed(PurchaseKind.REFUND, 5000) == signed(PurchaseKind.REFUND, -5000) == -5000
    assert signed(PurchaseKind.RETURN, 2) == -2
    assert signed("refund", -2) == -2


def test_a_sale_line_is_stored_positive_as_production_stores_it_today() -> None:
    assert signed(PurchaseKind.SALE, -500) == 500


def test_total_is_the_sum_of_the_lines() -> None:
    purchase = Purchase(
        "P1",
        datetime(2026, 1, 1, tzinfo=UTC),
        lines=(
            PurchaseLine("latte", "coffee", 2, 10_000),
            PurchaseLine("muffin", "bakery", 1, 3_500),
        ),
    )
    assert purchase.total == 13_500


def test_sales_are_written_before_what_undoes_them() -> None:
    assert not written_after_sales("sale")
    assert written_after_sales("refund")
    assert written_after_sales("return")


def line(**given: object) -> dict[str, object]:
    return {"purchase_id": "P1", "kind": "sale", "original_purchase_id": None, **given}


def broken(**given: object) -> list[str]:
    return [rule.reason for rule in LINE_RULES if rule.when.holds(line(**given))]


def test_a_refund_names_its_original_and_a_sale_names_none() -> None:
    assert broken() == []
    assert broken(kind="refund") == ["is required for a refund or a return"]
    assert broken(kind="return", original_purchase_id="P0") == []
    assert broken(original_purchase_id="P0") == ["is only for refunds and returns"]
    assert broken(kind="refund", original_purchase_id="P1") == ["cannot be the purchase itself"]


def test_fields_are_checked_pass_by_pass_in_their_declared_order() -> None:
    order = checks_in_order(FIELDS)
    passes = [check for check, _ in order]
    assert passes == sorted(passes, key=list(Check).index)
    required = [f.name for check, f in order if check is Check.REQUIRED]
    assert required == ["purchase_id", "occurred_at", "product", "amount"]
    assert [f.name for check, f in order if check is Check.WHOLE] == [
        "quantity",
        "amount",
        "line_no",
    ]


def test_a_field_judges_one_value() -> None:
    kind = Field("kind", choices=("sale", "refund"), default="sale")
    assert kind.chosen("REFUND") == "refund"
    assert kind.chosen(None) == "sale"
    assert not kind.is_choice(kind.chosen("swap"))
    code = Field("store", max_length=3)
    assert code.is_too_long("S001")
    assert not code.is_too_long(None)
    number = Field("line_no", whole=True, minimum=1, nonzero=True)
    assert [reason for reason, broken_by in number.bounds() if broken_by(0)] == [
        "must be at least 1",
        "must not be zero",
    ]
