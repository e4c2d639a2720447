"""What the till asks: quote a basket, redeem points or a voucher, adjust, read balances.

Redemptions are idempotent by their key: the same key with the same request answers with
the original result; the same key with a different request is a 409. Spending is safe under
concurrency because every spend takes the member's account lock first (``store.ledger``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select, update

from regulars.domain.loyalty import earning
from regulars.domain.loyalty.ledger import InsufficientPoints
from regulars.domain.loyalty.programs import ProgramKind
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.services.loyalty import posting
from regulars.services.loyalty.accrual import earned_in_period
from regulars.services.loyalty.programs import (
    RunningProgram,
    member_id,
    running,
    running_program,
    utc,
)
from regulars.store.loyalty import ledger as ledger_store
from regulars.store.tables import loyalty_rewards, purchases
from regulars.store.unit_of_work import UnitOfWork


class NotEnoughPoints(Conflict):
    code = "insufficient_points"


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _spendable(connection: Connection, account_id: int, now: datetime) -> int:
    return sum(
        lot.remaining
        for lot in ledger_store.open_lots(connection, account_id)
        if lot.spendable(now)
    )


def cumulative_spend(connection: Connection, member: int, window_months: int, now: datetime) -> int:
    query = select(func.coalesce(func.sum(purchases.c.total_amount), 0)).where(
        purchases.c.member_id == member, purchases.c.occurred_at <= now
    )
    if window_months:
        month = now.year * 12 + now.month - 1 - window_months
        since = now.replace(year=month // 12, month=month % 12 + 1, day=min(now.day, 28))
        query = query.where(purchases.c.occurred_at > since)
    return int(connection.execute(query).scalar_one())


def quote(
    uow: UnitOfWork,
    member: str | None,
    lines: list[earning.BasketLine],
    store: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What the POS shows for a basket — writes nothing."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    basket = earning.Basket(tuple(lines), at=now, store=store, channel=channel)
    who = member_id(connection, member) if member else None
    result: dict[str, Any] = {"total": basket.total, "programs": []}
    for rp in running(connection):
        program = rp.program
        account = ledger_store.find_account(connection, who, rp.id) if who else None
        item: dict[str, Any] = {"program": program.code, "kind": program.kind.value}
        if program.kind is ProgramKind.POINTS and program.points is not None:
            tier = program.tiers.get(account["tier"]) if program.tiers and account else None
            points = earning.points_for(program, basket, tier).points if who else 0
            if account is not None and points:
                for cap in [program.cap, *(c.cap for c in program.campaigns if c.active(now))]:
                    if cap is not None:
                        since = earning.period_start(cap.period, now)
                        until = earning.period_end(cap.period, since)
                        earned = earned_in_period(connection, account["id"], since, until)
                        points = earning.capped(points, earned, cap)
            spendable = _spendable(connection, account["id"], now) if account else 0
            redeemable = earning.redeemable_points(program.points, spendable, basket.total)
            item |= {
                "points_to_earn": points,
                "balance": spendable,
                "pending": account["pending"] if account else 0,
                "redeemable_points": redeemable,
                "redeemable_value": redeemable * program.points.point_value,
                "point_value": program.points.point_value,
                "tier": tier.code if tier else None,
                "tier_discount_percent": str(tier.discount_percent) if tier else "0",
                "tier_discount": earning.discount_amount(basket.total, tier.discount_percent)
                if tier
                else 0,
                "privileges": list(tier.privileges) if tier else [],
            }
        elif program.kind is ProgramKind.DISCOUNT and program.discount is not None:
            spend = (
                cumulative_spend(connection, who, program.discount.window_months, now) if who else 0
            )
            rate = earning.discount_percent(program.discount, spend) if who else Decimal(0)
            item |= {
                "cumulative_spend": spend,
                "discount_percent": str(rate),
                "discount": earning.discount_amount(basket.total, rate) if who else 0,
            }
        elif program.kind is ProgramKind.STAMPS and program.stamps is not None:
            current = account["stamps"] if account else 0
            adding = earning.stamps_for(program.stamps, basket) if who else 0
            progress = earning.add_stamps(program.stamps, current, adding)
            vouchers = (
                [
                    {"code": r["code"], "name": r["name"], "expires_at": r["expires_at"]}
                    for r in ledger_store.account_rewards(connection, account["id"])
                    if r["state"] == "issued"
                    and (r["expires_at"] is None or (utc(r["expires_at"]) or now) > now)
                ]
                if account
                else []
            )
            item |= {
                "stamps": current,
                "stamps_to_add": adding,
                "every": program.stamps.every,
                "stamps_after": progress.stamps,
                "rewards_to_issue": progress.rewards,
                "reward": program.stamps.reward_name,
                "vouchers": vouchers,
            }
        result["programs"].append(item)
    return result


def redeem_points(
    uow: UnitOfWork,
    member: str,
    program_code: str,
    points: int,
    key: str,
    order_amount: int | None = None,
    order_ref: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Spend ``points`` (soonest-expiring first) against an order; idempotent by ``key``."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    rp = running_program(connection, program_code)
    rules = rp.program.points
    if rules is None:
        raise Invalid(f"program {program_code!r} has no points to redeem")
    if points <= 0:
        raise Invalid("points must be positive", [{"field": "points", "value": points}])
    refusal = earning.redemption_refusal(rules, points, order_amount)
    if refusal:
        raise Invalid(refusal, [{"field": "points", "value": points, "reason": refusal}])
    who = member_id(connection, member)
    digest = _hash({"member": member, "points": points, "order": order_amount, "ref": order_ref})
    source_key = f"redeem:{rp.id}:{key}"
    account = ledger_store.find_account(connection, who, rp.id)
    if account is None:
        raise NotEnoughPoints(f"{member!r} has no points in {program_code!r}")
    locked = posting.lock(connection, account["id"], now)
    done = ledger_store.transaction_by_key(connection, source_key)
    if done is not None:  # a retry: answer as the first time, or refuse a different request
        if done["request_hash"] != digest:
            raise Conflict("this idempotency key was already used for a different redemption")
        answer: dict[str, Any] = json.loads(done["detail"])
        return answer
    try:
        txn, draws = posting.spend(
            posting.Writer(connection),
            locked,
            rp,
            points,
            at=now,
            source_key=source_key,
            request_hash=digest,
            detail={"order_ref": order_ref, "order_amount": order_amount},
        )
    except InsufficientPoints as error:
        raise NotEnoughPoints(
            f"{member!r} can spend {error.spendable} points, not {points}",
            [{"field": "points", "value": points, "reason": "insufficient points"}],
        ) from None
    answer = {
        "transaction_id": txn,
        "member_id": member,
        "program": program_code,
        "points": points,
        "value": points * rules.point_value,
        "balance": locked.available,
        "lots": [{"lot_id": d.lot_id, "points": d.points} for d in draws],
        "order_ref": order_ref,
    }
    ledger_store.set_detail(connection, txn, json.dumps(answer, default=str))
    return answer


def redeem_reward(
    uow: UnitOfWork, code: str, key: str, now: datetime | None = None
) -> dict[str, Any]:
    """Use a voucher once; the same key again answers the same, any other use is a 409."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    row = ledger_store.reward(connection, code)
    if row is None:
        raise NotFound(f"no reward voucher {code!r}")
    changed = connection.execute(
        update(loyalty_rewards)
        .where(
            loyalty_rewards.c.code == code,
            loyalty_rewards.c.state == "issued",
            (loyalty_rewards.c.expires_at.is_(None)) | (loyalty_rewards.c.expires_at > now),
        )
        .values(state="redeemed", redeemed_at=now, redeem_key=key)
    ).rowcount
    row = ledger_store.reward(connection, code)
    assert row is not None
    if not changed and not (row["state"] == "redeemed" and row["redeem_key"] == key):
        state = "expired" if row["state"] == "issued" else row["state"]
        raise Conflict(f"voucher {code!r} is {state}")
    if changed:
        account = posting.lock(connection, row["account_id"], now)
        rp = next(r for r in running(connection) if r.id == account.program_id)
        w = posting.Writer(connection)
        posting.event(w, posting.REWARD_REDEEMED, account, rp, now, reward=code)
        w.flush()
    return {"code": code, "name": row["name"], "product": row["product"], "state": "redeemed"}


