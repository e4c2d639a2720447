"""Why members leave, on frames: the Wilson score interval against Newcombe's (1998) worked
examples and scipy's independent implementation; the stated reason and the competitor named
most."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from scipy.stats import binomtest

from regulars.analytics.subscriptions.reasons import churn_reasons, stated, wilson_interval

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
# Medicine 17: the score method without continuity correction on its four examples.
NEWCOMBE = [
    (81, 263, (0.2553, 0.3662)),
    (15, 148, (0.0624, 0.1605)),
    (0, 20, (0.0000, 0.1611)),
    (1, 29, (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("k", "n", "published"), NEWCOMBE)
def test_the_wilson_interval_gives_newcombes_figures(
    k: int, n: int, published: tuple[float, float]
) -> None:
    low, high = wilson_interval(k, n)
    assert (round(low, 4), round(high, 4)) == published
    scipy = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low, high) == pytest.approx((scipy.low, scipy.high), abs=1e-12)


def test_an_empty_group_has_the_whole_unit_interval() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(5, 5)[1] == 1.0


def _cancellations() -> pd.DataFrame:
    rows = [
        # id, day, plan, segment, operator's reason, operator's rival, member's reason, rival
        ("A", date(2026, 1, 5), "5G", "vip", "competitor", "KT", None, None),
        ("B", date(2026, 1, 9), "5G", "individual", "competitor", "KT", "price", "SK Telecom"),
        ("C", date(2026, 2, 1), "LTE", "individual", None, None, "competitor", "sk  telecom"),
        ("D", date(2026, 2, 3), "LTE", "business", "non_payment", None, None, None),
        ("E", date(2026, 2, 7), "LTE", "individual", None, None, None, None),
    ]
    columns = [
        "subscription_id",
        "cancelled_on",
        "plan",
        "segment",
        "operator_reason",
        "operator_competitor",
        "exit_reason",
        "exit_competitor",
    ]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def test_the_members_word_comes_before_the_operators() -> None:
    frame = stated(_cancellations()).set_index("subscription_id")
    assert frame["reason"].to_dict() == {
        "A": "competitor",
        "B": "price",
        "C": "competitor",
        "D": "non_payment",
        "E": None,
    }
    assert frame["source"].tolist() == ["operator", "survey", "survey", "operator", None]
    assert frame.loc["B", "competitor"] == "SK Telecom"
    assert frame["month"].tolist() == ["2026-01"] * 2 + ["2026-02"] * 3


def test_reasons_by_segment_with_shares_and_the_competitor_named_most() -> None:
    found = churn_reasons(_cancellations(), by="segment")
    groups = {g["group"]: g for g in found["groups"]}
    assert list(groups) == ["all", "business", "individual", "vip"]
    everyone = groups["all"]
    assert (everyone["cancellations"], everyone["with_reason"], everyone["from_survey"]) == (
        5,
        4,
        2,
    )
    shares = {r["reason"]: (r["count"], r["share"]) for r in everyone["reasons"]}
    assert shares == {"competitor": (2, 0.5), "non_payment": (1, 0.25), "price": (1, 0.25)}
    low, high = wilson_interval(2, 4)
    assert (everyone["reasons"][0]["low"], everyone["reasons"][0]["high"]) == (low, high)
    # "SK Telecom" and "sk  telecom" are one name, written the first way (a tie goes by name)
    assert everyone["competitor"]["name"] == "SK Telecom"
    assert (everyone["competitor"]["count"], everyone["competitor"]["named"]) == (2, 3)
    assert groups["business"]["competitor"] is None
    with pytest.raises(ValueError, match="by: choose among"):
        churn_reasons(_cancellations(), by="colour")  # type: ignore[arg-type]
