"""A campaign's results: members assigned and reached, conversion, revenue and points cost
per member for the treated and the holdout, and the uplift with its 95 % interval.

The unit is an assignment (a member's entry into the campaign). Conversion is a sale within
the attribution window after the assignment; revenue the net spend in that window, zeros
included; points cost what the campaign's gifts gave. The uplift of conversion uses
Newcombe's hybrid score interval, that of revenue per member Welch's t
(:mod:`regulars.analytics.uplift`); each says in words whether it can be told from zero
yet. Windows still open are counted as they stand (both arms alike) and reported.

A campaign that re-surveys (detractor recovery) also reports per arm the members
re-surveyed, those who answered the NPS question after it, and those **recovered**: whose
first answer after the re-survey is passive or promoter (``recovery``, with the share of
those who answered). Only the treated arm is re-surveyed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from regulars.analytics.uplift import Difference, newcombe_difference, verdict, welch_difference
from regulars.domain.engagement.campaigns import Survey
from regulars.domain.times import as_utc, wire
from regulars.services.engagement.campaigns import stored
from regulars.store.engagement import results as result_store
from regulars.store.unit_of_work import UnitOfWork

ARMS = ("treated", "holdout")
EMPTY = {
    "assigned": 0,
    "reached": 0,
    "converted": 0,
    "revenue": 0,
    "revenue_squares": 0.0,
    "points": 0,
    "open": 0,
    "resurveyed": 0,
    "answered": 0,
    "recovered": 0,
}


def _arm(totals: dict[str, Any]) -> dict[str, Any]:
    n = totals["assigned"]
    mean = totals["revenue"] / n if n else None
    variance = (
        (totals["revenue_squares"] - n * mean * mean) / (n - 1)
        if n > 1 and mean is not None
        else None
    )
    return {
        "assigned": n,
        "reached": totals["reached"],
        "converted": totals["converted"],
        "conversion_rate": totals["converted"] / n if n else None,
        "revenue": totals["revenue"],
        "revenue_per_member": mean,
        "revenue_sd": None if variance is None else max(variance, 0.0) ** 0.5,
        "points_cost": totals["points"],
        "points_per_member": totals["points"] / n if n else None,
        "windows_open": totals["open"],
        "resurveyed": totals["resurveyed"],
        "answered_after_resurvey": totals["answered"],
        "recovered": totals["recovered"],
    }


def _difference(value: Difference | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "estimate": value.estimate,
        "lower": value.lower,
        "upper": value.upper,
        "p_value": value.p_value,
        "significant": value.significant,
        "method": value.method,
    }


def _recovery(arm: dict[str, Any]) -> dict[str, Any]:
    answered = arm["answered_after_resurvey"]
    return {
        "resurveyed": arm["resurveyed"],
        "answered": answered,
        "recovered": arm["recovered"],
        "recovered_share": arm["recovered"] / answered if answered else None,
    }


def results(uow: UnitOfWork, code: str, as_of: datetime | None = None) -> dict[str, Any]:
    """The campaign's results as of ``as_of`` (default now)."""
    item = stored(uow, code)
    when = as_utc(as_of or datetime.now(UTC))
    totals = result_store.arm_totals(uow.connection, item.id, when)
    arms = {arm: {**EMPTY, **totals.get(arm, {})} for arm in ARMS}
    t, h = arms["treated"], arms["holdout"]
    conversion = revenue = None
    if t["assigned"] and h["assigned"]:
        conversion = newcombe_difference(
            t["converted"], t["assigned"], h["converted"], h["assigned"]
        )
    shown = {arm: _arm(arms[arm]) for arm in ARMS}
    if t["assigned"] > 1 and h["assigned"] > 1:
        st, sh = shown["treated"], shown["holdout"]
        revenue = welch_difference(
            st["revenue_per_member"], st["revenue_sd"] ** 2, t["assigned"],
            sh["revenue_per_member"], sh["revenue_sd"] ** 2, h["assigned"],
        )  # fmt: skip
    resurveys = any(isinstance(s, Survey) for s in item.campaign.steps)
    return {
        "code": code,
        "state": item.state.value,
        "recovery": _recovery(shown["treated"]) if resurveys else None,
        "as_of": wire(when),
        "attribution_days": item.campaign.attribution_days,
        "holdout_percent": item.campaign.holdout_percent,
        "arms": shown,
        "uplift": {
            "conversion": _difference(conversion),
            "revenue_per_member": _difference(revenue),
        },
        "verdict": [
            verdict("conversion", conversion, ""),
            verdict("revenue per member", revenue, ""),
        ],
        "runs": [
            {
                "run": r["run_key"],
                "started_at": wire(as_utc(r["started_at"])),
                "candidates": r["candidates"],
                "treated": r["treated"],
                "holdout": r["holdout"],
                "capped": r["capped"],
            }
            for r in result_store.runs(uow.connection, item.id)
        ],
    }


def assignments(uow: UnitOfWork, code: str) -> list[dict[str, Any]]:
    """Who the campaign took, in which arm, when, and whether a step reached them (times as
    aware UTC datetimes)."""
    item = stored(uow, code)
    return [
        {
            **row,
            "assigned_at": as_utc(row["assigned_at"]),
            "attribution_until": as_utc(row["attribution_until"]),
            "reached": bool(row["reached"]),
        }
        for row in result_store.assignments(uow.connection, item.id)
    ]
