"""The demo telecom operator, drawn from an explicit model with a known ground truth.

*Hanbit Mobile* sells four postpaid plans (monthly fees in KRW) to individual, family and
business members, from its launch in October 2023 to the observation day, 31 January 2026
(28 months of bills). Every member has one contract (start, committed end for those on a
24-month commitment, channel, device or SIM-only), monthly bills (fee plus usage extras),
sometimes a plan change, and answered a **welcome survey** on the day the line was
activated: NPS and 1-5 ratings of four drivers — price, network quality, service quality
and the company's attitude. A cancelled contract's member is asked "why are you leaving?"
(:mod:`regulars.demo.telecom_run` sends the invitations and answers the pages).

How long a contract lives — the ground truth the analytics must recover:

- **The launch cohort** (contracts started in the launch month) follows the
  shifted-beta-geometric model (Fader & Hardie 2007): each subscriber's monthly probability
  of leaving ``θ ~ Beta(α, β)`` (:data:`SBG`), constant for them; a lifetime of ``T``
  renewals cancels on a day of its ``T``-th month. Their ratings and fees change nothing.
- **Every later contract** follows a proportional-hazards model in days since its start:
  ``h(t | x) = (λ₀ + λ_w · 1[t in the wave]) · exp(x'β)`` with the log hazard ratios of
  :data:`HAZARD_RATIOS` — the **network-quality rating** (per point), the **price rating**
  (per point: no effect, HR 1), the **monthly fee signed** (per ₩10,000; a later plan
  change does not alter the hazard) and the **segment** (against ``individual``).
- **The wave**: in :data:`WAVE_MONTH` the competitor :data:`WAVE_COMPETITOR` offers
  unlimited 5G at half price, adding ``λ_w`` to every subscriber's hazard that month
  (times their ``exp(x'β)``; the launch cohort too, after the periods the sBG is fitted on).
  Who leaves through it answers "a competitor's offer" and names it.
- Others leave for a reason drawn from their own situation: price (likelier for a high
  fee and a low price rating), network (a low network rating), service (a low service
  rating), another competitor, moving, other.

Everything is seeded: the same ``(members, seed)`` gives the same operator.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing*, 21(1), 76–90.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from math import log
from typing import Any

import numpy as np
import pandas as pd

from regulars.domain.subscriptions.tenure import month_number
from regulars.services.feedback.answers import COLUMNS

OPERATOR = "Hanbit Mobile"
LAUNCH = date(2023, 10, 1)
AS_OF = date(2026, 1, 31)
WAVE_MONTH = "2025-05"
WAVE_COMPETITOR = "Nuri Mobile"
OTHER_COMPETITORS = ("Saebit Telecom", "Dasol 5G")
WAVE_START, WAVE_END = date(2025, 5, 1), date(2025, 6, 1)  # [start, end)
PLANS = {
    "SLIM": ("5G Slim", 39_000),
    "STD": ("5G Standard", 55_000),
    "PREM": ("5G Premium", 75_000),
    "MAX": ("5G Unlimited Max", 95_000),
}
PLAN_SHARES = (0.30, 0.35, 0.22, 0.13)
SEGMENTS = {"individual": 0.65, "business": 0.22, "vip": 0.13}
DRIVERS = ("price", "network", "service", "attitude")
WELCOME_SURVEY = "welcome"
EXIT_SURVEY = "leaving"

HAZARD_RATIOS = {
    "driver_network": 0.72,
    "driver_price": 1.0,
    "fee_10k": 1.12,
    "segment=business": 0.6,
    "segment=vip": 0.5,
}
"""The true hazard ratios of the contracts after the launch month (Cox design columns)."""
BASE_MONTHLY_HAZARD = 0.022
"""λ₀ per month (30 days) at the reference member: individual, rating 0, fee ₩0 — the
covariates enter uncentred, so the typical member's monthly hazard is shown in
``ground_truth.json``."""
WAVE_MONTHLY_HAZARD = 0.09
SBG = {"alpha": 0.9, "beta": 6.0}
SBG_PERIODS = 18
"""The launch cohort's sBG is fitted on its first 18 monthly renewals, all before the wave."""
RESPONSE_RATE = {"welcome": 0.85, "exit": 0.65}
PLAN_CHANGE_SHARE = 0.12
COMMITMENT_SHARE = 0.6


