"""A coffee chain drawn from an explicit generative model, with its ground truth kept.

The model, member by member:

- **who**: segment (individual 80 %, business 12 %, VIP 8 %), age, region, locale (ko 85 %),
  acquisition channel and its cost, signup date, marketing consent per channel;
- **how satisfied**: five drivers (price, quality, delivery, service, staff) on a 1–5 scale,
  correlated through a common factor, with driver means that make *service* the weak spot;
- **how likely to recommend**: ``ltr = 2.6 · Σ wᵈ · satᵈ − 1.4 + ε`` (ε ~ N(0, 0.9)), clipped
  to 0–10, with the true weights :data:`WEIGHTS`; emotional ``attachment`` rises with ltr;
- **how they buy** (BG/NBD, Fader, Hardie & Lee 2005): a purchase rate λ ~ Gamma(r, α) per
  day, raised for business and VIP members and by 50 % for attached ones (the brief: attached
  customers buy about half as often again); after each purchase the member drops out for good
  with probability p ~ Beta(a, b), lowered for attached members. 15 % of members sign up and
  never buy (the first stage of the funnel);
- **how much**: a per-member mean spend ν (Gamma-Gamma style heterogeneity) sets the basket
  size; baskets are drawn from a small menu (coffee, bakery, beans, merchandise);
- **where**: a home store in the member's region for 90 % of store visits, the app, the web
  shop (delivered) or the phone; a favourite barista serves half of their store visits;
- about 1 % of sales are refunded in full a day or two later;
- **campaigns** (:data:`CAMPAIGN_EFFECTS`): a member a campaign treated (reached) has her
  probability of a purchase within its attribution window raised by the stated amount (an
  extra visit, :func:`campaign_visits`); a member held out has none.

Everything is seeded: the same ``(members, seed, end)`` gives the same business.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

DRIVERS = ("price", "quality", "delivery", "service", "staff")
WEIGHTS = {"price": 0.15, "quality": 0.30, "delivery": 0.10, "service": 0.30, "staff": 0.15}
DRIVER_MEANS = {"price": 3.4, "quality": 4.1, "delivery": 3.6, "service": 2.9, "staff": 3.9}
COMPLAINT_DRIVER = "service"
LTR_SCALE, LTR_SHIFT, LTR_NOISE = 2.6, -1.4, 0.9
BGNBD = {"r": 1.1, "alpha": 11.0, "a": 0.9, "b": 7.0}
SEGMENT_RATE = {"individual": 1.0, "business": 1.5, "vip": 2.5}
# The true effect of the demo's campaigns (demo/campaigns.yaml): a treated member's
# probability of a purchase within the attribution window is raised by this much (absolute),
# the holdout's is not (see :func:`campaign_visits`).
CAMPAIGN_EFFECTS = {"demo-win-back": 0.10, "demo-birthday": 0.06, "demo-new-menu": 0.0}

TIMEZONE = "Asia/Seoul"  # the local time of every generated time
REGIONS = ("Gangnam", "Mapo", "Jongno", "Songpa", "Bundang")
STORES = (
    ("S01", "Gangnam Station", "Gangnam"),
    ("S02", "Yeoksam", "Gangnam"),
    ("S03", "Hongdae", "Mapo"),
    ("S04", "Gwanghwamun", "Jongno"),
    ("S05", "Jamsil", "Songpa"),
    ("S06", "Pangyo", "Bundang"),
)
ONLINE = (
    ("WEB", "Web shop", "web"),
    ("APP", "Mobile app", "app"),
    ("TEL", "Phone orders", "phone"),
)
DEPARTMENTS = (
    ("sales", "Sales (store counter)"),
    ("support", "Customer support"),
    ("delivery", "Delivery"),
)
CHANNELS = {  # acquisition channel: (share, mean cost in won)
    "organic": (0.35, 0),
    "instagram": (0.20, 9_000),
    "naver_ads": (0.15, 14_000),
    "referral": (0.20, 5_000),
    "event": (0.10, 3_000),
}
MENU = (  # code, category, price (won), weight in a basket
    ("americano", "coffee", 4_500, 30),
    ("latte", "coffee", 5_000, 25),
    ("cold_brew", "coffee", 5_500, 12),
    ("flat_white", "coffee", 5_300, 8),
    ("croissant", "bakery", 4_000, 8),
    ("muffin", "bakery", 3_500, 7),
    ("sandwich", "bakery", 7_500, 5),
    ("beans_250g", "beans", 18_000, 3),
    ("tumbler", "merch", 25_000, 2),
)
KO_SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임")
KO_GIVEN = (
    "민준",
    "서연",
    "도윤",
    "지우",
    "하준",
    "서윤",
    "지호",
    "하은",
    "준서",
    "수아",
    "예준",
    "지민",
)
EN_FIRST = ("James", "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sophia")
EN_LAST = ("Smith", "Brown", "Wilson", "Taylor", "Clark", "Lee", "Walker", "Hall")


@dataclass
class DemoBusiness:
    """The generated business: import-ready frames and the ground truth behind them."""

    seed: int
    start: date
    end: date
    members: pd.DataFrame
    purchases: pd.DataFrame
    stores: pd.DataFrame
    departments: pd.DataFrame
    employees: pd.DataFrame
    truth: pd.DataFrame
    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))
    complaint_driver: str = COMPLAINT_DRIVER
    campaigns: dict[str, dict[str, object]] = field(default_factory=dict)

    def ground_truth(self) -> dict[str, object]:
        """The model's parameters, for tests and for ``ground_truth.json``."""
        return {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "members": len(self.members),
            "weights": self.weights,
            "driver_means": DRIVER_MEANS,
            "complaint_driver": self.complaint_driver,
            "ltr": {"scale": LTR_SCALE, "shift": LTR_SHIFT, "noise_sd": LTR_NOISE},
            "bgnbd": BGNBD,
            "segment_rate": SEGMENT_RATE,
            "campaign_effects": CAMPAIGN_EFFECTS,
            "campaigns": self.campaigns,
        }


