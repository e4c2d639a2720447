"""How every value of a view is written, in one place, in Korean or English.

:class:`Formatter` turns the typed values of :mod:`regulars.services.briefing.values` into
text for one language, time zone and currency: money as ₩12,300 (no decimals for won),
shares as 62.5%, an NPS as 24 (a change as +3), a day as 3 Nov 2026 or 2026년 11월 3일
in the business's time zone, an interval as "15 to 33" / "15~33". Words come from the
catalogues ``catalogues/{ko,en}.yaml`` (the same keys in both; a test checks). The report page
and the staff console both format through it, so a figure reads the same everywhere.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from regulars.services.briefing.values import (
    Column,
    Count,
    Day,
    Listing,
    Missing,
    Moment,
    Money,
    Month,
    Name,
    Number,
    Percent,
    PercentPoints,
    Points,
    PValue,
    Quotes,
    Range,
    Rating,
    Score,
    Sentence,
    Term,
    Value,
    rounded,
)

LANGUAGES = ("ko", "en")
CURRENCIES: dict[str, tuple[str, int]] = {
    "KRW": ("₩", 0),
    "JPY": ("¥", 0),
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
}
"""Symbol and decimals (minor units per unit = 10**decimals) of the currencies we name."""
DASH = "–"
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalogue(language: str) -> dict[str, str]:
    """The words of ``language``: the nested keys of its YAML file, joined by dots."""
    text = resources.files("regulars.services.briefing").joinpath(f"catalogues/{language}.yaml")
    return _flatten(yaml.safe_load(text.read_text("utf-8")))


def check_language(language: str) -> str:
    """``language`` if the briefing speaks it; a ValueError saying which it speaks if not."""
    if language not in LANGUAGES:
        raise ValueError(
            f"the report's language must be one of {', '.join(LANGUAGES)}, not {language!r}"
        )
    return language


class Formatter:
    """Values as text in one ``language`` (ko | en), ``timezone`` and ``currency``."""

    def __init__(self, language: str, timezone: str = "Asia/Seoul", currency: str = "KRW") -> None:
        self.language = check_language(language)
        self.zone = ZoneInfo(timezone)
        self.currency = currency
        self.words = catalogue(self.language)

    # words
    def t(self, key: str, **values: Any) -> str:
        """The catalogue's text for ``key`` with its ``{placeholders}`` filled (the key itself
        when the catalogue lacks it, so a missing word shows rather than breaks the page)."""
        text = self.words.get(key, key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.words

    def heading(self, column: Column) -> str:
        return self.t(column.key, n=column.n) if column.n is not None else self.t(column.key)

    def say(self, sentence: Sentence) -> str:
        """A sentence with each of its values formatted (in Korean, with the particles that
        fit the words before them: :func:`korean_particles`)."""
        text = self.t(sentence.key, **{k: self.format(v) for k, v in sentence.values.items()})
        return korean_particles(text) if self.language == "ko" else text

    # values
    def format(self, value: Value) -> str:
        match value:
            case Money(amount):
                return self.money(amount)
            case Points(points):
                return f"{points:,}"
            case Count(n):
                return f"{n:,}"
            case Percent(share, signed):
                if not _finite(share):
                    return DASH
                return f"{share:+.1f}%" if signed else f"{share:.1f}%"
            case PercentPoints(change):
                if not _finite(change):
                    return DASH
                return self.t("format.percent_points", value=f"{change:+.1f}")
            case Score(score, signed):
                if not _finite(score):
                    return DASH
                whole = rounded(score)
                return f"{whole:+d}" if signed and whole else f"{whole:d}"
            case Rating(rating):
                return f"{rating:.1f}" if _finite(rating) else DASH
            case Number(number, decimals):
                return f"{number:,.{decimals}f}" if _finite(number) else DASH
            case PValue(p):
                if not _finite(p):
                    return DASH
                return "< 0.001" if p < 0.001 else f"{p:.2g}"
            case Range(low, high):
                return self.t("format.range", low=self.format(low), high=self.format(high))
            case Day(day):
                return self.day(day)
            case Month(month):
                return self.month(month)
            case Moment(moment):
                return self.day(moment.astimezone(self.zone).date())
            case Name(text):
                return text
            case Term(key):
                return self.t(key) if self.has(key) else key.rsplit(".", 1)[-1]
            case Quotes(texts):
                return " · ".join(f"“{text}”" for text in texts)
            case Listing(items):
                parts = [
                    self.t("format.listed", name=self.format(a), value=self.format(b))
                    for a, b in items
                ]
                if len(parts) < 2:
                    return "".join(parts)
                return self.t("format.and", rest=", ".join(parts[:-1]), last=parts[-1])
            case Missing():
                return DASH
        return str(value)

    def format_term(self, key: str) -> str:
        return self.format(Term(key))

    @property
    def symbol(self) -> str:
        """The currency's symbol (``₩``), or its code and a space."""
        return CURRENCIES.get(self.currency, (f"{self.currency} ", 2))[0]

    def money(self, amount: int) -> str:
        """``₩12,300`` (won have no minor unit); other currencies by their decimals."""
        symbol, decimals = CURRENCIES.get(self.currency, (f"{self.currency} ", 2))
        sign = "-" if amount < 0 else ""
        units = abs(amount) / 10**decimals
        return f"{sign}{symbol}{units:,.{decimals}f}"

    def format_moment(self, moment: datetime) -> str:
        """A day and time in the business's time zone: 4 Dec 2026, 12:05."""
        local = moment.astimezone(self.zone)
        return (
            f"{self.day(local.date())} {local:%H:%M}"
            if self.language == "ko"
            else f"{self.day(local.date())}, {local:%H:%M}"
        )

    def month(self, month: date) -> str:
        if self.language == "ko":
            return f"{month.year}년 {month.month}월"
        return f"{MONTHS_EN[month.month - 1]} {month.year}"

    def day(self, day: date) -> str:
        if self.language == "ko":
            return f"{day.year}년 {day.month}월 {day.day}일"
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


