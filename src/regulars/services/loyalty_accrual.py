"""Purchases -> awards, once per purchase; refunds and returns take back what was earned.

A sale earns under every running program: points (cashback, with multipliers, tier,
campaigns, the per-member cap and the budget), stamps (and the reward vouchers they
complete), and, on the member's first purchase, the referral bonus for both members. A refund
or return takes back, by :func:`regulars.domain.ledger.refund_share`, the points the
original purchase earned (even when spent: then from other lots, then as debt settled by
later earnings) and its stamps (revoking its unredeemed vouchers when the card needs them).

Purchases recorded through the API accrue in the same transaction
(:func:`accrue_purchases`); bulk-imported ones are accrued by the idempotent job
:func:`accrue_all` (``regulars loyalty accrue``). ``purchase_accruals`` marks each purchase
done, so running the job again, or concurrently, never awards twice.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from regulars.domain import earning
from regulars.domain.ledger import refund_share
from regulars.domain.programs import ProgramKind
from regulars.services import loyalty_ledger as posting
from regulars.services.errors import Conflict, Invalid
from regulars.services.loyalty_programs import RunningProgram, member_id, running, utc
from regulars.store import ledger as ledger_store
from regulars.store.tables import (
    categories,
    ledger_transactions,
    loyalty_accounts,
    loyalty_referrals,
    loyalty_rewards,
    members,
    products,
    purchase_accruals,
    purchase_lines,
    purchases,
    stores,
)
from regulars.store.unit_of_work import UnitOfWork


def basket_of(connection: Connection, purchase: Any) -> earning.Basket:
    rows = connection.execute(
        select(
            products.c.code,
            categories.c.code,
            purchase_lines.c.quantity,
            purchase_lines.c.amount,
        )
        .join(products, products.c.id == purchase_lines.c.product_id)
        .outerjoin(categories, categories.c.id == purchase_lines.c.category_id)
        .where(purchase_lines.c.purchase_id == purchase.id)
        .order_by(purchase_lines.c.line_no)
    )
    store = (
        connection.execute(select(stores.c.code).where(stores.c.id == purchase.store_id)).scalar()
        if purchase.store_id
        else None
    )
    return earning.Basket(
        tuple(earning.BasketLine(p, c, q, a) for p, c, q, a in rows),
        at=utc(purchase.occurred_at) or purchase.occurred_at,
        store=store,
        channel=purchase.channel,
    )


def earned_in_period(connection: Connection, account_id: int, since: datetime) -> int:
    return int(
        connection.execute(
            select(func.coalesce(func.sum(ledger_transactions.c.points), 0)).where(
                ledger_transactions.c.account_id == account_id,
                ledger_transactions.c.kind == "earn",
                ledger_transactions.c.occurred_at >= since,
            )
        ).scalar_one()
    )


def accrue_purchase(connection: Connection, purchase_id: int, now: datetime | None = None) -> bool:
    """Award (or, for a refund/return, take back) for one purchase; False if already done."""
    now = now or datetime.now(UTC)
    if not ledger_store.claim_accrual(connection, purchase_id, now):
        return False
    purchase = connection.execute(select(purchases).where(purchases.c.id == purchase_id)).one()
    if purchase.member_id is None:
        return True
    programs = running(connection)
    if purchase.kind == "sale":
        basket = basket_of(connection, purchase)
        for rp in programs:
            _earn(connection, rp, purchase, basket, now)
        _referral(connection, purchase, programs, basket.at)
    else:
        # The original must be accrued first so there is something to take back.
        accrue_purchase(connection, purchase.original_id, now)
        for rp in programs:
            _take_back(connection, rp, purchase, now)
    return True


def _earn(
    connection: Connection, rp: RunningProgram, purchase: Any, basket: earning.Basket, now: datetime
) -> None:
    program = rp.program
    if not program.running(basket.at):
        return
    if program.kind is ProgramKind.POINTS:
        account = posting.lock_member(connection, purchase.member_id, rp.id, now)
        tier = program.tiers.get(account.tier) if program.tiers else None
        earned = earning.points_for(program, basket, tier)
        points = earned.points
        for cap in [program.cap, *(c.cap for c in program.campaigns if c.active(basket.at))]:
            if cap is not None and points:
                since = earning.period_start(cap.period, basket.at)
                points = earning.capped(
                    points, earned_in_period(connection, account.id, since), cap
                )
        if points:
            posting.award(
                connection,
                account,
                rp,
                points,
                kind="earn",
                at=basket.at,
                purchase_id=purchase.id,
                detail={"base": earned.base, "campaigns": list(earned.campaigns)}
                if earned.campaigns
                else None,
            )
    elif program.kind is ProgramKind.STAMPS and program.stamps is not None:
        stamps = earning.stamps_for(program.stamps, basket)
        if not stamps:
            return
        account = posting.lock_member(connection, purchase.member_id, rp.id, now)
        progress = earning.add_stamps(program.stamps, account.stamps, stamps)
        account.change(connection, stamps=progress.stamps - account.stamps)
        codes = [
            issue_reward(connection, account, rp, basket.at, purchase.id)
            for _ in range(progress.rewards)
        ]
        ledger_store.add_transaction(
            connection,
            account_id=account.id,
            kind="earn",
            points=0,
            purchase_id=purchase.id,
            program_version=rp.version,
            detail=json.dumps({"stamps": stamps, "rewards": codes}),
            occurred_at=basket.at,
        )


def issue_reward(
    connection: Connection,
    account: posting.Account,
    rp: RunningProgram,
    at: datetime,
    purchase_id: int | None,
) -> str:
    rules = rp.program.stamps
    assert rules is not None
    code = "RW-" + secrets.token_hex(6).upper()
    ledger_store.add_reward(
        connection,
        code=code,
        account_id=account.id,
        name=rules.reward_name,
        product=rules.reward_product,
        state="issued",
        purchase_id=purchase_id,
        issued_at=at,
        expires_at=at + timedelta(days=rules.reward_valid_days)
        if rules.reward_valid_days
        else None,
    )
    posting.event(
        connection,
        posting.REWARD_ISSUED,
        account,
        rp,
        at,
        reward=code,
        name=rules.reward_name,
        stamps=account.stamps,
    )
    return code


def _refunded_so_far(connection: Connection, original_id: int) -> int:
    """The amount refunded of a purchase by refunds/returns already accrued (this one too)."""
    return -int(
        connection.execute(
            select(func.coalesce(func.sum(purchases.c.total_amount), 0))
            .join(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
            .where(purchases.c.original_id == original_id)
        ).scalar_one()
    )


def _take_back(connection: Connection, rp: RunningProgram, refund: Any, now: datetime) -> None:
    original_id = refund.original_id
    earned = connection.execute(
        select(
            ledger_transactions.c.account_id,
            ledger_transactions.c.points,
            ledger_transactions.c.detail,
        )
        .join(
            loyalty_accounts,
            loyalty_accounts.c.id == ledger_transactions.c.account_id,
        )
        .where(
            ledger_transactions.c.purchase_id == original_id,
            ledger_transactions.c.kind == "earn",
            loyalty_accounts.c.program_id == rp.id,
        )
    ).first()
    if earned is None:
        return
    original_total = connection.execute(
        select(purchases.c.total_amount).where(purchases.c.id == original_id)
    ).scalar_one()
    refunded = _refunded_so_far(connection, original_id)
    account = posting.lock(connection, earned.account_id, now)
    at = utc(refund.occurred_at) or now
    if rp.program.kind is ProgramKind.POINTS:
        due = refund_share(earned.points, refunded, original_total)
        taken = -int(
            connection.execute(
                select(func.coalesce(func.sum(ledger_transactions.c.points), 0))
                .join(purchases, purchases.c.id == ledger_transactions.c.purchase_id)
                .where(
                    purchases.c.original_id == original_id,
                    ledger_transactions.c.kind == "reverse",
                    ledger_transactions.c.account_id == account.id,
                )
            ).scalar_one()
        )
        if due - taken > 0:
            posting.claw_back(
                connection, account, rp, original_id, refund.id, due - taken, max(at, now)
            )
    elif rp.program.kind is ProgramKind.STAMPS and rp.program.stamps is not None:
        detail = json.loads(earned.detail or "{}")
        stamps = int(detail.get("stamps", 0))
        previous = refund_share(stamps, refunded - abs(refund.total_amount), original_total)
        due = refund_share(stamps, refunded, original_total) - previous
        _take_back_stamps(connection, account, rp, original_id, due, at)


def _take_back_stamps(
    connection: Connection,
    account: posting.Account,
    rp: RunningProgram,
    original_id: int,
    stamps: int,
    at: datetime,
) -> None:
    """Stated rule: take the stamps back from the card; while the card holds too few, revoke
    an unredeemed voucher the purchase issued (its stamps return to the card); a card never
    goes below zero (a voucher already redeemed is not taken back)."""
    rules = rp.program.stamps
    assert rules is not None
    card = account.stamps
    vouchers = list(
        connection.execute(
            select(loyalty_rewards.c.id).where(
                loyalty_rewards.c.purchase_id == original_id,
                loyalty_rewards.c.account_id == account.id,
                loyalty_rewards.c.state == "issued",
            )
        ).scalars()
    )
    while stamps > card and vouchers:
        connection.execute(
            update(loyalty_rewards)
            .where(loyalty_rewards.c.id == vouchers.pop())
            .values(state="revoked")
        )
        card += rules.every
    account.change(connection, stamps=max(0, card - stamps) - account.stamps)


def _referral(
    connection: Connection, purchase: Any, programs: list[RunningProgram], at: datetime
) -> None:
    """On a referee's first purchase, both members get the referral bonus (once)."""
    row = connection.execute(
        update(loyalty_referrals)
        .where(
            loyalty_referrals.c.referee_id == purchase.member_id,
            loyalty_referrals.c.rewarded_at.is_(None),
        )
        .values(rewarded_at=at)
        .returning(loyalty_referrals.c.referrer_id)
    ).first()
    if row is None:
        return
    for rp in programs:
        bonuses = rp.program.bonuses
        if rp.program.kind is not ProgramKind.POINTS:
            continue
        # Locks: the referee's account is held; the referrer's is taken second. Referral
        # chains are acyclic (register_referral refuses cycles), so no two transactions can
        # wait on each other.
        for member, points, role in (
            (purchase.member_id, bonuses.referee, "referee"),
            (row.referrer_id, bonuses.referrer, "referrer"),
        ):
            if points:
                account = posting.lock_member(connection, member, rp.id, at)
                posting.award(
                    connection,
                    account,
                    rp,
                    points,
                    kind="bonus",
                    at=at,
                    source_key=f"referral:{rp.id}:{purchase.member_id}:{role}",
                    detail={"bonus": "referral", "role": role},
                )