def generate(members: int = 5_000, seed: int = 7, end: date = date(2026, 10, 31)) -> DemoBusiness:
    """Draw a coffee chain of ``members`` members with two years of purchases up to ``end``."""
    if members < 1:
        raise ValueError("members must be at least 1")
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=730)
    stores, departments, employees = _organisation()
    truth = _members_truth(rng, members, start, end, employees)
    member_frame = _member_records(rng, truth, start)
    purchases = _purchases(rng, truth, start, end, employees)
    return DemoBusiness(
        seed,
        start,
        end,
        member_frame,
        purchases,
        stores,
        departments,
        employees,
        truth.drop(columns=["signup_day", "buys"]),
    )


def _organisation() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    stores = pd.DataFrame(
        [(c, n, "store", r) for c, n, r in STORES] + [(c, n, k, None) for c, n, k in ONLINE],
        columns=["code", "name", "kind", "region"],
    )
    departments = pd.DataFrame(DEPARTMENTS, columns=["code", "name"])
    rows = []
    for store, _, _ in STORES:
        for i in range(1, 4):
            rows.append((f"{store}-E{i}", f"Barista {store}-{i}", store, "sales"))
    rows += [(f"SUP-E{i}", f"Support agent {i}", "TEL", "support") for i in range(1, 4)]
    rows += [(f"DEL-E{i}", f"Courier {i}", "WEB", "delivery") for i in range(1, 4)]
    employees = pd.DataFrame(rows, columns=["code", "name", "store", "department"])
    return stores, departments, employees