PARTICLES = {
    "은(는)": ("은", "는"),
    "이(가)": ("이", "가"),
    "을(를)": ("을", "를"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(으)로": ("으로", "로"),
    "(이)다": ("이다", "다"),
}
_PARTICLE = re.compile("|".join(re.escape(p) for p in PARTICLES))
_CLOSING = "”’\"')]}%"
DIGIT_FINALS = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
"""The final consonant (jongseong index; 0 none, 8 ㄹ) of each digit read in Sino-Korean:
영 일 이 삼 사 오 육 칠 팔 구."""
ZERO_FINALS = {1: 17, 2: 1, 3: 4, 4: 4}
"""… and of the unit a number ending in zeros is read with: 십 (ㅂ), 백 (ㄱ), 천 (ㄴ), 만 (ㄴ)."""


def _final(word: str) -> int | None:
    """The final consonant of how ``word`` ends when read aloud (None: not Korean or a
    number — a Latin name, say — so the particle is left with both forms)."""
    end = word.rstrip(_CLOSING)
    if not end:
        return None
    last = end[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28
    if last == "%":
        return 0  # 퍼센트
    if last.isdigit():
        digits = "".join(c for c in end.split()[-1] if c.isdigit())
        stripped = digits.rstrip("0")
        zeros = len(digits) - len(stripped)
        if not stripped:
            return DIGIT_FINALS["0"]
        if zeros:
            return ZERO_FINALS.get(zeros % 4 or 4, 4) if zeros < 4 else 4
        return DIGIT_FINALS[stripped[-1]]
    return None


def korean_particles(text: str) -> str:
    """Choose each written-both-ways particle by the word before it: "서비스 품질은(는)" becomes
    "서비스 품질은", "15(으)로" "15로", "₩9,040(으)로" "₩9,040으로" (사십); after a word that
    is not Korean or a number the particle keeps both forms.

    >>> korean_particles("NPS가 27에서 15(으)로, 서비스 품질은(는) “고객 센터”을(를)")
    'NPS가 27에서 15로, 서비스 품질은 “고객 센터”를'
    """

    def choose(match: re.Match[str]) -> str:
        final = _final(text[: match.start()].rsplit(" ", 1)[-1] or " ")
        if final is None:
            return match.group(0)
        with_final, without = PARTICLES[match.group(0)]
        if match.group(0) == "(으)로" and final == 8:  # ㄹ takes 로
            return without
        return with_final if final else without

    return _PARTICLE.sub(choose, text)


def _finite(value: float) -> bool:
    return value is not None and not math.isnan(value) and not math.isinf(value)
