"""The report's churn section on a real store (SQLite and PostgreSQL): present, in both
languages, when the store holds subscriptions — with the subscribers to call ranked by
P(cancel within 30 days) × monthly fee as computed here from the same fit, the sBG projection
equal to the closed form, and the held-out validation — and absent without subscriptions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from markupsafe import Markup
from scipy.special import betaln
from tests.integration.briefing.conftest import TZ, build_store
from tests.integration.briefing.test_briefing_sentences import MOVED
from tests.subscription_data import AS_OF, generate, load_store

from regulars.analytics.churn.outlook import churn_outlook
from regulars.bootstrap import App
from regulars.services.briefing import churn_page
from regulars.services.briefing.build import briefing
from regulars.services.briefing.document import briefing_json
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.page import render_page
from regulars.services.subscriptions import analysis

NOW = datetime(2026, 1, 2, 3, tzinfo=UTC)
ZONE = "Asia/Seoul"


def _part(html: str) -> str:
    """The churn part: from its section to the next part's (feedback)."""
    start = html.index('<section id="churn"')
    return html[start : html.index('<section id="feedback"', start)]


def test_the_churn_section_with_subscriptions(app: App) -> None:
    load_store(app, generate(300))
    with app.unit_of_work() as uow:
        b = briefing(uow, NOW, timezone=ZONE, as_of=AS_OF)
        features = analysis.features(uow, AS_OF, timezone=ZONE)
    view = b.churn
    assert view is not None
    assert not b.empty  # subscriptions alone are something to brief on
    assert (view.contracts, view.active + view.cancelled) == (len(features), len(features))

    # whom to call: the highest P(cancel in 30 days) × the fee in force, from the same fit
    outlook = churn_outlook(features)
    fees = features.set_index("subscription_id")["fee"]
    scores = outlook.scores.set_index("subscription_id")
    at_risk = (scores["cancel_probability_30d"] * fees.reindex(scores.index)).sort_values(
        ascending=False, kind="stable"
    )
    assert [m.subscription for m in view.to_call] == list(at_risk.index[: len(view.to_call)])
    assert len(view.to_call) == 20
    np.testing.assert_allclose(
        [m.fee_at_risk for m in view.to_call], at_risk.to_numpy()[:20], rtol=1e-12
    )
    assert all(m.name is None or m.name for m in view.to_call)

    # the projected retention is the sBG closed form at its fitted parameters
    r = view.retention
    assert r is not None
    for month, share in r.projected:
        expected = np.exp(betaln(r.alpha, r.beta + month) - betaln(r.alpha, r.beta))
        assert abs(share - expected) < 1e-12
    assert r.observed[0] == 1.0
    assert all(a >= b for a, b in zip(r.observed, r.observed[1:], strict=False))

    v = view.validation
    assert v is not None
    assert 0.5 < v.concordance <= 1
    assert v.members > 100
    assert len(v.calibration) == 10

    for language, words in (("en", "Subscribers and churn"), ("ko", "가입자와 해지")):
        f = Formatter(language)
        html = render_page(b, f)
        assert f'<a href="#churn">{words}</a>' in html
        part = _part(html)
        for block in ("churn-act", "churn-retention", "churn-hazards", "churn-validation"):
            assert f'id="{block}"' in part
        assert 'id="chart-churn-retention"' in part
        assert 'id="chart-churn-calibration"' in part
        assert str(Markup.escape(f.say(churn_page.call_sentence(view)))) in part
        words = re.sub(r"<script.*?</script>", "", part, flags=re.S)
        assert "{" not in words
        assert "section.churn" not in words  # every key has its words
        first = view.to_call[0]
        assert (first.name or first.member) in part
        assert "010-" not in part
    data = briefing_json(b, Formatter("en"))
    churn = data["churn"]
    assert churn["validation"]["concordance"] == v.concordance
    assert [m["subscription"] for m in churn["to_call"]] == [m.subscription for m in view.to_call]
    json.dumps(data)


def test_no_churn_section_without_subscriptions(app: App, tmp_path: Path) -> None:
    build_store(app, tmp_path, MOVED)
    with app.unit_of_work() as uow:
        b = briefing(uow, NOW, timezone=TZ)
    assert b.churn is None
    html = render_page(b, Formatter("en"))
    assert 'id="churn"' not in html
    assert briefing_json(b, Formatter("en"))["churn"] is None


def test_an_empty_store_has_no_churn_section(app: App) -> None:
    with app.unit_of_work() as uow:
        b = briefing(uow, NOW, timezone=TZ)
    assert b.churn is None
    assert b.empty
