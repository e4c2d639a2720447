"""One formatter for every value of the briefing: won without decimals, shares, NPS, days in
the business's time zone, intervals — in Korean and English — and catalogues that agree."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime

import pytest

from regulars.services.briefing.formatting import Formatter, catalogue, korean_particles
from regulars.services.briefing.values import (
    MISSING,
    Count,
    Day,
    Listing,
    Moment,
    Money,
    Month,
    Name,
    Percent,
    PercentPoints,
    PValue,
    Range,
    Rating,
    Score,
    Sentence,
    Term,
)

EN, KO = Formatter("en", "Asia/Seoul"), Formatter("ko", "Asia/Seoul")


def test_money_is_won_without_decimals() -> None:
    assert EN.format(Money(12_300)) == KO.format(Money(12_300)) == "₩12,300"
    assert EN.format(Money(-1_500)) == "-₩1,500"
    assert EN.format(Money(0)) == "₩0"
    assert Formatter("en", currency="USD").format(Money(12_345)) == "$123.45"


def test_shares_scores_and_intervals() -> None:
    assert EN.format(Percent(62.5)) == "62.5%"
    assert EN.format(Percent(5.04, signed=True)) == "+5.0%"
    assert EN.format(PercentPoints(-2.46)) == "-2.5 pp"
    assert KO.format(PercentPoints(-2.46)) == "-2.5%p"
    assert EN.format(Score(12.5)) == "13"  # half away from zero, not to even
    assert EN.format(Score(-12.5)) == "-13"
    assert EN.format(Score(3.2, signed=True)) == "+3"
    assert EN.format(Range(Score(-5.2), Score(11.4))) == "-5 to 11"
    assert KO.format(Range(Score(-5.2), Score(11.4))) == "-5~11"
    assert EN.format(Rating(2.94)) == "2.9"
    assert EN.format(PValue(0.0004)) == "< 0.001"
    assert EN.format(PValue(0.0342)) == "0.034"
    assert EN.format(Count(1_234_567)) == "1,234,567"
    assert EN.format(Percent(float("nan"))) == EN.format(MISSING) == "–"


def test_days_are_the_business_days() -> None:
    # 15:30 UTC on 31 October is already 1 November in Seoul
    moment = Moment(datetime(2026, 10, 31, 15, 30, tzinfo=UTC))
    assert EN.format(moment) == "1 Nov 2026"
    assert KO.format(moment) == "2026년 11월 1일"
    assert Formatter("en", "UTC").format(moment) == "31 Oct 2026"
    assert EN.format(Day(date(2026, 3, 9))) == "9 Mar 2026"
    assert KO.format(Month(date(2026, 3, 1))) == "2026년 3월"


def test_terms_and_lists() -> None:
    assert EN.format(Term("driver.service")) == "Service quality"
    assert KO.format(Term("driver.service")) == "서비스 품질"
    assert EN.format(Term("driver.ambience")) == "ambience"  # a driver the catalogue lacks
    listing = Listing(
        ((Name("김민준"), Money(120_000)), (Name("Jane"), Money(9_000)), (Name("박"), Money(1)))
    )
    assert EN.format(listing) == "김민준 (₩120,000), Jane (₩9,000) and 박 (₩1)"
    assert KO.format(listing) == "김민준(₩120,000), Jane(₩9,000), 박(₩1)"


def test_every_driver_the_demos_survey_is_named_in_both_languages() -> None:
    from regulars.demo import telecom

    for driver in telecom.DRIVERS:
        for words in (catalogue("en"), catalogue("ko")):
            assert f"driver.{driver}" in words, driver
    assert KO.format(Term("driver.network")) == "통신 품질"
    assert EN.format(Term("driver.network")) == "Network quality"


def test_korean_particles_follow_the_word_before() -> None:
    assert korean_particles("NPS가 21에서 24(으)로") == "NPS가 21에서 24로"  # 사
    assert korean_particles("₩9,040(으)로") == "₩9,040으로"  # 구천사십
    assert korean_particles("₩5,000(으)로") == "₩5,000으로"  # 오천
    assert korean_particles("17(으)로") == "17로"  # 칠: ㄹ takes 로
    assert korean_particles("서비스 품질은(는)") == "서비스 품질은"
    assert korean_particles("가격은(는) “고객 센터”을(를)") == "가격은 “고객 센터”를"
    assert korean_particles("Jane은(는)") == "Jane은(는)"  # not Korean: both forms stay
    sentence = Sentence(
        "summary.fix.first",
        {"driver": Term("driver.price"), "satisfaction": Rating(2.9), "share": Percent(30.0)},
    )
    assert KO.say(sentence).startswith("가격은 중요하지만")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    en, ko = catalogue("en"), catalogue("ko")
    assert set(en) == set(ko)
    for key in en:
        assert _placeholders(en[key]) == _placeholders(ko[key]), key


def test_every_sentence_and_heading_key_in_the_code_is_in_the_catalogue() -> None:
    """The keys the views write (``summary.nps.rose``, ``column.answers``…) exist; a key a
    catalogue lacks would show on the page as itself."""
    from pathlib import Path

    import regulars.services.briefing as package

    words = catalogue("en")
    source = "\n".join(p.read_text("utf-8") for p in Path(package.__file__).parent.glob("*.py"))
    keys = set(
        re.findall(
            r'"((?:summary|column|fact|tile|section|chart|axis|points|vouchers|word|notes|page|part|empty|program)\.[a-z_.]+)"',
            source,
        )
    )
    assert len(keys) > 100
    missing = sorted(
        k for k in keys if k not in words and not any(w.startswith(k + ".") for w in words)
    )
    assert not missing


@pytest.mark.parametrize("language", ["fr", ""])
def test_a_language_we_do_not_speak_is_refused(language: str) -> None:
    with pytest.raises(ValueError, match="must be one of ko, en"):
        Formatter(language)