def register_referral(uow: UnitOfWork, referrer: str, referee: str) -> dict[str, Any]:
    """Record that ``referrer`` brought ``referee``; the bonus follows the first purchase."""
    connection = uow.connection
    referrer_id, referee_id = member_id(connection, referrer), member_id(connection, referee)
    if referrer_id == referee_id:
        raise Invalid("a member cannot refer themselves")
    chain: set[int] = set()
    cursor: int | None = referrer_id
    while cursor is not None and cursor not in chain:
        if cursor == referee_id:
            raise Conflict(f"{referee!r} is already up the referral chain of {referrer!r}")
        chain.add(cursor)
        cursor = connection.execute(
            select(loyalty_referrals.c.referrer_id).where(loyalty_referrals.c.referee_id == cursor)
        ).scalar_one_or_none()
    existing = connection.execute(
        select(loyalty_referrals.c.referrer_id).where(loyalty_referrals.c.referee_id == referee_id)
    ).scalar()
    if existing is not None and existing != referrer_id:
        raise Conflict(f"{referee!r} was already referred by another member")
    if existing is None:
        connection.execute(
            loyalty_referrals.insert().values(
                referrer_id=referrer_id, referee_id=referee_id, created_at=datetime.now(UTC)
            )
        )
    return {"referrer": referrer, "referee": referee}