def _members_truth(
    rng: np.random.Generator, n: int, start: date, end: date, employees: pd.DataFrame
) -> pd.DataFrame:
    ids = np.array([f"M{i:06d}" for i in range(1, n + 1)], dtype=object)
    segment = rng.choice(["individual", "business", "vip"], n, p=[0.80, 0.12, 0.08])
    age = np.where(segment == "business", rng.integers(30, 61, n), rng.integers(18, 76, n))
    region = rng.choice(REGIONS, n)
    channel_names = list(CHANNELS)
    channel = rng.choice(channel_names, n, p=[CHANNELS[c][0] for c in channel_names])
    common = rng.normal(0, 1, n)
    sat = {
        d: np.clip(DRIVER_MEANS[d] + 0.55 * common + 0.6 * rng.normal(0, 1, n), 1, 5)
        for d in DRIVERS
    }
    weighted = sum(WEIGHTS[d] * sat[d] for d in DRIVERS)
    ltr = np.clip(LTR_SCALE * weighted + LTR_SHIFT + rng.normal(0, LTR_NOISE, n), 0, 10)
    attachment = 1 / (1 + np.exp(-1.4 * (ltr - 7.0)))
    rate_scale = np.vectorize(SEGMENT_RATE.get)(segment) * (1 + 0.5 * (attachment > 0.5))
    lam = rng.gamma(BGNBD["r"], 1 / BGNBD["alpha"], n) * rate_scale
    p_dropout = rng.beta(BGNBD["a"], BGNBD["b"], n) * (1.3 - 0.6 * attachment)
    spend_mean = rng.gamma(6.0, 1.0 / rng.gamma(10.0, 6 / 72_000, n))  # won per purchase
    span = (end - start).days
    signup_day = np.sort(rng.integers(0, span - 14, n))
    store_by_region = {r: [c for c, _, sr in STORES if sr == r] for r in REGIONS}
    home = np.array([rng.choice(store_by_region[r]) for r in region], dtype=object)
    favourite = np.array([f"{h}-E{rng.integers(1, 4)}" for h in home], dtype=object)
    return pd.DataFrame(
        {
            "member_id": ids,
            "segment": segment,
            "age": age,
            "region": region,
            "acquisition_channel": channel,
            "lam": lam,
            "p_dropout": np.clip(p_dropout, 0, 0.95),
            "spend_mean": spend_mean.round(0),
            "attachment": attachment,
            **{f"sat_{d}": sat[d] for d in DRIVERS},
            "ltr": ltr,
            "home_store": home,
            "favourite_employee": favourite,
            "signup_day": signup_day,
            "buys": rng.random(n) < 0.85,
        }
    )


def _member_records(rng: np.random.Generator, truth: pd.DataFrame, start: date) -> pd.DataFrame:
    n = len(truth)
    locale = rng.choice(["ko", "en"], n, p=[0.85, 0.15])
    names = [
        f"{rng.choice(KO_SURNAMES)}{rng.choice(KO_GIVEN)}"
        if loc == "ko"
        else f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
        for loc in locale
    ]
    signup = pd.to_datetime(start) + pd.to_timedelta(truth["signup_day"], unit="D")
    birth = signup - pd.to_timedelta(truth["age"] * 365.25 + rng.integers(0, 365, n), unit="D")
    cost = np.array([CHANNELS[c][1] for c in truth["acquisition_channel"]], dtype=float)
    cost = np.round(cost * rng.uniform(0.7, 1.3, n), -2).astype(int)
    consent = {
        c: rng.random(n) < share for c, share in (("email", 0.6), ("sms", 0.45), ("push", 0.35))
    }
    return pd.DataFrame(
        {
            "member_id": truth["member_id"],
            "name": names,
            "email": [f"{m.lower()}@example.com" for m in truth["member_id"]],
            "phone": [
                f"010-{rng.integers(1000, 10000)}-{rng.integers(1000, 10000)}" for _ in range(n)
            ],
            "birth_date": birth.dt.strftime("%Y-%m-%d"),
            "locale": locale,
            "segment": truth["segment"],
            "region": truth["region"],
            "signup_date": signup.dt.strftime("%Y-%m-%d"),
            "acquisition_channel": truth["acquisition_channel"],
            "acquisition_cost": cost,
            **{f"consent_{c}": np.where(v, "yes", "no") for c, v in consent.items()},
            "consent_at": (signup + pd.Timedelta(hours=10)).dt.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
            "consent_source": "signup form",
        }
    )