@dataclass(frozen=True)
class TelecomOperator:
    """The generated operator in the import formats, and each contract's truth."""

    seed: int
    members: pd.DataFrame
    plans: pd.DataFrame
    subscriptions: pd.DataFrame
    plan_changes: pd.DataFrame
    bills: pd.DataFrame
    answers: pd.DataFrame
    truth: pd.DataFrame  # per contract: cohort, covariates, true cause of leaving, answers exit

    def ground_truth(self) -> dict[str, Any]:
        """The model's parameters, for tests and for ``ground_truth.json``."""
        later = self.truth[~self.truth["launch_cohort"]]
        cause = self.truth["cause"].value_counts().to_dict()
        return {
            "operator": OPERATOR,
            "seed": self.seed,
            "launch": LAUNCH.isoformat(),
            "as_of": AS_OF.isoformat(),
            "members": len(self.members),
            "plans": {code: {"name": n, "monthly_fee": fee} for code, (n, fee) in PLANS.items()},
            "hazard_ratios": HAZARD_RATIOS,
            "hazard_model": {
                "population": f"contracts started after {LAUNCH:%Y-%m} (the launch month)",
                "time": "days since the contract's start",
                "baseline_monthly_hazard": BASE_MONTHLY_HAZARD,
                "covariates": {
                    "driver_network": "welcome-survey rating of network quality, 1-5",
                    "driver_price": "welcome-survey rating of price, 1-5 (no effect)",
                    "fee_10k": "monthly fee signed, in ₩10,000",
                    "segment": "the member's segment; reference individual",
                },
                "contracts": len(later),
            },
            "sbg": {
                **SBG,
                "cohort": f"{LAUNCH:%Y-%m}",
                "periods_fitted": SBG_PERIODS,
                "contracts": int(self.truth["launch_cohort"].sum()),
            },
            "wave": {
                "month": WAVE_MONTH,
                "competitor": WAVE_COMPETITOR,
                "extra_monthly_hazard": WAVE_MONTHLY_HAZARD,
                "cancellations": int((self.truth["cause"] == "wave").sum()),
            },
            "causes": {str(k): int(v) for k, v in sorted(cause.items())},
            "fix_first": "network",
        }


