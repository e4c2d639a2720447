"""What the till asks: quote a basket, redeem points or a voucher, adjust, read balances.

Redemptions are idempotent by their key: the same key with the same request answers with
the original result; the same key with a different request is a 409. Spending is safe under
concurrency because every spend takes the member's account lock first
(``regulars.store.loyalty``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from regulars.domain.loyalty import earning
from regulars.domain.loyalty.ledger import InsufficientPoints
from regulars.domain.loyalty.programs import ProgramKind
from regulars.domain.times import as_utc, wire
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.services.loyalty import posting
from regulars.services.loyalty.programs import RunningProgram, running, running_program
from regulars.store import erasure as erasure_store
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty import lots as lot_store
from regulars.store.loyalty import measures
from regulars.store.loyalty import rewards as reward_store
from regulars.store.loyalty import sums as sum_store
from regulars.store.loyalty import transactions as transaction_store
from regulars.store.loyalty.writer import Writer
from regulars.store.unit_of_work import UnitOfWork


class NotEnoughPoints(Conflict):
    code = "insufficient_points"


class MemberErased(Conflict):
    code = "member_erased"


def member_id(uow: UnitOfWork, external_id: str) -> int:
    """The member's id; :class:`NotFound` when there is no such member."""
    found = account_store.member_id(uow.connection, external_id)
    if found is None:
        raise NotFound(f"no member with id {external_id!r}")
    return found


def active_member_id(uow: UnitOfWork, external_id: str) -> int:
    """The id of a member who may earn and spend; :class:`MemberErased` (409) for a member
    erased on request (their account is kept for the books, and rests)."""
    found = member_id(uow, external_id)
    if erasure_store.erased_among(uow.connection, [found]):
        raise MemberErased(
            f"member {external_id!r} was erased on request: their points can no longer be "
            "earned or spent (enrol the person again as a new member)"
        )
    return found


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _spendable(uow: UnitOfWork, account_id: int, now: datetime) -> int:
    return sum(
        lot.remaining
        for lot in lot_store.open_lots(uow.connection, account_id)
        if lot.spendable(now)
    )


