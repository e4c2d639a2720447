"""Comment themes (Korean and English) and the staff leaderboard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.staff import leaderboard
from regulars.analytics.themes import (
    answer_terms,
    detractor_themes,
    korean_terms,
    log_odds_dirichlet,
)


def test_log_odds_with_dirichlet_prior_matches_the_formula_by_hand() -> None:
    a = pd.Series({"rude": 8.0, "tasty": 2.0})
    b = pd.Series({"rude": 1.0, "tasty": 9.0})
    prior = pd.Series({"rude": 0.9, "tasty": 1.1})
    got = log_odds_dirichlet(a, b, prior).loc["rude"]
    # Monroe, Colaresi & Quinn (2008) eq. 16 and 22 with n_a = n_b = 10, alpha_0 = 2.
    delta = math.log((8 + 0.9) / (10 + 2 - 8 - 0.9)) - math.log((1 + 0.9) / (10 + 2 - 1 - 0.9))
    assert got["delta"] == pytest.approx(delta)
    assert got["z"] == pytest.approx(delta / math.sqrt(1 / 8.9 + 1 / 1.9))


def test_korean_is_split_into_content_morphemes_with_negation_kept() -> None:
    [terms] = korean_terms(["직원 응대가 너무 불친절했어요. 배송이 늦었습니다"])
    assert "직원" in terms
    assert "불친절" in terms
    assert "배송" in terms
    assert "늦다" in terms
    assert "가" not in terms


def test_language_is_taken_from_the_column_or_the_script() -> None:
    sets = answer_terms(
        pd.Series(["The staff were rude", "직원이 불친절해요", None]),
        pd.Series(["en", None, "en"]),
    )
    assert {"staff", "rude", "staff rude"} <= sets[0]
    assert "직원" in sets[1]
    assert sets[2] == set()


def _comments(n: int = 400, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        ltr = int(rng.integers(0, 11))
        korean = i % 2 == 0
        if ltr <= 6:
            text = "직원이 불친절하고 응대가 느려요" if korean else "The staff were rude and slow"
        elif ltr >= 9:
            text = "커피가 맛있고 가격이 좋아요" if korean else "Great coffee and fair price"
        else:
            text = "그냥 보통이에요" if korean else "It was okay, coffee fine"
        rows.append(
            {"response_id": i, "ltr": ltr, "why": text, "language": "ko" if korean else "en"}
        )
    return pd.DataFrame(rows)


def test_detractor_themes_find_the_complaint_with_its_nps_impact_and_quotes() -> None:
    responses = _comments()
    themes = detractor_themes(responses, top=6)
    top_terms = set(themes["term"].head(6))
    assert top_terms & {"직원", "불친절", "staff", "rude", "staff rude"}
    first = themes.iloc[0]
    assert first["impact"] > 0
    # Independently: the NPS of the answers whose text does not contain the term.
    stem = first["term"].split()[0].rstrip("다")
    kept = responses[~responses["why"].str.lower().str.contains(stem)]["ltr"]
    expected = 100 * ((kept >= 9).mean() - (kept <= 6).mean())
    assert first["nps_without"] == pytest.approx(expected)
    assert len(first["examples"]) >= 1
    assert first["promoters"] == 0


def test_leaderboard_ranks_only_those_with_enough_answers_by_lower_bound() -> None:
    rows = (
        [{"employee": "lucky", "ltr": 10}] * 5
        + [{"employee": "steady", "ltr": 10}] * 60
        + [{"employee": "steady", "ltr": 8}] * 20
        + [{"employee": "mixed", "ltr": 10}] * 40
        + [{"employee": "mixed", "ltr": 3}] * 20
    )
    board = leaderboard(pd.DataFrame(rows), min_answers=30).set_index("employee")
    assert board.loc["steady", "rank"] == 1
    assert board.loc["mixed", "rank"] == 2
    assert not board.loc["lucky", "eligible"]
    assert pd.isna(board.loc["lucky", "rank"])
    assert board.loc["lucky", "nps"] == 100.0


def test_parts_of_a_compound_are_not_listed_again() -> None:
    rows = [{"ltr": 2, "why": "고객센터가 전화를 안 받아요", "language": "ko"}] * 20
    rows += [{"ltr": 10, "why": "커피가 맛있어요", "language": "ko"}] * 20
    themes = detractor_themes(pd.DataFrame(rows), top=10)
    mentioned = [set(t.split()) for t in themes["term"]]
    assert {"고객", "센터"} in mentioned
    assert "고객" not in themes["term"].tolist()
    assert "센터" not in themes["term"].tolist()