def _months_after(day: date, months: int) -> date:
    number = month_number(day) + months
    return date(number // 12, number % 12 + 1, day.day)  # start days are 1..28


def _solve_lifetime(
    rng: np.random.Generator, risk: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Days to cancellation under ``(λ₀ + λ_w 1[wave]) · risk`` (exact inversion of the
    piecewise-linear cumulative hazard) and whether it fell in the wave."""
    lam0, lamw = BASE_MONTHLY_HAZARD / 30, WAVE_MONTHLY_HAZARD / 30
    target = rng.exponential(1.0, len(risk)) / risk
    w0 = np.clip((np.datetime64(WAVE_START) - starts).astype(float), 0, None)
    w1 = np.clip((np.datetime64(WAVE_END) - starts).astype(float), 0, None)
    before = lam0 * w0
    inside = before + (lam0 + lamw) * (w1 - w0)
    days = np.where(
        target < before,
        target / lam0,
        np.where(
            target < inside,
            w0 + (target - before) / (lam0 + lamw),
            w1 + (target - inside) / lam0,
        ),
    )
    in_wave = (target >= before) & (target < inside)
    # a cancellation in the wave is the competitor's with the share of its hazard
    by_wave = in_wave & (rng.random(len(risk)) < lamw / (lam0 + lamw))
    return days, by_wave


def _sbg_lifetimes(rng: np.random.Generator, starts: list[date]) -> tuple[list[date], np.ndarray]:
    """Cancellation days of the launch cohort (sBG renewals, then the wave), and which fell
    to the wave."""
    n = len(starts)
    theta = rng.beta(SBG["alpha"], SBG["beta"], n)
    renewals = rng.geometric(np.clip(theta, 1e-12, 1.0))
    wave_p = 1 - np.exp(-WAVE_MONTHLY_HAZARD * 31 / 30)
    days: list[date] = []
    wave = np.zeros(n, dtype=bool)
    for i, start in enumerate(starts):
        days_in = timedelta(int(rng.integers(0, 28)))
        if renewals[i] - 1 > month_number(AS_OF) - month_number(start):
            ends = AS_OF + timedelta(1)  # still subscribed on the observation day
        else:
            ends = _months_after(start, int(renewals[i]) - 1) + days_in
        if ends >= WAVE_START and rng.random() < wave_p:
            ends = WAVE_START + timedelta(int(rng.integers(0, 31)))
            wave[i] = True
        days.append(ends)
    return days, wave


def _cause(rng: np.random.Generator, row: dict[str, Any]) -> tuple[str, str | None]:
    """Why an ordinary cancellation happened, from the member's own situation."""
    weights = {
        "price": 0.6 + 0.35 * (row["fee"] / 10_000 - 5) + 0.4 * (3 - row["rating_price"]),
        "network": 0.6 + 0.6 * (3 - row["rating_network"]),
        "service": 0.4 + 0.4 * (3 - row["rating_service"]),
        "competitor": 0.8,
        "moving": 0.5,
        "other": 0.3,
    }
    names = list(weights)
    p = np.clip(np.array([weights[k] for k in names], dtype=float), 0.05, None)
    reason = str(rng.choice(names, p=p / p.sum()))
    if reason != "competitor":
        return reason, None
    rivals = (*OTHER_COMPETITORS, WAVE_COMPETITOR)
    return reason, str(rng.choice(rivals, p=(0.45, 0.35, 0.20)))


def _rating(rng: np.random.Generator, n: int, p: tuple[float, ...]) -> np.ndarray:
    drawn: np.ndarray = rng.choice(np.arange(1, 6), n, p=np.asarray(p) / sum(p))
    return drawn


def generate(members: int = 5_000, seed: int = 7) -> TelecomOperator:
    """Draw the operator's ``members`` (one contract each), their bills and surveys."""
    if members < 1:
        raise ValueError("members must be at least 1")
    rng = np.random.default_rng(seed)
    n = members
    ids = [f"T{i:06d}" for i in range(1, n + 1)]
    segment = rng.choice(list(SEGMENTS), n, p=list(SEGMENTS.values()))
    locale = np.where(rng.random(n) < 0.8, "ko", "en")
    # start: a fifth of the members join in the launch month, the rest evenly until a month
    # before the observation day; always on day 1..28
    launch = rng.random(n) < 0.2
    last_month = month_number(AS_OF) - 1
    month = np.where(
        launch,
        month_number(LAUNCH),
        rng.integers(month_number(LAUNCH) + 1, last_month + 1, n),
    )
    starts = [
        date(int(m) // 12, int(m) % 12 + 1, int(d))
        for m, d in zip(month, rng.integers(1, 29, n), strict=True)
    ]
    plan = rng.choice(list(PLANS), n, p=PLAN_SHARES)
    fee = np.array([PLANS[p][1] for p in plan]) - rng.choice([0, 0, 0, 5_000], n)
    ratings = {
        "network": _rating(rng, n, (0.08, 0.17, 0.30, 0.30, 0.15)),
        "service": _rating(rng, n, (0.05, 0.12, 0.33, 0.35, 0.15)),
        "attitude": _rating(rng, n, (0.06, 0.14, 0.35, 0.30, 0.15)),
    }
    # dearer plans are rated lower on price: correlated with the fee, but no effect of its own
    price_latent = 3.6 - (fee - 55_000) / 25_000 + rng.normal(0, 1.0, n)
    ratings["price"] = np.clip(np.rint(price_latent), 1, 5).astype(int)
    beta = {k: log(v) for k, v in HAZARD_RATIOS.items()}
    eta = (
        beta["driver_network"] * ratings["network"]
        + beta["driver_price"] * ratings["price"]
        + beta["fee_10k"] * fee / 10_000
        + np.where(segment == "business", beta["segment=business"], 0.0)
        + np.where(segment == "vip", beta["segment=vip"], 0.0)
    )
    start_days = np.array(starts, dtype="datetime64[D]")
    days, by_wave = _solve_lifetime(rng, np.exp(eta), start_days)
    cancelled: list[date | None] = [
        s + timedelta(days=int(d)) for s, d in zip(starts, np.floor(days), strict=True)
    ]
    wave = by_wave.copy()
    cohort = np.flatnonzero(launch)
    sbg_days, sbg_wave = _sbg_lifetimes(rng, [starts[i] for i in cohort])
    for j, k in enumerate(cohort):
        cancelled[k] = sbg_days[j]
        wave[k] = sbg_wave[j]
    cancelled = [c if c is not None and c <= AS_OF else None for c in cancelled]
    wave &= np.array([c is not None for c in cancelled])

    member_rows, contract_rows, truth_rows = [], [], []
    change_rows: list[dict[str, Any]] = []
    bill_rows: list[dict[str, Any]] = []
    for i in range(n):
        mid, start, ended = ids[i], starts[i], cancelled[i]
        member_rows.append(
            {
                "member_id": mid,
                "name": f"Subscriber {mid[1:]}" if locale[i] == "en" else f"가입자 {mid[1:]}",
                "email": f"{mid.lower()}@example.com",
                "birth_date": (
                    date(1950, 1, 1) + timedelta(int(rng.integers(0, 19000)))
                ).isoformat(),
                "locale": str(locale[i]),
                "segment": str(segment[i]),
                "signup_date": start.isoformat(),
                "consent_email": "yes",
                "consent_at": f"{start.isoformat()}T10:00:00+09:00",
                "consent_source": "activation",
            }
        )
        row = {
            "fee": int(fee[i]),
            **{f"rating_{d}": int(ratings[d][i]) for d in DRIVERS},
        }
        if ended is None:
            cause, rival = None, None
        elif wave[i]:
            cause, rival = "wave", WAVE_COMPETITOR
        else:
            cause, rival = _cause(rng, row)
        reason = "competitor" if cause == "wave" else cause
        ported = reason == "competitor" and rng.random() < 0.4  # the operator saw the port-out
        committed = _months_after(start, 24) if rng.random() < COMMITMENT_SHARE else None
        contract_rows.append(
            {
                "subscription_id": f"L{mid[1:]}",
                "member_id": mid,
                "plan": str(plan[i]),
                "monthly_fee": int(fee[i]),
                "started_on": start.isoformat(),
                "committed_until": None if committed is None else committed.isoformat(),
                "cancelled_on": None if ended is None else ended.isoformat(),
                "cancel_reason": "competitor" if ported else None,
                "competitor": rival if ported else None,
                "channel": str(rng.choice(["store", "web", "phone"], p=[0.6, 0.3, 0.1])),
                "device": str(
                    rng.choice(["Galaxy S24", "iPhone 15", "SIM only"], p=[0.45, 0.35, 0.2])
                ),
            }
        )
        truth_rows.append(
            {
                "subscription_id": f"L{mid[1:]}",
                "member_id": mid,
                "launch_cohort": bool(launch[i]),
                "segment": str(segment[i]),
                **row,
                "eta": float(eta[i]),
                "cause": cause,
                "reason": reason,
                "competitor": rival,
                "answers_exit": bool(ended is not None and rng.random() < RESPONSE_RATE["exit"]),
                "answers_welcome": bool(rng.random() < RESPONSE_RATE["welcome"]),
                "exit_nps": int(
                    np.clip(np.rint(1.2 * row["rating_network"] - 1.5 + rng.normal(0, 1.5)), 0, 10)
                ),
            }
        )
        end = ended or AS_OF
        current, current_fee = str(plan[i]), int(fee[i])
        changes_at: date | None = None
        if rng.random() < PLAN_CHANGE_SHARE and (end - start).days > 40:
            changes_at = start + timedelta(int(rng.integers(30, (end - start).days)))
            to = str(rng.choice([p for p in PLANS if p != current]))
            change_rows.append(
                {
                    "change_id": f"L{mid[1:]}-c1",
                    "subscription_id": f"L{mid[1:]}",
                    "changed_on": changes_at.isoformat(),
                    "from_plan": current,
                    "to_plan": to,
                    "fee_before": current_fee,
                    "fee_after": PLANS[to][1],
                }
            )
        level = float(rng.gamma(2.0, 6.0))
        for m in range(month_number(start), month_number(end) + 1):
            first = date(m // 12, m % 12 + 1, 1)
            billed_fee = current_fee
            if changes_at is not None and first >= date(changes_at.year, changes_at.month, 1):
                billed_fee = int(change_rows[-1]["fee_after"])
            gb = round(level * float(rng.lognormal(0, 0.3)), 2)
            bill_rows.append(
                {
                    "subscription_id": f"L{mid[1:]}",
                    "month": first.isoformat(),
                    "amount": billed_fee + int(rng.integers(0, 8)) * 1_100,
                    "data_gb": gb,
                    "voice_minutes": round(float(rng.gamma(3.0, 60.0)), 1),
                }
            )
    truth = pd.DataFrame(truth_rows)
    return TelecomOperator(
        seed=seed,
        members=pd.DataFrame(member_rows),
        plans=pd.DataFrame(
            [
                {
                    "code": code,
                    "name": name,
                    "monthly_fee": fee,
                    "category": "5G",
                    "commitment_months": 24,
                }
                for code, (name, fee) in PLANS.items()
            ]
        ),
        subscriptions=pd.DataFrame(contract_rows),
        plan_changes=pd.DataFrame(
            change_rows,
            columns=[
                "change_id",
                "subscription_id",
                "changed_on",
                "from_plan",
                "to_plan",
                "fee_before",
                "fee_after",
            ],
        ),
        bills=pd.DataFrame(bill_rows),
        answers=_welcome_answers(rng, truth, contract_rows, locale),
        truth=truth,
    )


def _welcome_answers(
    rng: np.random.Generator,
    truth: pd.DataFrame,
    contracts: list[dict[str, Any]],
    locale: np.ndarray,
) -> pd.DataFrame:
    """The welcome survey, answered at 20:00 on the activation day: NPS from the ratings,
    and the four driver ratings."""
    rows: list[dict[str, Any]] = []
    for i, t in enumerate(truth.to_dict("records")):
        if not t["answers_welcome"]:
            continue
        rated = {d: int(t[f"rating_{d}"]) for d in DRIVERS}
        ltr = 1.2 * rated["network"] + 0.6 * rated["service"] + 0.4 * rated["attitude"]
        ltr += 0.5 * rated["price"] - 1.6 + rng.normal(0, 1.0)
        nps = int(np.clip(np.rint(ltr), 0, 10))
        context = {
            "response_id": f"welcome-{t['subscription_id']}",
            "survey": WELCOME_SURVEY,
            "member_id": t["member_id"],
            "language": str(locale[i]),
            "collected_at": f"{contracts[i]['started_on']}T20:00:00+09:00",
        }
        rows.append({**context, "question": "nps", "value": nps})
        for d in DRIVERS:
            rows.append({**context, "question": "driver_rating", "driver": d, "value": rated[d]})
    frame = pd.DataFrame(rows)
    for name in COLUMNS:
        if name not in frame:
            frame[name] = None
    return frame[list(COLUMNS)]
