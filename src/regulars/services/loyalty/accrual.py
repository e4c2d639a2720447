"""Purchases -> awards, once per purchase; refunds and returns take back what was earned.

A sale earns under every running program: points (cashback, with multipliers, tier,
campaigns, the per-member cap and the budget), stamps (and the reward vouchers they
complete). A refund
or return takes back, by :func:`regulars.domain.loyalty.ledger.refund_share`, the points the
original purchase earned (even when spent: then from other lots, then as debt settled by
later earnings) and its stamps (revoking its unredeemed vouchers when the card needs them).

Purchases recorded through the API accrue in the same transaction
(:func:`accrue_purchases`); bulk-imported ones are accrued by the idempotent job
:func:`accrue_all` (``regulars loyalty accrue``). ``purchase_accruals`` marks each purchase
done, so running the job again, or concurrently, never awards twice. Signup, birthday and
referral bonuses (the referral once the referee has bought) are granted by the idempotent
job :func:`grant_bonuses` (``regulars loyalty bonuses``).

Lock order: every loyalty transaction locks account rows in ascending id order (a batch
locks all its accounts at once, up front) and a budgeted program's row only after them, so
concurrent accruals, redemptions and jobs cannot deadlock.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from regulars.domain.loyalty import earning
from regulars.domain.loyalty.ledger import refund_share
from regulars.domain.loyalty.programs import ProgramKind
from regulars.services.errors import Conflict, Invalid
from regulars.services.loyalty import posting
from regulars.services.loyalty.programs import RunningProgram, member_id, running, utc
from regulars.store import bulk
from regulars.store.loyalty import ledger as ledger_store
from regulars.store.tables import (
    categories,
    ledger_transactions,
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


def earned_in_period(
    connection: Connection, account_id: int, since: datetime, until: datetime
) -> int:
    return earned_by_account(connection, [account_id], since, until).get(account_id, 0)


def earned_by_account(
    connection: Connection, account_ids: list[int], since: datetime, until: datetime
) -> dict[int, int]:
    """Points each account earned from purchases in ``[since, until)`` (for caps)."""
    rows = connection.execute(
        select(ledger_transactions.c.account_id, func.sum(ledger_transactions.c.points))
        .where(
            bulk.among(connection, ledger_transactions.c.account_id, account_ids),
            ledger_transactions.c.kind == "earn",
            ledger_transactions.c.occurred_at >= since,
            ledger_transactions.c.occurred_at < until,
        )
        .group_by(ledger_transactions.c.account_id)
    )
    return {int(a): int(p) for a, p in rows}


def accrue_purchase(connection: Connection, purchase_id: int, now: datetime | None = None) -> bool:
    """Award (or, for a refund/return, take back) for one purchase; False if already done."""
    return accrue_ids(connection, [purchase_id], now) == 1


def accrue_ids(connection: Connection, ids: list[int], now: datetime | None = None) -> int:
    """Accrue these purchases, in the given order, in the caller's transaction; return how
    many were accrued now (the others already were).

    All the accounts involved are locked once, up front, in ascending id order (the lock
    order every loyalty transaction follows), then each purchase is applied in memory and
    the ledger rows are written in bulk (:class:`loyalty_ledger.Writer`).
    """
    now = now or datetime.now(UTC)
    heads = {r.id: r for r in ledger_store.claim_purchases(connection, ids, now)}
    if not heads:
        return 0
    claimed = [i for i in dict.fromkeys(ids) if i in heads]
    originals = {h.original_id for h in heads.values() if h.kind != "sale"}
    missing = sorted(originals - set(heads))
    if missing:  # refunds take back what their sale earned: accrue the sale first
        for r in connection.execute(select(purchases).where(purchases.c.id.in_(missing))):
            heads[r.id] = r
        first = ledger_store.claim_accruals(connection, missing, now)
        claimed = [*first, *claimed]
    order = [i for i in claimed if heads[i].member_id is not None or heads[i].kind != "sale"]
    programs = [
        rp
        for rp in running(connection)
        if rp.program.kind in (ProgramKind.POINTS, ProgramKind.STAMPS)
    ]
    if not order or not programs:
        return len(set(ids) & set(claimed))
    owner = {
        i: heads[i].member_id if heads[i].kind == "sale" else heads[heads[i].original_id].member_id
        for i in order
    }
    accounts = posting.lock_many(
        connection,
        [(owner[i], rp.id) for i in order if owner[i] is not None for rp in programs],
        now,
    )
    baskets = baskets_of(connection, [i for i in order if heads[i].kind == "sale"], heads)
    w = posting.Writer(connection)
    sales = [(owner[i], baskets[i]) for i in order if i in baskets and owner[i] is not None]
    caps = _cap_totals(connection, programs, sales, accounts)
    for i in order:
        purchase = heads[i]
        if owner[i] is None:
            continue
        for rp in programs:
            account = accounts[(owner[i], rp.id)]
            if purchase.kind == "sale":
                _earn(w, rp, account, purchase, baskets[i], caps)
            else:
                _take_back(w, rp, account, purchase, now)
    w.flush()
    return len(set(ids) & set(claimed))


def baskets_of(
    connection: Connection, ids: list[int], heads: dict[int, Any]
) -> dict[int, earning.Basket]:
    """The baskets of these sales (lines with product and category codes, store code)."""
    lines: dict[int, list[earning.BasketLine]] = {i: [] for i in ids}
    codes: dict[int, str | None] = {}
    if ids:
        rows = connection.execute(
            select(
                purchase_lines.c.purchase_id,
                products.c.code,
                categories.c.code,
                purchase_lines.c.quantity,
                purchase_lines.c.amount,
                stores.c.code,
            )
            .join(products, products.c.id == purchase_lines.c.product_id)
            .outerjoin(categories, categories.c.id == purchase_lines.c.category_id)
            .join(purchases, purchases.c.id == purchase_lines.c.purchase_id)
            .outerjoin(stores, stores.c.id == purchases.c.store_id)
            .where(bulk.among(connection, purchase_lines.c.purchase_id, ids))
            .order_by(purchase_lines.c.purchase_id, purchase_lines.c.line_no)
        )
        for pid, product, category, quantity, amount, store in rows:
            lines[pid].append(earning.BasketLine(product, category, quantity, amount))
            codes[pid] = store

    return {
        i: earning.Basket(
            tuple(lines[i]),
            at=utc(heads[i].occurred_at) or heads[i].occurred_at,
            store=codes.get(i),
            channel=heads[i].channel,
        )
        for i in ids
    }


def _cap_totals(
    connection: Connection,
    programs: list[RunningProgram],
    sales: list[tuple[int, earning.Basket]],
    accounts: dict[tuple[int, int], posting.Account],
) -> dict[tuple[int, datetime], int]:
    """Points already earned per (account, cap period) for the caps this batch will meet,
    read in one query per period (then kept up to date in memory)."""
    wanted: dict[tuple[str, datetime], set[int]] = {}
    for rp in programs:
        program = rp.program
        for member, basket in sales:
            caps = [program.cap, *(c.cap for c in program.campaigns if c.active(basket.at))]
            for cap in caps:
                if cap is not None:
                    since = earning.period_start(cap.period, basket.at)
                    wanted.setdefault((cap.period, since), set()).add(accounts[(member, rp.id)].id)
    totals: dict[tuple[int, datetime], int] = {}
    for (period, since), ids in wanted.items():
        found = earned_by_account(connection, sorted(ids), since, earning.period_end(period, since))
        totals.update({(a, since): found.get(a, 0) for a in ids})
    return totals


def _earn(
    w: posting.Writer,
    rp: RunningProgram,
    account: posting.Account,
    purchase: Any,
    basket: earning.Basket,
    caps: dict[tuple[int, datetime], int],
) -> None:
    program = rp.program
    if not program.running(basket.at):
        return
    if program.kind is ProgramKind.POINTS:
        tier = program.tiers.get(account.tier) if program.tiers else None
        earned = earning.points_for(program, basket, tier)
        points = earned.points
        periods = []
        for cap in [program.cap, *(c.cap for c in program.campaigns if c.active(basket.at))]:
            if cap is not None and points:
                since = earning.period_start(cap.period, basket.at)
                points = earning.capped(points, caps[(account.id, since)], cap)
                periods.append(since)
        if points:
            points = posting.award(
                w,
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
            for since in periods:
                caps[(account.id, since)] += points
    elif program.kind is ProgramKind.STAMPS and program.stamps is not None:
        stamps = earning.stamps_for(program.stamps, basket)
        if not stamps:
            return
        progress = earning.add_stamps(program.stamps, account.stamps, stamps)
        account.change(w, stamps=progress.stamps - account.stamps)
        codes = [
            issue_reward(w, account, rp, basket.at, purchase.id) for _ in range(progress.rewards)
        ]
        w.transaction(
            account_id=account.id,
            kind="earn",
            points=0,
            purchase_id=purchase.id,
            program_version=rp.version,
            detail={"stamps": stamps, "rewards": codes},
            occurred_at=basket.at,
        )


def issue_reward(
    w: posting.Writer,
    account: posting.Account,
    rp: RunningProgram,
    at: datetime,
    purchase_id: int | None,
) -> str:
    rules = rp.program.stamps
    assert rules is not None
    code = "RW-" + secrets.token_hex(6).upper()
    w.reward(
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
        w,
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


def _take_back(
    w: posting.Writer, rp: RunningProgram, account: posting.Account, refund: Any, now: datetime
) -> None:
    w.flush()
    connection = w.connection
    original_id = refund.original_id
    earned = connection.execute(
        select(ledger_transactions.c.points, ledger_transactions.c.detail).where(
            ledger_transactions.c.purchase_id == original_id,
            ledger_transactions.c.kind == "earn",
            ledger_transactions.c.account_id == account.id,
        )
    ).first()
    if earned is None:
        return
    original_total = connection.execute(
        select(purchases.c.total_amount).where(purchases.c.id == original_id)
    ).scalar_one()
    refunded = _refunded_so_far(connection, original_id)
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
            posting.claw_back(w, account, rp, original_id, refund.id, due - taken, max(at, now))
    elif rp.program.kind is ProgramKind.STAMPS and rp.program.stamps is not None:
        detail = json.loads(earned.detail or "{}")
        stamps = int(detail.get("stamps", 0))
        previous = refund_share(stamps, refunded - abs(refund.total_amount), original_total)
        due = refund_share(stamps, refunded, original_total) - previous
        _take_back_stamps(w, account, rp, original_id, due)


def _take_back_stamps(
    w: posting.Writer,
    account: posting.Account,
    rp: RunningProgram,
    original_id: int,
    stamps: int,
) -> None:
    """Stated rule: take the stamps back from the card; while the card holds too few, revoke
    an unredeemed voucher the purchase issued (its stamps return to the card); a card never
    goes below zero (a voucher already redeemed is not taken back)."""
    rules = rp.program.stamps
    assert rules is not None
    connection = w.connection
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
    account.change(w, stamps=max(0, card - stamps) - account.stamps)


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
    return accrue_ids(uow.connection, sorted(connection_ids(uow.connection, external_ids)))


def connection_ids(connection: Connection, external_ids: Iterable[str]) -> list[int]:
    wanted = list(set(external_ids))
    if not wanted:
        return []
    return [
        int(i)
        for i in connection.execute(
            select(purchases.c.id).where(bulk.among(connection, purchases.c.external_id, wanted))
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
    accrue_ids(uow.connection, ids, now)
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
    """Signup bonuses (once per member and program), birthday bonuses (once a year, on the
    birthday; 29 February is celebrated on the 28th in other years) and referral bonuses
    (referrer and referee, once the referee has bought). Idempotent: each bonus has a key."""
    connection = uow.connection
    granted = {"signup": 0, "birthday": 0, "referral": 0}
    people = list(
        connection.execute(select(members.c.id, members.c.birth_date, members.c.erased_at))
    )
    referrals = list(
        connection.execute(
            select(
                loyalty_referrals.c.id,
                loyalty_referrals.c.referrer_id,
                loyalty_referrals.c.referee_id,
            ).where(
                loyalty_referrals.c.rewarded_at.is_(None),
                select(purchases.c.id)
                .where(
                    purchases.c.member_id == loyalty_referrals.c.referee_id,
                    purchases.c.kind == "sale",
                )
                .exists(),
            )
        )
    )
    programs = {rp.id: rp for rp in running(connection, ProgramKind.POINTS)}
    wanted: list[tuple[int, int, str, int, str]] = []
    for rp in programs.values():
        bonuses = rp.program.bonuses
        for member, birth, erased in people:
            if erased is not None:
                continue
            if bonuses.signup:
                key = f"signup:{rp.id}:{member}"
                wanted.append((member, rp.id, "signup", bonuses.signup, key))
            if bonuses.birthday and birth is not None and _is_birthday(birth, today):
                key = f"birthday:{rp.id}:{member}:{today.year}"
                wanted.append((member, rp.id, "birthday", bonuses.birthday, key))
        for _, referrer, referee in referrals:
            for member, points, role in (
                (referee, bonuses.referee, "referee"),
                (referrer, bonuses.referrer, "referrer"),
            ):
                if points:
                    key = f"referral:{rp.id}:{referee}:{role}"
                    wanted.append((member, rp.id, "referral", points, key))
    # Lock first, then look for bonuses already granted: a concurrent run waits, then sees them.
    accounts = posting.lock_many(connection, [(m, p) for m, p, *_ in wanted], today)
    keys = [key for *_, key in wanted]
    done = set()
    for start in range(0, len(keys), 5000):
        done |= set(
            connection.execute(
                select(ledger_transactions.c.source_key).where(
                    ledger_transactions.c.source_key.in_(keys[start : start + 5000])
                )
            ).scalars()
        )
    todo = [item for item in wanted if item[4] not in done]
    w = posting.Writer(connection)
    for member, program, name, points, key in todo:
        posting.award(
            w,
            accounts[(member, program)],
            programs[program],
            points,
            kind="bonus",
            at=today,
            source_key=key,
            detail={"bonus": name},
        )
        granted[name] += name != "referral"
    w.flush()
    if referrals:
        connection.execute(
            update(loyalty_referrals)
            .where(loyalty_referrals.c.id.in_([r.id for r in referrals]))
            .values(rewarded_at=today)
        )
    granted["referral"] = len(referrals)
    return granted


def _is_birthday(birth: Any, today: datetime) -> bool:
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)
