"""The demo coffee chain runs its loyalty programs: it earns, spends, stamps and climbs tiers.

Everything goes through the engine's services, as a live business would:

1. the three demo programs are installed (:mod:`regulars.demo.programs`);
2. members who came by referral are linked to an earlier member who referred them;
3. every imported purchase is accrued (the ``regulars loyalty accrue`` job) — points with
   their category, channel and tier multipliers, stamps and free-coffee vouchers, refunds
   taking back what their sale earned;
4. vouchers are used at the member's next visit while still valid (four in five of them);
5. signup and referral bonuses are granted, and the jobs release pending points, expire
   old lots and evaluate tiers as of the day after the last purchase;
6. about half of the members with enough points spend some of them on an order, each
   redemption under its own idempotency key, so running the demo again spends nothing twice.

Seeded: the same business and seed make the same choices (voucher codes are random); each
choice is drawn from its member's own stream, so a second run makes the same ones again and,
finding them done, adds nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from regulars.bootstrap import committing
from regulars.demo.business import DemoBusiness
from regulars.demo.programs import DEMO_PROGRAMS, install_demo_programs
from regulars.services.errors import Conflict
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.loyalty import jobs as loyalty_jobs
from regulars.store.unit_of_work import UnitOfWork

POINTS, STAMPS = "bean-points", "coffee-stamps"
VOUCHER_USE = 0.8
REDEEMING_SHARE = 0.5
MIN_REDEMPTION = 500
ACCRUAL_BATCH = 500


def _draws(seed: int, key: str, n: int = 1) -> np.ndarray:
    """``n`` uniform draws of this key's own stream: the same on every run of the demo."""
    return np.random.default_rng([seed, zlib.crc32(key.encode())]).random(n)


def as_of(business: DemoBusiness, timezone: str) -> datetime:
    """Midnight after the demo's last day, in the business's time zone, as UTC."""
    local = datetime.combine(business.end + timedelta(days=1), time(0), ZoneInfo(timezone))
    return local.astimezone(UTC)


def run_programs(
    unit_of_work: Callable[[], UnitOfWork],
    business: DemoBusiness,
    *,
    seed: int = 7,
    timezone: str = "Asia/Seoul",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the demo's programs on the imported business; return each program's overview."""
    rng = np.random.default_rng(seed + 3)
    now = as_of(business, timezone)
    with unit_of_work() as uow:
        install_demo_programs(uow)
        _register_referrals(uow, business, rng)
        uow.commit()
    loyalty_accrual.accrue_all(committing(unit_of_work), ACCRUAL_BATCH, progress)
    vouchers = _use_vouchers(unit_of_work, business, seed)
    with unit_of_work() as uow:
        bonuses = loyalty_accrual.grant_bonuses(uow, now, timezone=timezone)
        jobs = loyalty_jobs.run_all(uow, now)
        uow.commit()
    redemptions = _redeem_points(unit_of_work, business, seed, now)
    with unit_of_work() as uow:
        overviews = [loyalty.program_overview(uow, p["code"]) for p in DEMO_PROGRAMS]
    return {
        "as_of": now,
        "bonuses": bonuses,
        "jobs": jobs,
        "vouchers_used": vouchers,
        "redemptions": redemptions,
        "programs": overviews,
    }


def _register_referrals(uow: UnitOfWork, business: DemoBusiness, rng: np.random.Generator) -> int:
    """Each member acquired by referral was referred by a member who signed up before."""
    people = business.members.sort_values(["signup_date", "member_id"], kind="stable")
    ids = people["member_id"].to_numpy()
    referred = np.flatnonzero(people["acquisition_channel"].to_numpy() == "referral")
    count = 0
    for position in referred:
        if position == 0:
            continue
        referrer = ids[int(rng.integers(0, position))]
        try:
            loyalty_accrual.register_referral(uow, str(referrer), str(ids[position]))
        except Conflict:  # already linked, by an earlier run of the demo
            continue
        count += 1
    return count


def _sales_by_member(business: DemoBusiness) -> dict[str, np.ndarray]:
    sales = business.purchases[business.purchases["kind"] == "sale"]
    heads = sales.drop_duplicates("purchase_id")[["member_id", "occurred_at"]]
    at = pd.to_datetime(heads["occurred_at"], utc=True).dt.tz_convert(None)
    heads = heads.assign(at=at.astype("datetime64[ns]"))
    return {
        str(member): np.sort(group["at"].to_numpy())
        for member, group in heads.groupby("member_id", sort=False)
    }


def _use_vouchers(unit_of_work: Callable[[], UnitOfWork], business: DemoBusiness, seed: int) -> int:
    """Vouchers are used at the member's next visit while valid, four times in five."""
    visits = _sales_by_member(business)
    used = 0
    with unit_of_work() as uow:
        members = [a["member"] for a in loyalty.accounts_of(uow, STAMPS)]
        for member in members:
            times = visits.get(member)
            if times is None:
                continue
            for voucher in loyalty.rewards(uow, member, STAMPS):
                issued_at = datetime.fromisoformat(voucher["issued_at"])
                draw = _draws(seed, f"voucher:{member}:{voucher['issued_at']}")[0]
                if voucher["state"] != "issued" or draw >= VOUCHER_USE:
                    continue
                issued = np.datetime64(issued_at.replace(tzinfo=None), "ns")
                following = times[np.searchsorted(times, issued, side="right") :]
                if len(following) == 0:
                    continue
                at = pd.Timestamp(following[0]).tz_localize(UTC).to_pydatetime()
                expires = voucher["expires_at"]
                if expires is not None and at >= datetime.fromisoformat(expires):
                    continue
                loyalty.redeem_reward(uow, voucher["code"], f"demo:{voucher['code']}", now=at)
                used += 1
        uow.commit()
    return used


def _redeem_points(
    unit_of_work: Callable[[], UnitOfWork],
    business: DemoBusiness,
    seed: int,
    now: datetime,
) -> dict[str, int]:
    """About half of the members who can spend points spend part of them on an order."""
    redeemed = {"redemptions": 0, "points": 0}
    with unit_of_work() as uow:
        accounts = loyalty.accounts_of(uow, POINTS)
        for account in accounts:
            choose, size = _draws(seed, f"redeem:{account['member']}", 2)
            if account["available"] < MIN_REDEMPTION or choose >= REDEEMING_SHARE:
                continue
            share = 0.3 + 0.7 * size
            points = max(MIN_REDEMPTION, int(account["available"] * share) // 100 * 100)
            try:
                answer = loyalty.redeem_points(
                    uow,
                    account["member"],
                    POINTS,
                    points,
                    key=f"demo-redemption:{business.end.isoformat()}:{account['member']}",
                    order_amount=points * 2,  # points pay at most half an order
                    order_ref=f"demo-order-{account['member']}",
                    now=now,
                )
            except Conflict:  # this member already redeemed in an earlier run of the demo
                continue
            redeemed["redemptions"] += 1
            redeemed["points"] += int(answer["points"])
        uow.commit()
    return redeemed
