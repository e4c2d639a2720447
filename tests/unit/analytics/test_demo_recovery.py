"""On the demo business, the analytics recover what the generator put in.

The answers are the demo's own (:func:`regulars.demo.feedback.survey_answers`), drawn from
its ground truth: the NPS from the latent likelihood to recommend (the drivers weighted by
the true weights), driver ratings from the latent satisfaction, and comments in which
detractors mostly complain about ``business.complaint_driver``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

import regulars.demo
from regulars.analytics.drivers import driver_importance, importance_satisfaction
from regulars.analytics.responses import responses_wide
from regulars.analytics.themes import answer_terms, detractor_themes, themes_by_language
from regulars.demo.business import DRIVERS, DemoBusiness, generate
from regulars.demo.feedback import survey_answers


@pytest.fixture(scope="module")
def demo() -> tuple[DemoBusiness, pd.DataFrame]:
    business = generate(members=5_000, seed=7)
    answers = survey_answers(business, seed=7)
    answers = answers.assign(value=pd.to_numeric(answers["value"], errors="coerce"))
    return business, responses_wide(answers, business.members)


def test_driver_ranking_recovers_the_true_weights(demo: tuple[DemoBusiness, pd.DataFrame]) -> None:
    business, responses = demo
    table = driver_importance(responses)
    order = table["driver"].tolist()
    weights = business.weights
    # True weights: quality = service (0.30) > price = staff (0.15) > delivery (0.10).
    assert set(order[:2]) == {d for d in DRIVERS if weights[d] == 0.30}
    assert set(order[2:4]) == {d for d in DRIVERS if weights[d] == 0.15}
    assert order[4] == min(weights, key=weights.__getitem__)
    lmg_order = table.sort_values("lmg_share", ascending=False)["driver"].tolist()
    assert lmg_order == order
    # Stated importance was asked too; it is reported beside the derived one.
    assert table["stated_importance"].notna().all()
    # The weak spot that matters is the one to fix first.
    matrix = importance_satisfaction(table)
    assert matrix.iloc[0]["driver"] == business.complaint_driver
    assert matrix.iloc[0]["quadrant"] == "concentrate here"


def _complaint_terms() -> dict[str, set[str]]:
    """Each driver's terms, from the generator's own complaint wordings."""
    terms: dict[str, set[str]] = {}
    wordings_file = Path(regulars.demo.__file__).with_name("comments.yaml")
    comments = yaml.safe_load(wordings_file.read_text(encoding="utf-8"))
    for driver, languages in comments["complaint"].items():
        texts = [text for wordings in languages.values() for text in wordings]
        languages_of = [lang for lang, wordings in languages.items() for _ in wordings]
        sets = answer_terms(pd.Series(texts), pd.Series(languages_of))
        terms[driver] = set().union(*sets)
    return terms


def test_top_detractor_theme_is_the_complaint_driver(
    demo: tuple[DemoBusiness, pd.DataFrame],
) -> None:
    business, responses = demo
    themes = detractor_themes(responses, top=5)
    top = themes.iloc[0]
    named = [driver for driver, terms in _complaint_terms().items() if top["term"] in terms]
    assert named == [business.complaint_driver]
    assert top["detractors"] >= 5 * top["promoters"]
    assert top["impact"] > 0
    assert top["examples"]


def test_themes_per_language_each_name_the_complaint_driver(
    demo: tuple[DemoBusiness, pd.DataFrame],
) -> None:
    business, responses = demo
    themes = themes_by_language(responses, top=5)
    assert list(dict.fromkeys(themes["language"])) == ["ko", "en"]
    overall = 100 * ((responses["ltr"] >= 9).mean() - (responses["ltr"] <= 6).mean())
    terms = _complaint_terms()
    for language in ("ko", "en"):
        top = themes[themes["language"] == language].iloc[0]
        assert [d for d, words in terms.items() if top["term"] in words] == [
            business.complaint_driver
        ]
        # The impact is on the NPS of all answers, whatever the language.
        assert top["nps_without"] - top["impact"] == pytest.approx(overall)
