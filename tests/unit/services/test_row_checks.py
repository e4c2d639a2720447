"""The vectorised row checks, on small frames (no database)."""

import pandas as pd

from regulars.services.imports.checks import RowChecks, sql_timestamps


def frame(**columns: list[object]) -> pd.DataFrame:
    data = pd.DataFrame(columns).astype(object)
    data["_row"] = range(1, len(data) + 1)
    return data


def test_integer_accepts_thousands_separators_and_rejects_fractions_and_words() -> None:
    checks = RowChecks(frame(amount=["1,200", "3.5", "abc", None, "-40"]))
    values = checks.integer("amount")
    assert values.iloc[0] == 1200
    assert values.iloc[4] == -40
    assert [(e.row, e.reason) for e in checks.errors] == [
        (2, "is not a whole number"),
        (3, "is not a whole number"),
    ]
    assert checks.bad.tolist() == [False, True, True, False, False]


def test_a_fraction_in_an_otherwise_clean_column_is_reported_not_raised() -> None:
    checks = RowChecks(frame(quantity=["1", "1.5"]))
    values = checks.integer("quantity")
    assert values.iloc[0] == 1
    assert pd.isna(values.iloc[1])
    assert [(e.row, e.reason) for e in checks.errors] == [(2, "is not a whole number")]


def test_naive_times_are_in_the_business_timezone_and_offsets_are_respected() -> None:
    checks = RowChecks(
        frame(at=["2026-03-01T09:00:00", "2026-03-01T09:00:00Z", "2026-03-01 09:00", "31/12/2026"])
    )
    parsed = checks.timestamp("at", "Asia/Seoul")
    text = sql_timestamps(parsed[:3])
    assert list(text) == [
        "2026-03-01 00:00:00.000000",
        "2026-03-01 09:00:00.000000",
        "2026-03-01 00:00:00.000000",
    ]
    assert [e.row for e in checks.errors] == [4]
    assert "ISO 8601" in checks.errors[0].reason


def test_one_of_lowercases_fills_the_default_and_names_the_choices() -> None:
    checks = RowChecks(frame(kind=["SALE", None, "gift"]))
    kinds = checks.one_of("kind", ["sale", "refund"], default="sale")
    assert kinds.tolist() == ["sale", "sale", "gift"]
    assert str(checks.errors[0]) == "row 3, kind = 'gift': must be one of sale, refund"
