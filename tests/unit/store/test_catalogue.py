"""Codes of a column as positions among its distinct codes: Python for a few, Arrow for many."""

import numpy as np

from regulars.store.catalogue import FEW, distinct_codes


def test_short_and_long_columns_are_encoded_alike() -> None:
    codes = ["S1", None, "S2", "S1", float("nan"), "s1"]
    short = distinct_codes(codes)
    long = distinct_codes(np.array(codes * FEW, dtype=object))
    assert short[0].tolist() == [0, -1, 1, 0, -1, 2]
    assert short[1] == ["S1", "S2", "s1"]
    assert long[1] == short[1]
    assert long[0].tolist() == short[0].tolist() * FEW