def _purchase_times(
    rng: np.random.Generator, truth: pd.DataFrame, span: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate the BG/NBD process: (member index, day) of each purchase, and per member
    whether they are alive at the end and the day they dropped out (NaN if alive)."""
    n = len(truth)
    buyers = np.flatnonzero(truth["buys"].to_numpy())
    lam = truth["lam"].to_numpy()
    p = truth["p_dropout"].to_numpy()
    t = truth["signup_day"].to_numpy().astype(float) + rng.uniform(0, 1, n)
    who, when = [buyers], [t[buyers]]  # the first purchase is made at signup
    alive = np.zeros(n, dtype=bool)
    alive[buyers] = True
    dropout_day = np.full(n, np.nan)
    active = buyers
    while active.size:
        dropped = rng.random(active.size) < p[active]
        dropout_day[active[dropped]] = t[active[dropped]]
        alive[active[dropped]] = False
        active = active[~dropped]
        t[active] += rng.exponential(1 / np.maximum(lam[active], 1e-9))
        inside = t[active] < span
        active = active[inside]
        who.append(active)
        when.append(t[active])
    return np.concatenate(who), np.concatenate(when), alive, dropout_day


def _purchases(
    rng: np.random.Generator, truth: pd.DataFrame, start: date, end: date, employees: pd.DataFrame
) -> pd.DataFrame:
    span = (end - start).days
    who, day, alive, dropout_day = _purchase_times(rng, truth, span)
    order = np.lexsort((day, who))
    who, day = who[order], day[order]
    truth["alive_at_end"] = alive
    truth["dropout_at"] = (pd.Timestamp(start) + pd.to_timedelta(dropout_day, unit="D")).date
    truth["dropout_day"] = dropout_day  # days since the start; NaN for a member never lost
    m = len(who)
    channel = rng.choice(["store", "app", "web", "phone"], m, p=[0.75, 0.15, 0.07, 0.03])
    home = truth["home_store"].to_numpy()[who]
    other = rng.choice([c for c, _, _ in STORES], m)
    store = np.where(rng.random(m) < 0.9, home, other)
    store = np.where(channel == "web", "WEB", np.where(channel == "phone", "TEL", store))
    barista = np.array(
        [f"{s}-E{k}" for s, k in zip(store, rng.integers(1, 4, m), strict=True)], dtype=object
    )
    favourite = truth["favourite_employee"].to_numpy()[who]
    served_by_fav = (rng.random(m) < 0.5) & (channel == "store") & (store == home)
    employee = np.where(served_by_fav, favourite, barista)
    employee = np.where(channel == "web", rng.choice(["DEL-E1", "DEL-E2", "DEL-E3"], m), employee)
    employee = np.where(channel == "phone", rng.choice(["SUP-E1", "SUP-E2", "SUP-E3"], m), employee)
    employee = np.where(channel == "app", np.array(None, dtype=object), employee)
    # A purchase's hour: mornings are busiest; times are local (Asia/Seoul).
    hour = np.clip(rng.normal(11, 3, m), 7, 21.9)
    moment = (
        pd.Timestamp(start)
        + pd.to_timedelta(np.floor(day), unit="D")
        + pd.to_timedelta(hour * 3600, unit="s")
    ).floor("s")
    purchase_ids = np.array([f"P{i:08d}" for i in range(1, m + 1)], dtype=object)
    lines = _baskets(rng, truth["spend_mean"].to_numpy()[who])
    frame = _sale_lines(
        lines,
        purchase_id=purchase_ids,
        member_id=truth["member_id"].to_numpy()[who],
        occurred_at=moment.strftime("%Y-%m-%dT%H:%M:%S+09:00").to_numpy(),
        store=store,
        channel=channel,
        employee=employee,
    )
    return pd.concat([frame, _refunds(rng, frame, end)], ignore_index=True)


def _sale_lines(lines: dict[str, np.ndarray], **per_purchase: np.ndarray) -> pd.DataFrame:
    """The import rows of sales: each purchase's own values (``per_purchase``, one a
    purchase) repeated on each of its basket's ``lines``."""
    at = lines["purchase"]
    return pd.DataFrame(
        {
            **{name: np.asarray(values)[at] for name, values in per_purchase.items()},
            "kind": "sale",
            "original_purchase_id": None,
            "line_no": lines["line_no"],
            "product": lines["product"],
            "category": lines["category"],
            "quantity": lines["quantity"],
            "amount": lines["amount"],
        }
    )


