"""The bigrams a member is found by part of their name (domain/member_names.py)."""

from __future__ import annotations

from regulars.domain.member_names import name_grams, name_key, query_grams


def test_a_korean_given_name_is_one_bigram_of_the_full_name() -> None:
    assert query_grams("민준") <= name_grams("김민준")
    assert query_grams("민준") <= name_grams("박 민준")
    assert not query_grams("민준") <= name_grams("김민서")


def test_folding_makes_case_width_and_spaces_not_matter() -> None:
    assert name_key("Ｊａｎｅ  LEE") == "janelee"  # full-width letters fold (NFKC)
    assert query_grams("ane l") <= name_grams("Jane Lee")


def test_too_short_queries_have_no_grams() -> None:
    assert query_grams("민") == set()
    assert query_grams("  ") == set()
    assert name_grams("") == set()
