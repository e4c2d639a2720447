from datetime import UTC, datetime

from regulars.domain.purchases import Purchase, PurchaseKind, PurchaseLine, signed


def test_refunds_and_returns_are_negative_whichever_sign_the_file_used() -> None:
    assert signed(PurchaseKind.SALE, 5000) == 5000
    assert signed(PurchaseKind.REFUND, 5000) == signed(PurchaseKind.REFUND, -5000) == -5000
    assert signed(PurchaseKind.RETURN, 2) == -2


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
