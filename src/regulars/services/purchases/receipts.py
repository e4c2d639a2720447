"""The till's answer to a purchase: the purchase as recorded and what it did, program by
program — everything the POS prints on the receipt, in one response.

For every running points program: the points earned (``points``; on a refund or a void,
negative: taken back), how many of them are pending during the return window
(``points_pending``, until ``pending_until``) or spendable at once (``points_available``),
what settled a debt first (``debt_settled``) or became debt (``debt_added``), the account's
balances after it (``balance``, ``pending``, ``debt``), the tier and any tier change the
purchase made (``tier_change: {"from", "to"}``). For every stamp card: the stamps added
(or taken back), the card after it and how many stamps the next reward still needs, the
vouchers the purchase completed (``vouchers``: code, name, product, expiry) or revoked.
For every discount card: the member's cumulative spend and the rate it gives now.

Times in the answer are in the business's time zone (``REGULARS_TIMEZONE``), with their
offset: a till in that zone reads back what it sent. A purchase sent again (the same
``purchase_id``) answers what it posted then (read from the ledger, the same figures) with
the balances as they are now; with the same ``Idempotency-Key`` the very first answer is
replayed byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.loyalty import earning
from regulars.domain.loyalty.programs import ProgramKind
from regulars.domain.times import wire_local
from regulars.services.loyalty.effects import Effect, Held
from regulars.services.loyalty.programs import RunningProgram


def shown_purchase(
    head: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], zone: ZoneInfo
) -> dict[str, Any]:
    """The purchase as the API shows it: its fields, its lines (stored signs) and total."""
    shown = [
        {k: line[k] for k in ("line_no", "product", "category", "quantity", "amount")}
        for line in lines
    ]
    return {
        "purchase_id": head["purchase_id"],
        "member_id": head["member_id"],
        "occurred_at": wire_local(head["occurred_at"], zone),
        "store": head["store"],
        "channel": head["channel"],
        "kind": head["kind"],
        "original_purchase_id": head["original_purchase_id"],
        "total_amount": sum(int(line["amount"]) for line in shown),
        "lines": shown,
    }


def loyalty_lines(
    programs: Iterable[RunningProgram],
    posted: Mapping[int, Effect],
    held: Mapping[int, Held],
    spend: Mapping[int, int],
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """What the purchase did in each program: ``posted`` and ``held`` by program id (the
    member's accounts), ``spend`` the cumulative spend each discount card measures."""
    shown = []
    for rp in programs:
        program = rp.program
        kind = program.kind
        item: dict[str, Any] = {"program": program.code, "kind": kind.value}
        if kind is ProgramKind.DISCOUNT and program.discount is not None:
            if rp.id not in spend:
                continue
            rate = earning.discount_percent(program.discount, spend[rp.id])
            shown.append(item | {"cumulative_spend": spend[rp.id], "discount_percent": str(rate)})
            continue
        account = held.get(rp.id)
        if account is None:
            continue
        effect = posted.get(rp.id) or Effect(0, rp.id)
        if kind is ProgramKind.POINTS:
            net = max(0, effect.points - effect.settled_debt)
            waits = effect.pending_until is not None
            change = (
                {"from": effect.tier_from, "to": effect.tier_to} if effect.tier_changed else None
            )
            item |= {
                "points": effect.points,
                "points_pending": net if waits else 0,
                "points_available": 0 if waits else net,
                "pending_until": wire_local(effect.pending_until, zone),
                "debt_settled": effect.settled_debt,
                "debt_added": effect.debt_added,
                "balance": account.available,
                "pending": account.pending,
                "debt": account.debt,
                "tier": account.tier,
                "tier_change": change,
            }
        elif kind is ProgramKind.STAMPS and program.stamps is not None:
            every = program.stamps.every
            item |= {
                "stamps": effect.stamps,
                "card": account.stamps,
                "every": every,
                "stamps_to_reward": every - account.stamps,
                "reward": program.stamps.reward_name,
                "vouchers": [
                    {
                        "code": v.code,
                        "name": v.name,
                        "product": v.product,
                        "expires_at": wire_local(v.expires_at, zone),
                    }
                    for v in effect.vouchers
                ],
                "vouchers_revoked": list(effect.revoked),
            }
        shown.append(item)
    return shown


def by_program(effects: Mapping[int, Effect]) -> dict[int, Effect]:
    """Effects keyed by account, re-keyed by program."""
    return {e.program_id: e for e in effects.values()}


def discount_windows(
    programs: Iterable[RunningProgram], now: datetime
) -> list[tuple[int, datetime | None]]:
    """``(program id, start of its window)`` of each discount card (``None``: lifetime)."""
    return [
        (
            rp.id,
            earning.window_start(now, rp.program.discount.window_months)
            if rp.program.discount.window_months
            else None,
        )
        for rp in programs
        if rp.program.kind is ProgramKind.DISCOUNT and rp.program.discount is not None
    ]
