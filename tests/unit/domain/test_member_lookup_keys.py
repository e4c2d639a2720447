"""How a phone number, an e-mail and a card number are normalised to be looked up by."""

from __future__ import annotations

import pytest

from regulars.domain.members import card_key, email_key, phone_key


@pytest.mark.parametrize(
    "written",
    [
        "010-1234-5678",
        "01012345678",
        "010 1234 5678",
        "010.1234.5678",
        "(010) 1234-5678",
        "+82 10-1234-5678",
        "+821012345678",
        "+82-010-1234-5678",
        "+82 (0)10 1234 5678",
        "0082 10 1234 5678",
        "82-10-1234-5678",
        " 010-1234-5678 ",
    ],
)
def test_every_way_a_korean_mobile_number_is_written_gives_the_same_key(written: str) -> None:
    assert phone_key(written) == "01012345678"


def test_landlines_and_foreign_numbers_keep_what_tells_them_apart() -> None:
    assert phone_key("02-123-4567") == "021234567"
    assert phone_key("+82 2 123 4567") == "021234567"
    assert phone_key("031-123-4567") == "0311234567"
    assert phone_key("+1 (415) 555-0100") == "+14155550100"
    assert phone_key("001 415 555 0100") == "+14155550100"
    assert phone_key("+81 3-1234-5678") != phone_key("03-1234-5678")


def test_nothing_to_dial_has_no_key() -> None:
    assert phone_key(None) is None
    assert phone_key("") is None
    assert phone_key(" - ") is None


def test_emails_are_found_without_case_and_cards_without_their_print_spacing() -> None:
    assert email_key("  Kim.MinJun@Example.COM ") == "kim.minjun@example.com"
    assert email_key("   ") is None
    assert card_key("1234 5678-9012 ab") == "123456789012AB"
    assert card_key("--") is None
