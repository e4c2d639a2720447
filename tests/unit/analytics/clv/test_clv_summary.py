"""The per-member summary (pandas) against the CDNOW summary lifetimes ships, and by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.clv import rfm_calibration_and_holdout, rfm_summary

END = datetime(1997, 9, 30, tzinfo=UTC)


def test_cdnow_summary_in_days_is_lifetimes_summary_in_weeks(
    cdnow_transactions: pd.DataFrame, cdnow_summary: pd.DataFrame, cdnow_spend: pd.DataFrame
) -> None:
    ours = rfm_summary(cdnow_transactions, END).set_index("member_id")
    theirs = cdnow_summary.set_index("ID")
    assert len(ours) == len(theirs) == 2357
    np.testing.assert_array_equal(ours["frequency"], theirs["frequency"])
    np.testing.assert_allclose((ours["recency"] / 7).round(2), theirs["recency"], atol=1e-9)
    np.testing.assert_allclose((ours["T"] / 7).round(2), theirs["T"], atol=1e-9)
    spend = cdnow_spend.set_index("ID")
    np.testing.assert_allclose((ours["monetary_value"] / 100).round(2), spend["zbar"], atol=0.011)


def _frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member_id", "occurred_at", "amount"])


def test_same_day_purchases_are_one_occasion_and_the_first_day_is_not_spend() -> None:
    tx = _frame(
        [
            (1, "2026-01-01 09:00:00", 500),
            (1, "2026-01-01 18:00:00", 700),  # same day: one occasion of 1200
            (1, "2026-01-05 10:00:00", 300),
            (1, "2026-01-11 23:59:59", 900),
            (1, "2026-02-01 00:00:00", 100),  # after the end: ignored
            (2, "2026-01-10 12:00:00", 400),
        ]
    )
    s = rfm_summary(tx, datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)).set_index("member_id")
    assert s.loc[1].to_dict() == {"frequency": 2, "recency": 10, "T": 30, "monetary_value": 600.0}
    assert s.loc[2].to_dict() == {"frequency": 0, "recency": 0, "T": 21, "monetary_value": 0.0}


def test_days_start_at_local_midnight_with_an_offset() -> None:
    # 23:30 and 00:30 UTC are one day in UTC+0? No: two. In UTC+9 both are 08:30/09:30 → one.
    tx = _frame([(1, "2026-01-01 23:30:00", 100), (1, "2026-01-02 00:30:00", 100)])
    end = datetime(2026, 1, 10, tzinfo=UTC)
    assert rfm_summary(tx, end)["frequency"].item() == 1
    assert rfm_summary(tx, end, utc_offset_hours=9)["frequency"].item() == 0


def test_calibration_and_holdout_split() -> None:
    tx = _frame(
        [
            (1, "2026-01-01 10:00:00", 100),
            (1, "2026-01-03 10:00:00", 200),
            (1, "2026-01-20 10:00:00", 300),
            (1, "2026-01-25 10:00:00", 500),
            (2, "2026-01-15 10:00:00", 100),  # first buys in the holdout: not a member here
        ]
    )
    split = rfm_calibration_and_holdout(
        tx, datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC)
    )
    assert split.to_dict("records") == [
        {
            "member_id": 1,
            "frequency": 1,
            "recency": 2,
            "T": 9,
            "monetary_value": 200.0,
            "frequency_holdout": 2,
            "monetary_value_holdout": 400.0,
            "duration_holdout": 21,
        }
    ]
    with pytest.raises(ValueError, match="before"):
        rfm_calibration_and_holdout(tx, datetime(2026, 2, 1), datetime(2026, 1, 1))


def test_row_order_and_member_id_type_do_not_matter(cdnow_transactions: pd.DataFrame) -> None:
    expected = rfm_summary(cdnow_transactions, END)
    shuffled = cdnow_transactions.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(rfm_summary(shuffled, END), expected)
    as_text = shuffled.assign(member_id=shuffled["member_id"].map(lambda i: f"M{i:05d}"))
    by_text = rfm_summary(as_text, END)
    assert by_text["member_id"].tolist() == [f"M{i:05d}" for i in expected["member_id"]]
    pd.testing.assert_frame_equal(
        by_text.drop(columns="member_id"), expected.drop(columns="member_id")
    )
