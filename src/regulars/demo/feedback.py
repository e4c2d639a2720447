"""Survey answers for the demo business, drawn from its ground truth.

About :data:`RESPONSE_RATE` of the members who bought answer the after-purchase survey once,
about one of their purchases (a few hours after it). Each answer follows the member's truth:

- **NPS**: the latent likelihood to recommend ``truth.ltr`` (itself the drivers weighted by
  the true weights, plus noise) rounded to 0-10 after a little answering noise;
- **driver ratings** 1-5: ``truth.sat_<driver>`` plus answering noise, rounded;
- **stated importance** 1-5: the true weight of the driver, as customers state it — noisily,
  so that stated and derived importance differ a little, as they do in real surveys;
- **CSAT** 1-5 of the touchpoint (the store or channel bought from: quality and service), of
  the department (sales at a store or in the app, delivery for the web shop, support for
  phone orders: service) and of the employee who served (staff attitude);
- **share of wallet** from emotional attachment; **intention to buy again** from ltr;
  **opt-in to test new products** likelier among promoters;
- **comments** in the member's language (Korean or English) that name what drove the score:
  detractors mostly complain about ``business.complaint_driver``, otherwise about their worst
  driver; promoters praise their best; passives say what would make it a 10. Wordings are in
  ``comments.yaml``, several per driver.

:func:`survey_answers` returns the frame in the answers import format
(:mod:`regulars.services.feedback.answers`); :func:`load_survey_answers` defines the demo
surveys and imports it through the normal import path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from regulars.bootstrap import committing
from regulars.demo.business import DRIVERS, DemoBusiness
from regulars.domain.feedback.nps import PASSIVE_HIGHEST, NpsClass, classify
from regulars.services.feedback import surveys
from regulars.services.feedback.answers import COLUMNS
from regulars.services.imports.answers import import_answers_frame
from regulars.services.imports.report import ImportReport
from regulars.store.unit_of_work import UnitOfWork

RESPONSE_RATE = 0.35
SURVEY_CODE = "after-purchase"
DEMO_SURVEYS = (
    {
        "code": SURVEY_CODE,
        "name": "After your purchase",
        "csat": ["touchpoint", "department", "employee"],
        "drivers": list(DRIVERS),
        "ask_importance": True,
        "wallet_category": "coffee",
        "intent_rebuy": True,
        "test_opt_in": True,
        "after_purchase_delay_hours": 3,
        "sampling": 0.5,
    },
)
DEPARTMENT_OF_CHANNEL = {"store": "sales", "app": "sales", "web": "delivery", "phone": "support"}
WHY_SHARE, TO_10_SHARE, OPT_IN_SHARE = 0.75, 0.6, 0.7


@cache
def _comments() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        Path(__file__).with_name("comments.yaml").read_text(encoding="utf-8")
    )
    return loaded


def _scale(values: np.ndarray, low: int, high: int) -> np.ndarray:
    scaled: np.ndarray = np.clip(np.rint(values), low, high).astype(int)
    return scaled


def survey_answers(business: DemoBusiness, seed: int = 7) -> pd.DataFrame:
    """The demo's survey answers, one row per answered question, in the import format."""
    rng = np.random.default_rng(seed)
    sales = business.purchases[
        (business.purchases["kind"] == "sale") & business.purchases["member_id"].notna()
    ].drop_duplicates("purchase_id")
    buyers = np.array(sorted(sales["member_id"].unique()))
    respondents = buyers[rng.random(len(buyers)) < RESPONSE_RATE]
    chosen = (
        sales[sales["member_id"].isin(set(respondents))]
        .groupby("member_id", sort=True)
        .sample(n=1, random_state=seed)
        .sort_values("purchase_id")
        .reset_index(drop=True)
    )
    truth = business.truth.set_index("member_id").loc[chosen["member_id"]].reset_index()
    locale = business.members.set_index("member_id")["locale"].reindex(chosen["member_id"])
    n = len(chosen)
    bought = pd.to_datetime(chosen["occurred_at"], utc=True, format="ISO8601")
    collected = (bought + pd.to_timedelta(rng.uniform(2, 48, n), unit="h")).dt.floor("s")
    cutoff = pd.Timestamp(business.end, tz="Asia/Seoul").tz_convert("UTC") + pd.Timedelta(days=1)
    collected = collected.where(collected < cutoff, cutoff - pd.Timedelta(minutes=1))

    sat = {d: truth[f"sat_{d}"].to_numpy() for d in DRIVERS}
    ltr = truth["ltr"].to_numpy()
    nps = _scale(ltr + rng.normal(0, 0.35, n), 0, 10)
    ratings = {d: _scale(sat[d] + rng.normal(0, 0.4, n), 1, 5) for d in DRIVERS}
    top = max(business.weights.values())
    importance = {
        d: _scale(1 + 4 * business.weights[d] / top + rng.normal(0, 0.6, n), 1, 5) for d in DRIVERS
    }
    touchpoint = _scale((sat["quality"] + sat["service"]) / 2 + rng.normal(0, 0.5, n), 1, 5)
    department = _scale(sat["service"] + rng.normal(0, 0.5, n), 1, 5)
    employee = _scale(sat["staff"] + rng.normal(0, 0.5, n), 1, 5)
    attachment = truth["attachment"].to_numpy()
    wallet = np.clip(np.rint((15 + 75 * attachment + rng.normal(0, 12, n)) / 5) * 5, 0, 100)
    intent = _scale(1 + ltr / 2.5 + rng.normal(0, 0.6, n), 1, 5)
    opt_in = (rng.random(n) < np.where(nps > PASSIVE_HIGHEST, 0.45, 0.12)).astype(int)

    rows: list[dict[str, Any]] = []
    for i in range(n):
        purchase = chosen.iloc[i]
        language = str(locale.iloc[i])
        channel = str(purchase["channel"])
        has_employee = isinstance(purchase["employee"], str)
        context = {
            "response_id": f"demo-{purchase['purchase_id']}",
            "survey": SURVEY_CODE,
            "member_id": purchase["member_id"],
            "language": language,
            "store": purchase["store"],
            "channel": channel,
            "department": DEPARTMENT_OF_CHANNEL.get(channel),
            "employee": purchase["employee"] if has_employee else None,
            "purchase_id": purchase["purchase_id"],
            "collected_at": collected.iloc[i].isoformat(),
        }

        def add(question: str, value: Any = None, text: str | None = None, **extra: Any) -> None:
            rows.append(_row(context, question, value, text, extra))  # noqa: B023

        add("nps", int(nps[i]))
        scores = {d: float(sat[d][i]) for d in DRIVERS}
        why, to_10 = _comment(rng, int(nps[i]), scores, business.complaint_driver, language)
        if why and rng.random() < WHY_SHARE:
            add("nps_why", text=why)
        if to_10 and rng.random() < TO_10_SHARE:
            add("nps_to_10", text=to_10)
        blank = dict.fromkeys(("store", "channel", "department", "employee"))
        rated = {"store": context["store"], "channel": channel}
        add("csat", int(touchpoint[i]), **{**blank, **rated, "csat_target": "touchpoint"})
        if context["department"]:
            rated = {"department": context["department"], "csat_target": "department"}
            add("csat", int(department[i]), **{**blank, **rated})
        if has_employee:
            rated = {"employee": context["employee"], "csat_target": "employee"}
            add("csat", int(employee[i]), **{**blank, **rated})
        for d in DRIVERS:
            add("driver_rating", int(ratings[d][i]), driver=d)
        for d in DRIVERS:
            add("driver_importance", int(importance[d][i]), driver=d)
        add("share_of_wallet", int(wallet[i]))
        add("intent_rebuy", int(intent[i]))
        if rng.random() < OPT_IN_SHARE:
            add("test_opt_in", int(opt_in[i]))
    frame = pd.DataFrame(rows)
    for name in COLUMNS:
        if name not in frame:
            frame[name] = None
    return frame[list(COLUMNS)]