def cumulative_spend(uow: UnitOfWork, member: int, window_months: int, now: datetime) -> int:
    """What the member spent over the discount card's window (``0`` months: ever)."""
    since = earning.window_start(now, window_months) if window_months else None
    return measures.cumulative_spend(uow.connection, member, since, now)


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
    who = member_id(uow, member) if member else None
    result: dict[str, Any] = {"total": basket.total, "programs": []}
    held = (
        {row["program_id"]: row for row in account_store.member_accounts(connection, who)}
        if who
        else {}
    )
    # What the caps have taken this period and what the discount cards measure: one ask.
    asks = sum_store.Asks()
    cap_asks: dict[tuple[int, int], int] = {}
    spend_asks: dict[int, int] = {}
    for rp in running(uow):
        program, account = rp.program, held.get(rp.id)
        if program.kind is ProgramKind.POINTS and account is not None:
            caps = [program.cap, *(c.cap for c in program.campaigns if c.active(now))]
            for n, cap in enumerate(caps):
                if cap is not None:
                    since = earning.period_start(cap.period, now)
                    until = earning.period_end(cap.period, since)
                    cap_asks[(rp.id, n)] = asks.ask("earned_in", (account["id"], since, until))
        elif program.kind is ProgramKind.DISCOUNT and program.discount is not None and who:
            months = program.discount.window_months
            since = earning.window_start(now, months) if months else sum_store.EVER
            spend_asks[rp.id] = asks.ask("spend", (who, since, now))
    sums = sum_store.answer(connection, asks)
    for rp in running(uow):
        program = rp.program
        account = held.get(rp.id)
        item: dict[str, Any] = {"program": program.code, "kind": program.kind.value}
        if program.kind is ProgramKind.POINTS and program.points is not None:
            tier = program.tiers.get(account["tier"]) if program.tiers and account else None
            points = earning.points_for(program, basket, tier).points if who else 0
            if account is not None and points:
                caps = [program.cap, *(c.cap for c in program.campaigns if c.active(now))]
                for n, cap in enumerate(caps):
                    if cap is not None:
                        earned = sums.earned_in[cap_asks[(rp.id, n)]]
                        points = earning.capped(points, earned, cap)
            spendable = _spendable(uow, account["id"], now) if account else 0
            pending = account["pending"] if account else 0
            may = earning.redeemable(program.points, spendable, pending, max(0, basket.total))
            item |= {
                "points_to_earn": points,
                "balance": spendable,
                "pending": pending,
                "redeemable_points": may.points,
                "redeemable_value": may.points * program.points.point_value,
                "not_redeemable": {"code": may.refusal[0], "reason": may.refusal[1]}
                if may.refusal
                else None,
                "redeemable_limited_by": may.limited_by,
                "point_value": program.points.point_value,
                "tier": tier.code if tier else None,
                "tier_discount_percent": str(tier.discount_percent) if tier else "0",
                "tier_discount": earning.discount_amount(basket.total, tier.discount_percent)
                if tier
                else 0,
                "privileges": list(tier.privileges) if tier else [],
            }
        elif program.kind is ProgramKind.DISCOUNT and program.discount is not None:
            spend = sums.spend[spend_asks[rp.id]] if who else 0
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
                    {"code": r["code"], "name": r["name"], "expires_at": wire(r["expires_at"])}
                    for r in reward_store.account_rewards(connection, account["id"])
                    if r["state"] == "issued"
                    and (r["expires_at"] is None or as_utc(r["expires_at"]) > now)
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
    rp = running_program(uow, program_code)
    rules = rp.program.points
    if rules is None:
        raise Invalid(f"program {program_code!r} has no points to redeem")
    if points <= 0:
        raise Invalid("points must be positive", [{"field": "points", "value": points}])
    refusal = earning.redemption_refusal(rules, points, order_amount)
    if refusal:
        raise Invalid(refusal, [{"field": "points", "value": points, "reason": refusal}])
    who = active_member_id(uow, member)
    digest = _hash({"member": member, "points": points, "order": order_amount, "ref": order_ref})
    source_key = f"redeem:{rp.id}:{key}"
    account = account_store.find_account(connection, who, rp.id)
    if account is None:
        raise NotEnoughPoints(f"{member!r} has no points in {program_code!r}")
    locked = account_store.lock(connection, account["id"], now)
    done = transaction_store.transaction_by_key(connection, source_key)
    if done is not None:  # a retry: answer as the first time, or refuse a different request
        if done["request_hash"] != digest:
            raise Conflict("this idempotency key was already used for a different redemption")
        answer: dict[str, Any] = json.loads(done["detail"])
        return answer
    try:
        txn, draws = posting.spend(
            Writer(connection),
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
    transaction_store.set_detail(connection, txn, json.dumps(answer, default=str))
    return answer


def redeem_reward(
    uow: UnitOfWork, code: str, key: str, now: datetime | None = None
) -> dict[str, Any]:
    """Use a voucher once; the same key again answers the same, any other use is a 409."""
    connection = uow.connection
    now = now or datetime.now(UTC)
    row = reward_store.reward(connection, code)
    if row is None:
        raise NotFound(f"no reward voucher {code!r}")
    if erasure_store.account_member_erased(connection, row["account_id"]):
        raise MemberErased(f"voucher {code!r} belonged to a member erased on request")
    changed = reward_store.use(connection, code, key, now)
    row = reward_store.reward(connection, code)
    assert row is not None
    if not changed and not (row["state"] == "redeemed" and row["redeem_key"] == key):
        state = "expired" if row["state"] == "issued" else row["state"]
        raise Conflict(f"voucher {code!r} is {state}")
    if changed:
        account = account_store.lock(connection, row["account_id"], now)
        rp = next(r for r in running(uow) if r.id == account.program_id)
        w = Writer(connection)
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
    rp = running_program(uow, program_code)
    account = account_store.lock_member(connection, active_member_id(uow, member), rp.id, now)
    source_key = f"adjust:{rp.id}:{key}" if key else None
    if source_key and transaction_store.transaction_by_key(connection, source_key):
        return {"program": program_code, "balance": account.available, "replayed": True}
    w = Writer(connection)
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


def _account_view(uow: UnitOfWork, row: Any, now: datetime) -> dict[str, Any]:
    return {
        "program": row["program"],
        "balance": row["available"],
        "spendable": _spendable(uow, row["id"], now),
        "pending": row["pending"],
        "debt": row["debt"],
        "stamps": row["stamps"],
        "tier": row["tier"],
        "tier_grace_until": wire(row["tier_grace_until"]),
    }


def balances(uow: UnitOfWork, member: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    accounts = account_store.member_accounts(uow.connection, member_id(uow, member))
    return {
        "member_id": member,
        "programs": [_account_view(uow, a, now) for a in accounts],
    }


def _account(uow: UnitOfWork, member: str, program_code: str) -> tuple[int, RunningProgram]:
    rp = running_program(uow, program_code)
    account = account_store.find_account(uow.connection, member_id(uow, member), rp.id)
    if account is None:
        raise NotFound(f"{member!r} has no account in {program_code!r}")
    return int(account["id"]), rp


def history(uow: UnitOfWork, member: str, program_code: str, limit: int = 100) -> list[Any]:
    """The account's newest ``limit`` ledger transactions, newest first."""
    account_id, _ = _account(uow, member, program_code)
    return [
        {
            "transaction_id": r["id"],
            "kind": r["kind"],
            "points": r["points"],
            "occurred_at": wire(r["occurred_at"]),
            "reason": r["reason"],
            "actor": r["actor"],
            "detail": json.loads(r["detail"]) if r["detail"] else None,
        }
        for r in transaction_store.account_history(uow.connection, account_id, limit)
    ]


def lots(uow: UnitOfWork, member: str, program_code: str) -> list[dict[str, Any]]:
    """Every lot of the account: what it held, what remains, when it opens and expires."""
    account_id, _ = _account(uow, member, program_code)
    return [
        {
            "lot_id": r["id"],
            "points": r["points"],
            "remaining": r["remaining"],
            "awarded_at": wire(r["awarded_at"]),
            "release_at": wire(r["release_at"]),
            "expires_at": wire(r["expires_at"]),
            "state": "closed" if r["closed"] else ("open" if r["released"] else "pending"),
        }
        for r in lot_store.account_lots(uow.connection, account_id)
    ]


def rewards(uow: UnitOfWork, member: str, program_code: str) -> list[dict[str, Any]]:
    """The account's reward vouchers, oldest first."""
    account_id, _ = _account(uow, member, program_code)
    return [
        {
            **{k: r[k] for k in ("code", "name", "product", "state")},
            "issued_at": wire(r["issued_at"]),
            "expires_at": wire(r["expires_at"]),
        }
        for r in reward_store.account_rewards(uow.connection, account_id)
    ]


def program_overview(uow: UnitOfWork, program_code: str) -> dict[str, Any]:
    """What a program owes and has moved: accounts, outstanding points (the liability),
    points per transaction kind, members per tier and vouchers per state."""
    connection = uow.connection
    rp = running_program(uow, program_code)
    accounts = account_store.program_accounts(connection, rp.id)
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
        "points_by_kind": transaction_store.points_by_kind(connection, rp.id),
        "tiers": tiers,
        "rewards": reward_store.rewards_by_state(connection, rp.id),
    }


def accounts_of(uow: UnitOfWork, program_code: str) -> list[dict[str, Any]]:
    """Every account of a program: member, available, pending, debt, stamps, tier."""
    rp = running_program(uow, program_code)
    return [dict(a) for a in account_store.program_accounts(uow.connection, rp.id)]