def accrue_purchases(uow: UnitOfWork, external_ids: Iterable[str]) -> int:
    """Accrue purchases just recorded (the API's path, in the request's transaction)."""
    ids = connection_ids(uow.connection, external_ids)
    return sum(accrue_purchase(uow.connection, i) for i in sorted(ids))


def connection_ids(connection: Connection, external_ids: Iterable[str]) -> list[int]:
    wanted = list(set(external_ids))
    if not wanted:
        return []
    return [
        int(i)
        for i in connection.execute(
            select(purchases.c.id).where(purchases.c.external_id.in_(wanted))
        ).scalars()
    ]


def pending_purchases(connection: Connection, limit: int) -> list[int]:
    """Purchases not accrued yet, in the order they happened (sales before their refunds)."""
    return [
        int(i)
        for i in connection.execute(
            select(purchases.c.id)
            .outerjoin(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
            .where(purchase_accruals.c.purchase_id.is_(None))
            .order_by(purchases.c.occurred_at, purchases.c.id)
            .limit(limit)
        ).scalars()
    ]


def accrue_batch(uow: UnitOfWork, limit: int = 500, now: datetime | None = None) -> int:
    """Accrue up to ``limit`` pending purchases in the caller's transaction; return how many."""
    ids = pending_purchases(uow.connection, limit)
    for purchase_id in ids:
        accrue_purchase(uow.connection, purchase_id, now)
    return len(ids)


def accrue_all(
    unit_of_work: Callable[[], UnitOfWork],
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """The job: accrue every pending purchase, committing batch by batch; idempotent.

    ``unit_of_work`` is ``app.unit_of_work``; ``progress(done, total)`` is called per batch.
    """
    with unit_of_work() as uow:
        total = int(
            uow.connection.execute(
                select(func.count())
                .select_from(purchases)
                .outerjoin(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
                .where(purchase_accruals.c.purchase_id.is_(None))
            ).scalar_one()
        )
    done = 0
    while True:
        with unit_of_work() as uow:
            count = accrue_batch(uow, batch)
            uow.commit()
        done += count
        if progress:
            progress(min(done, total), total)
        if count < batch:
            return done


def grant_bonuses(uow: UnitOfWork, today: datetime) -> dict[str, int]:
    """Signup bonuses (once per member and program) and birthday bonuses (once a year, on
    the birthday; 29 February is celebrated on the 28th in other years). Idempotent."""
    connection = uow.connection
    granted = {"signup": 0, "birthday": 0}
    rows = list(connection.execute(select(members.c.id, members.c.birth_date, members.c.erased_at)))
    for rp in running(connection, ProgramKind.POINTS):
        bonuses = rp.program.bonuses
        for member, birth, erased in rows:
            if erased is not None:
                continue
            wanted = []
            if bonuses.signup:
                wanted.append(("signup", bonuses.signup, f"signup:{rp.id}:{member}"))
            if bonuses.birthday and birth is not None and _is_birthday(birth, today):
                key = f"birthday:{rp.id}:{member}:{today.year}"
                wanted.append(("birthday", bonuses.birthday, key))
            for name, points, key in wanted:
                if ledger_store.transaction_by_key(connection, key) is not None:
                    continue
                account = posting.lock_member(connection, member, rp.id, today)
                if ledger_store.transaction_by_key(connection, key) is not None:
                    continue
                posting.award(
                    connection,
                    account,
                    rp,
                    points,
                    kind="bonus",
                    at=today,
                    source_key=key,
                    detail={"bonus": name},
                )
                granted[name] += 1
    return granted


def _is_birthday(birth: Any, today: datetime) -> bool:
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)