def _baskets(rng: np.random.Generator, spend_mean: np.ndarray) -> dict[str, np.ndarray]:
    """Draw each purchase's lines so that its expected value follows the member's spend."""
    codes = np.array([c for c, _, _, _ in MENU], dtype=object)
    categories = np.array([c for _, c, _, _ in MENU], dtype=object)
    prices = np.array([p for _, _, p, _ in MENU])
    weights = np.array([w for _, _, _, w in MENU], dtype=float)
    weights /= weights.sum()
    mean_item = float((prices * weights).sum())
    items = 1 + rng.poisson(np.maximum(spend_mean / mean_item - 1, 0))
    purchase = np.repeat(np.arange(len(spend_mean)), items)
    product = rng.choice(len(codes), purchase.size, p=weights)
    basket = pd.DataFrame({"purchase": purchase, "product": product})
    grouped = basket.groupby(["purchase", "product"], sort=True).size().reset_index(name="qty")
    grouped["line_no"] = grouped.groupby("purchase").cumcount() + 1
    return {
        "purchase": grouped["purchase"].to_numpy(),
        "line_no": grouped["line_no"].to_numpy(),
        "product": codes[grouped["product"]],
        "category": categories[grouped["product"]],
        "quantity": grouped["qty"].to_numpy(),
        "amount": grouped["qty"].to_numpy() * prices[grouped["product"]],
    }


def campaign_visits(
    business: DemoBusiness,
    code: str,
    assigned: pd.DataFrame,
    *,
    effect: float,
    seed: int,
    prefix: str,
) -> pd.DataFrame:
    """The purchases a campaign's treatment adds: its true effect, applied to the members the
    engine treated and reached (``assigned``: member, arm, assigned_at, attribution_until,
    reached, as the engine stored them); the holdout gets none.

    The effect raises a treated member's probability of a purchase within her attribution
    window by ``effect`` (absolute). Without the campaign that probability is ``p0 = 1 -
    exp(-λ·W)`` for a member still alive at the assignment (the BG/NBD process: purchases at
    rate λ while alive), 0 for one who has dropped out. A treated member with no purchase
    in her window gets one extra visit in it with probability ``effect / (1 - p0)``, so that
    ``P(purchase) = p0 + effect`` (capped at 1 for the few nearly sure to come anyway). The
    visit is made at the home store, a uniform day inside the window. Records in
    :attr:`DemoBusiness.campaigns` the true effect on the treated (the model's expectation
    and the realised share) and the true uplift per assigned member that
    ``campaign_results`` estimates.
    """
    truth = business.truth.set_index("member_id")
    treated_all = assigned[assigned["arm"] == "treated"]
    treated = treated_all[treated_all["reached"]]
    rng = np.random.default_rng([seed, zlib.crc32(code.encode())])
    origin = pd.Timestamp(business.start).tz_localize(TIMEZONE)
    at = pd.to_datetime(treated["assigned_at"], utc=True)
    until = pd.to_datetime(treated["attribution_until"], utc=True)
    t = ((at - origin) / pd.Timedelta(days=1)).to_numpy()
    window = ((until - at) / pd.Timedelta(days=1)).to_numpy()
    rows = truth.loc[treated["member"]]
    alive = rows["alive_at_end"].to_numpy() | (rows["dropout_day"].to_numpy() > t)
    p_none = np.where(alive, np.exp(-rows["lam"].to_numpy() * window), 1.0)
    bought = _bought_within(business.purchases, treated["member"].to_numpy(), at, until)
    chance = np.minimum(1.0, effect / np.maximum(p_none, 1e-12))
    visit = ~bought & (rng.random(len(treated)) < chance)
    who = np.flatnonzero(visit)
    days = np.floor(rng.uniform(1, np.maximum(window[who], 2) - 1e-9))
    hour = np.clip(rng.normal(11, 3, who.size), 7, 21.9)
    local = (
        at.iloc[who].dt.tz_convert(TIMEZONE).dt.normalize().dt.tz_localize(None)
        + pd.to_timedelta(days, unit="D")
        + pd.to_timedelta(hour * 3600, unit="s")
    ).dt.floor("s")
    members = treated["member"].to_numpy()[who]
    home = rows["home_store"].to_numpy()[who]
    lines = _baskets(rng, rows["spend_mean"].to_numpy()[who])
    ids = np.array([f"{prefix}{i:07d}" for i in range(1, who.size + 1)], dtype=object)
    frame = _sale_lines(
        lines,
        purchase_id=ids,
        member_id=members,
        occurred_at=local.dt.strftime("%Y-%m-%dT%H:%M:%S+09:00").to_numpy(),
        store=home,
        channel=np.full(who.size, "store", dtype=object),
        employee=rows["favourite_employee"].to_numpy()[who],
    )
    expected = np.minimum(effect, p_none)
    business.campaigns[code] = {
        "effect": effect,
        "assigned": {arm: int((assigned["arm"] == arm).sum()) for arm in ("treated", "holdout")},
        "treated_reached": len(treated),
        "true_effect_on_reached": float(expected.mean()) if len(treated) else None,
        "true_uplift": float(expected.sum() / len(treated_all)) if len(treated_all) else None,
        "realised_uplift": float(visit.sum() / len(treated_all)) if len(treated_all) else None,
        "visits_added": int(visit.sum()),
    }
    return frame


