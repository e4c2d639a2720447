"""The demo coffee chain runs campaigns with a known true effect, and measures it.

The honest order, as a live business would live it:

1. the history up to the campaigns' start is imported (by the caller), the programs the
   gifts need are installed, and members are scored as of that start;
2. the campaigns of ``campaigns.yaml`` are defined and launched, and the engine's daily job
   runs each morning of the campaign period (:data:`RUN_DAYS` days): the engine itself picks
   who enters, who is treated and who is held out, and sends and gives;
3. the daily campaigns end; the generator then adds, for the members the engine treated,
   the purchases the campaign caused (:func:`regulars.demo.business.campaign_visits`, the
   true effect of :data:`regulars.demo.business.CAMPAIGN_EFFECTS`); the holdout gets none;
4. the rest of the history (baseline and those visits) is imported by the caller, and
   :func:`measure` reads each campaign's results through ``campaign_results``.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import yaml

from regulars.bootstrap import App
from regulars.demo.business import CAMPAIGN_EFFECTS, TIMEZONE, DemoBusiness, campaign_visits
from regulars.demo.programs import install_demo_programs
from regulars.domain.engagement.campaigns import State, TriggerKind, parse_campaign
from regulars.domain.engagement.channels import channel_order
from regulars.services import scores as score_service
from regulars.services.engagement import campaign_results, campaign_runs, campaigns
from regulars.services.errors import Invalid

DEFINITIONS = Path(__file__).with_name("campaigns.yaml")
RUN_DAYS = 120  # the daily job runs each morning for four months
RUN_AT = time(10, 0)  # local time of the daily job


def definitions(path: Path = DEFINITIONS) -> list[dict[str, Any]]:
    """The campaign definitions of the demo's YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["campaigns"])


def start_of(items: list[dict[str, Any]]) -> datetime:
    """The campaigns' start: the win-back's wave (UTC)."""
    waves = [
        parse_campaign(item).trigger.wave_at
        for item in items
        if parse_campaign(item).trigger.kind is TriggerKind.WAVE
    ]
    moment = min(w for w in waves if w is not None)
    return moment.astimezone(UTC)


def split(business: DemoBusiness, at: datetime) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """The members who signed up by ``at``'s local day and the purchases before ``at``; and
    the rest (a purchase's lines share its time and stay together)."""
    day = at.astimezone(ZoneInfo(TIMEZONE)).date().isoformat()
    joined = (business.members["signup_date"] <= day).to_numpy()
    moments = pd.to_datetime(business.purchases["occurred_at"], utc=True)
    before = (moments < pd.Timestamp(at)).to_numpy()
    return {
        "members": (business.members[joined], business.members[~joined]),
        "purchases": (business.purchases[before], business.purchases[~before]),
    }


def run(app: App, business: DemoBusiness, *, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Steps 1-3 of the module on the imported history up to the start: returns the
    purchases the campaigns caused (to import with the rest) and what the job did."""
    settings = app.settings
    zone = ZoneInfo(settings.timezone)
    items = definitions()
    start = start_of(items)
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        known = {c["code"] for c in campaigns.list_campaigns(uow)}
        with suppress(Invalid):  # a business too small to fit has no scores: no win-back
            score_service.compute_scores(uow, start, timezone=settings.timezone)
        for item in items:
            if item["code"] in known:  # an earlier run of the demo ran it: nothing new
                continue
            campaigns.install(uow, item, now=start)
            campaigns.move(uow, item["code"], State.RUNNING, now=start)
        uow.commit()
    cap = campaign_runs.Cap(settings.campaign_cap_messages, settings.campaign_cap_days)
    first = start.astimezone(zone).date()
    done: dict[str, dict[str, int]] = {item["code"]: {} for item in items}
    for day in range(RUN_DAYS):
        moment = datetime.combine(first + timedelta(days=day), RUN_AT, zone).astimezone(UTC)
        with app.unit_of_work() as uow:
            summary = campaign_runs.run_campaigns(
                uow, moment, timezone=settings.timezone, cap=cap, secret=settings.secret_key,
                base_url=settings.public_url, channel_order=channel_order(settings.channel_order),
            )  # fmt: skip
            uow.commit()
        for c in summary.campaigns:
            totals = done[c.code]
            for key in ("treated", "holdout", "capped", "messages", "gifts", "points"):
                totals[key] = totals.get(key, 0) + getattr(c, key)
    ended = datetime.combine(first + timedelta(days=RUN_DAYS), time(0), zone).astimezone(UTC)
    visits = []
    with app.unit_of_work() as uow:
        for number, item in enumerate(items, start=1):
            campaigns.move(uow, item["code"], State.ENDED, now=ended)
            assigned = pd.DataFrame(
                campaign_results.assignments(uow, item["code"]),
                columns=["member", "arm", "assigned_at", "attribution_until", "reached"],
            )
            effect = CAMPAIGN_EFFECTS[item["code"]]
            visits.append(
                campaign_visits(
                    business, item["code"], assigned, effect=effect, seed=seed, prefix=f"C{number}"
                )
            )
        uow.commit()
    return pd.concat(visits, ignore_index=True), {"start": start, "ended": ended, "jobs": done}


def measure(app: App, business: DemoBusiness, as_of: datetime) -> list[dict[str, Any]]:
    """Each demo campaign's results as of ``as_of``, beside its true effect."""
    found = []
    with app.unit_of_work() as uow:
        for item in definitions():
            result = campaign_results.results(uow, item["code"], as_of)
            found.append({**result, "truth": business.campaigns.get(item["code"], {})})
    return found