def _row(
    context: dict[str, Any], question: str, value: Any, text: str | None, extra: dict[str, Any]
) -> dict[str, Any]:
    return {**context, "question": question, "value": value, "text": text, **extra}


def _comment(
    rng: np.random.Generator,
    score: int,
    satisfaction: dict[str, float],
    complaint_driver: str,
    language: str,
) -> tuple[str | None, str | None]:
    """(why this score, what would make it a 10) for one answer."""
    texts = _comments()
    worst = min(satisfaction, key=lambda d: satisfaction[d])
    best = max(satisfaction, key=lambda d: satisfaction[d])

    def pick(kind: str, driver: str) -> str:
        options: list[str] = texts[kind][driver][language]
        return options[int(rng.integers(len(options)))]

    def closer() -> str:
        options: list[str] = texts["closer"][language]
        return options[int(rng.integers(len(options)))]

    nps_class = classify(score)
    if nps_class is NpsClass.DETRACTOR:
        driver = complaint_driver if rng.random() < 0.6 else worst
        return pick("complaint", driver) + closer(), pick("wish", driver)
    if nps_class is NpsClass.PASSIVE:
        why = pick("praise", best) if rng.random() < 0.5 else pick("complaint", worst) + closer()
        return why, pick("wish", worst)
    return pick("praise", best), None


def load_survey_answers(
    unit_of_work: Callable[[], UnitOfWork],
    frame: pd.DataFrame,
    *,
    timezone: str = "Asia/Seoul",
    now: datetime | None = None,
) -> ImportReport:
    """Define the demo surveys and import ``frame`` (from :func:`survey_answers`), each
    batch committed as it is written."""
    now = now or datetime.now(UTC)
    with unit_of_work() as uow:
        for definition in DEMO_SURVEYS:
            surveys.define_survey(uow, dict(definition), now)
        uow.commit()
    return import_answers_frame(frame, committing(unit_of_work), timezone=timezone, now=now)
