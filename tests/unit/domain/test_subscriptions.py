"""The rules of contracts and their exit survey, as the domain states them."""

from __future__ import annotations

from datetime import date

import pytest

from regulars.domain.subscriptions import contracts, exits, tenure
from regulars.domain.subscriptions.contracts import CancelReason


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 1, 31), date(2026, 3, 31), 2),
        (date(2026, 3, 10), date(2026, 3, 25), 0),
        (date(2025, 12, 15), date(2026, 1, 15), 1),
        (date(2024, 2, 29), date(2025, 2, 28), 11),
    ],
)
def test_whole_months_count_anniversaries_of_the_start(start: date, end: date, months: int) -> None:
    assert tenure.whole_months(start, end) == months


def test_age_bands_cover_every_age() -> None:
    assert [tenure.age_band(a) for a in (0, 24, 25, 34, 35, 64, 65, 120)] == [
        "under_25",
        "under_25",
        "25_34",
        "25_34",
        "35_44",
        "55_64",
        "65_plus",
        "65_plus",
    ]
    assert tenure.whole_years(date(2000, 2, 29), date(2026, 2, 28)) == 25


def test_the_exit_reasons_are_the_members_reasons_without_non_payment() -> None:
    assert tuple(r.value for r in exits.ExitReason) == exits.CHOICES
    assert CancelReason.NON_PAYMENT not in contracts.EXIT_REASONS
    with pytest.raises(ValueError, match="reason"):
        exits.ExitAnswer(CancelReason.NON_PAYMENT)


def test_the_exit_form_is_read_with_its_problems() -> None:
    answer, problems = exits.read_exit_form(
        {"exit_reason": "Moving", "exit_comment": "  " + "x" * 6000, "exit_competitor": ""}
    )
    assert problems == {}
    assert answer is not None
    assert (answer.reason, answer.competitor) == (CancelReason.MOVING, None)
    assert answer.comment == "x" * exits.MAX_COMMENT
    assert exits.read_exit_form({"exit_reason": "non_payment"}) == (
        None,
        {"exit_reason": "error_choice"},
    )