def adjust(
    uow: UnitOfWork,
    member: str,
    program_code: str,
    points: int,
    reason: str,
    actor: str,
    key: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A manual correction, with its reason and who made it (audited in the ledger)."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    if not reason or not reason.strip():
        raise Invalid("an adjustment needs a reason", [{"field": "reason", "value": reason}])
    if points == 0:
        raise Invalid("an adjustment of 0 points changes nothing")
    rp = running_program(connection, program_code)
    account = posting.lock_member(connection, member_id(connection, member), rp.id, now)
    source_key = f"adjust:{rp.id}:{key}" if key else None
    if source_key and ledger_store.transaction_by_key(connection, source_key):
        return {"program": program_code, "balance": account.available, "replayed": True}
    w = posting.Writer(connection)
    if points > 0:
        posting.award(
            w,
            account,
            rp,
            points,
            kind="adjust",
            at=now,
            source_key=source_key,
            reason=reason,
            actor=actor,
        )
    else:
        try:
            posting.spend(
                w,
                account,
                rp,
                -points,
                at=now,
                kind="adjust",
                source_key=source_key,
                reason=reason,
                actor=actor,
            )
        except InsufficientPoints as error:
            raise NotEnoughPoints(f"only {error.spendable} points can be taken") from None
    w.flush()
    return {"program": program_code, "balance": account.available, "pending": account.pending}


def _account_view(connection: Connection, row: Any, now: datetime) -> dict[str, Any]:
    return {
        "program": row["program"],
        "balance": row["available"],
        "spendable": _spendable(connection, row["id"], now),
        "pending": row["pending"],
        "debt": row["debt"],
        "stamps": row["stamps"],
        "tier": row["tier"],
        "tier_grace_until": row["tier_grace_until"],
    }


def balances(uow: UnitOfWork, member: str, now: datetime | None = None) -> dict[str, Any]:
    connection = uow.connection
    now = now or datetime.now(UTC)
    who = member_id(connection, member)
    accounts = ledger_store.member_accounts(connection, who)
    return {
        "member_id": member,
        "programs": [_account_view(connection, a, now) for a in accounts],
    }


def _account(connection: Connection, member: str, program_code: str) -> tuple[int, RunningProgram]:
    rp = running_program(connection, program_code)
    account = ledger_store.find_account(connection, member_id(connection, member), rp.id)
    if account is None:
        raise NotFound(f"{member!r} has no account in {program_code!r}")
    return int(account["id"]), rp


def history(uow: UnitOfWork, member: str, program_code: str, limit: int = 100) -> list[Any]:
    account_id, _ = _account(uow.connection, member, program_code)
    return [
        {
            "transaction_id": r["id"],
            "kind": r["kind"],
            "points": r["points"],
            "occurred_at": r["occurred_at"],
            "reason": r["reason"],
            "actor": r["actor"],
            "detail": json.loads(r["detail"]) if r["detail"] else None,
        }
        for r in ledger_store.account_history(uow.connection, account_id, limit)
    ]


def lots(uow: UnitOfWork, member: str, program_code: str) -> list[dict[str, Any]]:
    account_id, _ = _account(uow.connection, member, program_code)
    return [
        {
            "lot_id": r["id"],
            "points": r["points"],
            "remaining": r["remaining"],
            "awarded_at": r["awarded_at"],
            "release_at": r["release_at"],
            "expires_at": r["expires_at"],
            "state": "closed" if r["closed"] else ("open" if r["released"] else "pending"),
        }
        for r in ledger_store.account_lots(uow.connection, account_id)
    ]


def rewards(uow: UnitOfWork, member: str, program_code: str) -> list[dict[str, Any]]:
    account_id, _ = _account(uow.connection, member, program_code)
    return [
        {k: r[k] for k in ("code", "name", "product", "state", "issued_at", "expires_at")}
        for r in ledger_store.account_rewards(uow.connection, account_id)
    ]


def program_overview(uow: UnitOfWork, program_code: str) -> dict[str, Any]:
    """What a program owes and has moved: accounts, outstanding points (the liability),
    points per transaction kind, members per tier and vouchers per state."""
    connection = uow.connection
    rp = running_program(connection, program_code)
    accounts = ledger_store.program_accounts(connection, rp.id)
    tiers: dict[str, int] = {}
    for account in accounts:
        if account["tier"]:
            tiers[account["tier"]] = tiers.get(account["tier"], 0) + 1
    return {
        "program": program_code,
        "kind": rp.program.kind.value,
        "accounts": len(accounts),
        "available": sum(int(a["available"]) for a in accounts),
        "pending": sum(int(a["pending"]) for a in accounts),
        "debt": sum(int(a["debt"]) for a in accounts),
        "points_by_kind": ledger_store.points_by_kind(connection, rp.id),
        "tiers": tiers,
        "rewards": ledger_store.rewards_by_state(connection, rp.id),
    }


def accounts_of(uow: UnitOfWork, program_code: str) -> list[dict[str, Any]]:
    """Every account of a program: member, available, pending, debt, stamps, tier."""
    rp = running_program(uow.connection, program_code)
    return [dict(a) for a in ledger_store.program_accounts(uow.connection, rp.id)]