def _bought_within(
    purchases: pd.DataFrame, members: np.ndarray, after: pd.Series, until: pd.Series
) -> np.ndarray:
    """Whether each member has a sale in ``(after, until]``."""
    sales = purchases.loc[purchases["kind"] == "sale", ["purchase_id", "member_id", "occurred_at"]]
    heads = sales.drop_duplicates("purchase_id")
    windows = pd.DataFrame(
        {"row": np.arange(len(members)), "member_id": members,
         "after": after.to_numpy(), "until": until.to_numpy()}
    )  # fmt: skip
    pairs = windows.merge(heads, on="member_id")
    at = pd.to_datetime(pairs["occurred_at"], utc=True)
    inside = (at > pairs["after"]) & (at <= pairs["until"])
    bought = np.zeros(len(members), dtype=bool)
    bought[pairs.loc[inside, "row"].to_numpy()] = True
    return bought


def _refunds(rng: np.random.Generator, sales: pd.DataFrame, end: date) -> pd.DataFrame:
    heads = sales.drop_duplicates("purchase_id")
    chosen = heads.loc[rng.random(len(heads)) < 0.01, "purchase_id"]
    refunds = sales[sales["purchase_id"].isin(chosen)].copy()
    delay = pd.Series(rng.integers(1, 3, len(chosen)), index=chosen.to_numpy())
    later = pd.to_datetime(refunds["occurred_at"]) + pd.to_timedelta(
        delay.loc[refunds["purchase_id"]].to_numpy(), unit="D"
    )
    limit = pd.Timestamp(datetime.combine(end, datetime.min.time()), tz="Asia/Seoul")
    keep = (later < limit).to_numpy()
    refunds = refunds[keep]
    refunds["occurred_at"] = later[keep].dt.strftime("%Y-%m-%dT%H:%M:%S+09:00")
    refunds["original_purchase_id"] = refunds["purchase_id"]
    refunds["purchase_id"] = "R" + refunds["purchase_id"].str[1:]
    refunds["kind"] = "refund"
    refunds["amount"] = -refunds["amount"]
    refunds["quantity"] = -refunds["quantity"]
    return refunds
