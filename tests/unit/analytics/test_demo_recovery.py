"""On the demo business, the analytics recover what the generator put in.

The answers are drawn from the generator's truth: each member's latent ratings and
likelihood to recommend, rounded onto the survey's scales; a detractor's comment names the
driver they are least satisfied with, in their own language. (The issue-4 answer generator
may replace this drawing; the expectations stay the same.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regulars.analytics.drivers import driver_importance, importance_satisfaction
from regulars.analytics.themes import detractor_themes
from regulars.demo.business import DRIVERS, DemoBusiness, generate

WORDS = {  # what a customer says about each driver
    "price": {"ko": "가격이 비싸요", "en": "too expensive price"},
    "quality": {"ko": "커피 맛이 별로예요", "en": "bad coffee taste"},
    "delivery": {"ko": "배송이 늦어요", "en": "late delivery"},
    "service": {"ko": "서비스 응대가 불친절해요", "en": "unfriendly service"},
    "staff": {"ko": "직원이 무심해요", "en": "careless barista"},
}
PRAISE = {"ko": "정말 좋아요", "en": "really great"}
TERMS = {  # the content words of each driver's complaint, as the tokenizers give them
    "price": {"가격", "비싸다", "expensive", "price"},
    "quality": {"커피", "맛", "bad", "coffee", "taste"},
    "delivery": {"배송", "늦다", "late", "delivery"},
    "service": {"서비스", "응대", "불친절", "unfriendly", "service"},
    "staff": {"직원", "무심", "careless", "barista"},
}


@pytest.fixture(scope="module")
def demo() -> tuple[DemoBusiness, pd.DataFrame]:
    business = generate(members=5_000, seed=7)
    truth = business.truth
    rng = np.random.default_rng(7)
    ratings = {
        d: np.clip(np.round(truth[f"sat_{d}"] + rng.normal(0, 0.3, len(truth))), 1, 5)
        for d in DRIVERS
    }
    ltr = np.clip(np.round(truth["ltr"]), 0, 10)
    locale = business.members.set_index("member_id")["locale"].reindex(truth["member_id"])
    latent = truth[[f"sat_{d}" for d in DRIVERS]].to_numpy()
    weakest = np.array(DRIVERS)[latent.argmin(axis=1)]
    why = [
        WORDS[w][lang] if score <= 6 else PRAISE[lang] if score >= 9 else None
        for w, lang, score in zip(weakest, locale, ltr, strict=True)
    ]
    responses = pd.DataFrame(
        {
            "response_id": range(len(truth)),
            "member_id": truth["member_id"],
            "ltr": ltr,
            "why": why,
            "language": locale.to_numpy(),
            **{f"sat_{d}": ratings[d] for d in DRIVERS},
        }
    )
    return business, responses


def test_driver_ranking_recovers_the_true_weights(demo: tuple[DemoBusiness, pd.DataFrame]) -> None:
    business, responses = demo
    table = driver_importance(responses)
    order = table["driver"].tolist()
    weights = business.weights
    # True weights: quality = service (0.30) > price = staff (0.15) > delivery (0.10).
    assert set(order[:2]) == {d for d in DRIVERS if weights[d] == 0.30}
    assert set(order[2:4]) == {d for d in DRIVERS if weights[d] == 0.15}
    assert order[4] == "delivery"
    lmg_order = table.sort_values("lmg_share", ascending=False)["driver"].tolist()
    assert set(lmg_order[:2]) == set(order[:2])
    # The weak spot that matters is the one to fix first.
    matrix = importance_satisfaction(table)
    assert matrix.iloc[0]["driver"] == business.complaint_driver
    assert matrix.iloc[0]["quadrant"] == "concentrate here"


def test_top_detractor_theme_is_the_complaint_driver(
    demo: tuple[DemoBusiness, pd.DataFrame],
) -> None:
    business, responses = demo
    themes = detractor_themes(responses, top=5)
    top = themes.iloc[0]["term"]
    named = [d for d, words in TERMS.items() if set(top.split()) & words]
    assert named == [business.complaint_driver]
    assert themes.iloc[0]["impact"] > 0
    assert themes.iloc[0]["examples"]
