"""A sale that lifts the member to a higher tier does so at once; a void undoes it.

The tier rules (:mod:`regulars.domain.loyalty.tiers`) say an upgrade is immediate and a
downgrade waits its grace period. ``regulars loyalty jobs`` evaluates every account daily;
a sale recorded through the API (``live``) is also measured the moment it is posted — the
measure over the window ending at the sale, the sale included — so the till can tell the
member "you are Gold now". Only upgrades (and the end of a grace period the member
requalified in) happen here; a downgrade is always the job's. The sale earns under the
tier it found: the new tier counts from the next purchase.

The change is kept in the sale's earn transaction (``detail.tier``: from, to, and the old
tier's ``since`` and ``grace_until``), so that the till's answer can be given again and a
void (:mod:`regulars.services.purchases.voids`) can put the old tier back when, without the
voided sale, the member no longer qualifies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from regulars.domain.loyalty import earning
from regulars.domain.loyalty import tiers as tier_rules
from regulars.domain.loyalty.programs import ProgramKind, TierRules
from regulars.domain.times import as_utc, wire
from regulars.services.loyalty import posting
from regulars.services.loyalty.effects import Effect
from regulars.services.loyalty.programs import RunningProgram
from regulars.store.loyalty import measures as measure_store
from regulars.store.loyalty import sums as sum_store
from regulars.store.loyalty import transactions as transaction_store
from regulars.store.loyalty.accounts import Account
from regulars.store.loyalty.writer import Writer


def _tiered(rp: RunningProgram) -> TierRules | None:
    return rp.program.tiers if rp.program.kind is ProgramKind.POINTS else None


class Measures:
    """Each member's tier measure over the window ending at each of their live sales, asked
    with the accrual's other sums (the sales are already written, so they count)."""

    def __init__(
        self,
        asks: sum_store.Asks,
        programs: Sequence[RunningProgram],
        sales: Sequence[tuple[int, earning.Basket]],
        accounts: dict[tuple[int, int], Account],
    ) -> None:
        self.asked: dict[tuple[int, int, datetime], tuple[str, int]] = {}
        self.found: dict[tuple[int, int, datetime], int] = {}
        for rp in programs:
            rules = _tiered(rp)
            if rules is None:
                continue
            for member, at in sorted({(member, basket.at) for member, basket in sales}):
                since = earning.window_start(at, rules.window_months)
                kind, who = MEASURED[rules.measure], member
                if rules.measure == "points":
                    who = accounts[(member, rp.id)].id
                self.asked[(rp.id, member, at)] = (kind, asks.ask(kind, (who, since, at)))

    def read(self, answers: sum_store.Answers) -> Measures:
        for key, (kind, n) in self.asked.items():
            self.found[key] = getattr(answers, kind)[n]
        return self

    def of(self, program_id: int, member_id: int, at: datetime) -> int | None:
        return self.found.get((program_id, member_id, at))


MEASURED = {"spend": "spend", "purchases": "purchases", "points": "earned"}
"""Which sum each tier measure is."""


def _rank(rules: TierRules, code: str | None) -> int:
    return next((i for i, t in enumerate(rules.tiers) if t.code == code), -1)


def _earn_detail(
    w: Writer, account: Account, rp: RunningProgram, purchase_id: int, at: datetime
) -> Any:
    """The detail of the sale's earn transaction in the account (a record of no points when
    the sale earned none), to note the tier change in."""
    for values in w.transactions:
        if (
            values["account_id"] == account.id
            and values["kind"] == "earn"
            and values["purchase_id"] == purchase_id
        ):
            if not isinstance(values["detail"], dict):
                values["detail"] = {}
            return values["detail"]
    detail: dict[str, Any] = {}
    w.transaction(
        account_id=account.id,
        kind="earn",
        points=0,
        purchase_id=purchase_id,
        program_version=rp.version,
        detail=detail,
        occurred_at=at,
    )
    return detail


def lift(
    w: Writer,
    rp: RunningProgram,
    account: Account,
    purchase_id: int,
    at: datetime,
    measures: Measures,
    posted: Effect,
) -> None:
    """Upgrade the account at once if the sale made the member qualify for a higher tier
    (or end the grace period they requalified in)."""
    rules = _tiered(rp)
    measured = measures.of(rp.id, account.member_id, at) if rules else None
    if rules is None or measured is None:
        return
    if rules.measure == "points":
        measured += posted.points  # earned by this very sale, not written yet
    decision = tier_rules.decide(rules, account.tier, account.tier_grace_until, measured, at)
    if _rank(rules, decision.tier) > _rank(rules, account.tier):
        before = account.tier
        _earn_detail(w, account, rp, purchase_id, at)["tier"] = {
            "from": before,
            "to": decision.tier,
            "since": wire(account.tier_since),
            "grace_until": wire(account.tier_grace_until),
        }
        account.set_tier(w, decision.tier, at, None)
        posted.tier_from, posted.tier_to = before, decision.tier
        _changed(w, rp, account, before, at, f"tier:{account.id}:purchase:{purchase_id}")
    elif account.tier_grace_until is not None and decision.grace_until is None:
        account.set_tier(w, account.tier, account.tier_since, None)  # requalified in grace


def undo(
    w: Writer,
    rp: RunningProgram,
    account: Account,
    sale_id: int,
    earned_detail: str | None,
    at: datetime,
) -> dict[str, Any] | None:
    """When a voided sale had lifted the member to the tier they still hold and, without it,
    they no longer qualify, put back the tier they had (with its dates); return the change
    ``{"from", "to"}`` (None when nothing changes). The void's refund is already written,
    so the measure no longer counts the sale."""
    rules = _tiered(rp)
    lifted = (json.loads(earned_detail).get("tier") if earned_detail else None) or None
    if rules is None or lifted is None or account.tier != lifted["to"]:
        return None
    since = earning.window_start(at, rules.window_months)
    (measured,) = measure_store.windows(
        w.connection, rp.id, rules.measure, [(account.member_id, since, at)]
    )
    if rules.measure == "points":  # the voided sale's earn still counts there: leave it out
        measured -= _earned_points(w, account, sale_id)
    qualifies = tier_rules.qualifying(rules, measured)
    if _rank(rules, qualifies.code if qualifies else None) >= _rank(rules, lifted["to"]):
        return None
    account.set_tier(
        w,
        lifted["from"],
        _moment(lifted.get("since")),
        _moment(lifted.get("grace_until")),
    )
    _changed(w, rp, account, lifted["to"], at, f"tier:{account.id}:void:{sale_id}")
    return {"from": lifted["to"], "to": lifted["from"]}


def _earned_points(w: Writer, account: Account, sale_id: int) -> int:
    earned = transaction_store.earned_by_purchase(w.connection, account.id, sale_id)
    return earned[0] if earned else 0


def _moment(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _changed(
    w: Writer, rp: RunningProgram, account: Account, old: str | None, at: datetime, key: str
) -> None:
    rules = rp.program.tiers
    tier = rules.get(account.tier) if rules else None
    w.event(
        None,
        {
            "topic": posting.TIER_CHANGED,
            "member_id": account.member_id,
            "channel": None,
            "dedupe_key": key,
            "created_at": at,
            "available_at": at,
            "payload": {
                "program": rp.program.code,
                "old": old,
                "new": account.tier,
                "privileges": list(tier.privileges) if tier else [],
            },
        },
    )
