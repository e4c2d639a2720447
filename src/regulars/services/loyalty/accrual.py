"""Purchases -> awards, once per purchase; refunds and returns take back what was earned.

A sale earns under every running program: points (cashback, with multipliers, tier,
campaigns, the per-member cap and the budget), stamps (and the reward vouchers they
complete). A refund or return takes back, by
:func:`regulars.domain.loyalty.ledger.refund_share`, the points the original purchase earned
(even when spent: then from other lots, then as debt settled by later earnings) and its
stamps (revoking its unredeemed vouchers when the card needs them).

Purchases recorded through the API accrue in the same transaction
(:func:`accrue_purchases`); bulk-imported ones are accrued by the idempotent job
``regulars loyalty accrue``, which commits one :func:`accrue_batch` after another (the
demo does the same). ``purchase_accruals`` marks each purchase done, so running the job
again, or concurrently, never awards twice. Signup, birthday and
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
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.loyalty import earning
from regulars.domain.loyalty.ledger import refund_share
from regulars.domain.loyalty.programs import ProgramKind
from regulars.domain.times import as_utc
from regulars.services.errors import Conflict, Invalid
from regulars.services.loyalty import posting, upgrades
from regulars.services.loyalty.accounts import active_member_id
from regulars.services.loyalty.effects import Effect, Effects, Voucher, effect, note_balances
from regulars.services.loyalty.programs import RUNNING, RunningProgram, running
from regulars.services.unit_of_work import RunCommitted
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty import accruals as accrual_store
from regulars.store.loyalty import bonuses as bonus_store
from regulars.store.loyalty import rewards as reward_store
from regulars.store.loyalty import sums as sum_store
from regulars.store.loyalty import transactions as transaction_store
from regulars.store.loyalty.accounts import Account
from regulars.store.loyalty.writer import Writer
from regulars.store.unit_of_work import UnitOfWork


def accrue_purchase(uow: UnitOfWork, purchase_id: int, now: datetime | None = None) -> bool:
    """Award (or, for a refund/return, take back) for one purchase; False if already done."""
    return accrue_ids(uow, [purchase_id], now) == 1


def accrue_ids(
    uow: UnitOfWork,
    ids: list[int],
    now: datetime | None = None,
    *,
    effects: Effects | None = None,
    live: bool = False,
    voiding: bool = False,
    baskets: dict[int, earning.Basket] | None = None,
    spend: dict[int, int] | None = None,
) -> int:
    """Accrue these purchases, in the given order, in the caller's transaction; return how
    many were accrued now (the others already were).

    All the accounts involved are locked once, up front, in ascending id order (the lock
    order every loyalty transaction follows), then each purchase is applied in memory and
    the ledger rows are written in bulk (:class:`regulars.store.loyalty.writer.Writer`).
    ``effects`` collects what each purchase posted in each account (the till's answer).
    ``live`` purchases (recorded through the API, as they happen) also lift the member to a
    higher tier at once (:mod:`regulars.services.loyalty.upgrades`); ``voiding`` refunds
    (a sale voided at the till) also undo the tier their sale lifted the member to.
    ``baskets`` are sales' baskets the caller already holds (it just wrote them); ``spend``
    receives, for a single member's sale, the cumulative spend each discount card measures
    (what the till's answer shows), read with the rest.
    """
    connection = uow.connection
    now = now or datetime.now(UTC)
    # One purchase (a till's sale): draw the ledger ids it will need with its claim.
    reserve = 2 * len(uow.memo.get(RUNNING, ())) + 2 if len(ids) == 1 else 0
    claim = accrual_store.claim_purchases(connection, ids, now, reserve)
    heads = {r.id: r for r in claim.rows}
    if not heads:
        return 0
    claimed = [i for i in dict.fromkeys(ids) if i in heads]
    originals = {h.original_id for h in heads.values() if h.kind != "sale"}
    missing = sorted(originals - set(heads))
    if missing:  # refunds take back what their sale earned: accrue the sale first
        for r in accrual_store.purchase_rows(connection, missing):
            heads[r.id] = r
        first = accrual_store.claim_accruals(connection, missing, now)
        claimed = [*first, *claimed]
    order = [i for i in claimed if heads[i].member_id is not None or heads[i].kind != "sale"]
    programs = [
        rp
        for rp in running(uow, versions=claim.programs)
        if rp.program.kind in (ProgramKind.POINTS, ProgramKind.STAMPS)
    ]
    if not order or not programs:
        return len(set(ids) & set(claimed))
    owner = {
        i: heads[i].member_id if heads[i].kind == "sale" else heads[heads[i].original_id].member_id
        for i in order
    }
    # An erased member neither earns nor gives back: their purchases stay, their account rests.
    accounts, erased = account_store.lock_owners(
        connection,
        [(owner[i], rp.id) for i in order if owner[i] is not None for rp in programs],
        now,
    )
    owner = {i: None if o in erased else o for i, o in owner.items()}
    given = baskets or {}
    sold = [i for i in order if heads[i].kind == "sale"]
    baskets = {**baskets_of(uow, [i for i in sold if i not in given], heads), **given}
    w = Writer(connection, reserved=claim.reserved)
    sales = [(owner[i], baskets[i]) for i in order if i in baskets and owner[i] is not None]
    asks = sum_store.Asks()  # what is summed after the locks, asked in one round trip
    cap_asks = _cap_asks(asks, programs, sales, accounts)
    lift_asks = upgrades.Measures(asks, programs, sales if live else [], accounts)
    spend_asks = _spend_asks(asks, uow, spend, sales, now)
    answers = sum_store.answer(connection, asks)
    caps = {key: answers.earned_in[n] for key, n in cap_asks.items()}
    lifts = lift_asks.read(answers)
    if spend is not None:
        spend.update({program: answers.spend[n] for program, n in spend_asks.items()})
    for i in order:
        purchase = heads[i]
        if owner[i] is None:
            continue
        for rp in programs:
            account = accounts[(owner[i], rp.id)]
            posted = effect(effects, i, account)
            if purchase.kind == "sale":
                _earn(w, rp, account, purchase, baskets[i], caps, posted)
                if live:
                    upgrades.lift(w, rp, account, purchase.id, baskets[i].at, lifts, posted)
            else:
                _take_back(w, rp, account, purchase, now, posted, voiding)
    w.flush()
    note_balances(effects, accounts.values())
    return len(set(ids) & set(claimed))


def baskets_of(uow: UnitOfWork, ids: list[int], heads: dict[int, Any]) -> dict[int, earning.Basket]:
    """The baskets of these sales (lines with product and category codes, store code)."""
    if not ids:
        return {}
    lines: dict[int, list[earning.BasketLine]] = {i: [] for i in ids}
    codes: dict[int, str | None] = {}
    for pid, product, category, quantity, amount, store in accrual_store.basket_lines(
        uow.connection, ids
    ):
        lines[pid].append(earning.BasketLine(product, category, quantity, amount))
        codes[pid] = store
    return {
        i: earning.Basket(
            tuple(lines[i]),
            at=as_utc(heads[i].occurred_at),
            store=codes.get(i),
            channel=heads[i].channel,
        )
        for i in ids
    }


def _cap_asks(
    asks: sum_store.Asks,
    programs: list[RunningProgram],
    sales: list[tuple[int, earning.Basket]],
    accounts: dict[tuple[int, int], Account],
) -> dict[tuple[int, datetime], int]:
    """Ask for the points already earned per (account, cap period) for the caps this batch
    will meet (then kept up to date in memory): (account, period start) -> its ask."""
    wanted: dict[tuple[int, datetime], int] = {}
    for rp in programs:
        program = rp.program
        for member, basket in sales:
            caps = [program.cap, *(c.cap for c in program.campaigns if c.active(basket.at))]
            for cap in caps:
                if cap is None:
                    continue
                since = earning.period_start(cap.period, basket.at)
                account = accounts[(member, rp.id)].id
                if (account, since) not in wanted:
                    until = earning.period_end(cap.period, since)
                    wanted[(account, since)] = asks.ask("earned_in", (account, since, until))
    return wanted


def _spend_asks(
    asks: sum_store.Asks,
    uow: UnitOfWork,
    spend: dict[int, int] | None,
    sales: list[tuple[int, earning.Basket]],
    now: datetime,
) -> dict[int, int]:
    """For the till's answer to one sale: ask for the cumulative spend each discount card
    measures for its member, now (discount program id -> its ask)."""
    members = {member for member, _ in sales}
    if spend is None or len(members) != 1:
        return {}
    (member,) = members
    wanted = {}
    for rp in running(uow, ProgramKind.DISCOUNT):
        rules = rp.program.discount
        if rules is not None:
            since = earning.window_start(now, rules.window_months) if rules.window_months else None
            wanted[rp.id] = asks.ask("spend", (member, since or sum_store.EVER, now))
    return wanted


def _earn(
    w: Writer,
    rp: RunningProgram,
    account: Account,
    purchase: Any,
    basket: earning.Basket,
    caps: dict[tuple[int, datetime], int],
    posted: Effect,
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
            debt = account.debt
            detail: dict[str, Any] = (
                {"base": earned.base, "campaigns": list(earned.campaigns)}
                if earned.campaigns
                else {}
            )
            points = posting.award(
                w,
                account,
                rp,
                points,
                kind="earn",
                at=basket.at,
                purchase_id=purchase.id,
                detail=detail,
            )
            if debt > account.debt:
                detail["settled_debt"] = debt - account.debt
            posted.points += points
            posted.settled_debt += debt - account.debt
            window = program.points.return_window_days if program.points else 0
            if window and points > debt - account.debt:
                posted.pending_until = basket.at + timedelta(days=window)
            for since in periods:
                caps[(account.id, since)] += points
    elif program.kind is ProgramKind.STAMPS and program.stamps is not None:
        stamps = earning.stamps_for(program.stamps, basket)
        if not stamps:
            return
        progress = earning.add_stamps(program.stamps, account.stamps, stamps)
        account.change(w, stamps=progress.stamps - account.stamps)
        vouchers = [
            issue_reward(w, account, rp, basket.at, purchase.id) for _ in range(progress.rewards)
        ]
        codes = [v.code for v in vouchers]
        posted.stamps += stamps
        posted.vouchers += vouchers
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
    w: Writer,
    account: Account,
    rp: RunningProgram,
    at: datetime,
    purchase_id: int | None,
) -> Voucher:
    rules = rp.program.stamps
    assert rules is not None
    code = "RW-" + secrets.token_hex(6).upper()
    expires = at + timedelta(days=rules.reward_valid_days) if rules.reward_valid_days else None
    w.reward(
        code=code,
        account_id=account.id,
        name=rules.reward_name,
        product=rules.reward_product,
        state="issued",
        purchase_id=purchase_id,
        issued_at=at,
        expires_at=expires,
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
    return Voucher(code, rules.reward_name, rules.reward_product, expires)


def _take_back(
    w: Writer,
    rp: RunningProgram,
    account: Account,
    refund: Any,
    now: datetime,
    posted: Effect,
    voiding: bool,
) -> None:
    w.flush()
    connection = w.connection
    original_id = refund.original_id
    earned = transaction_store.earned_by_purchase(connection, account.id, original_id)
    if earned is None:
        return
    earned_points, earned_detail = earned
    original_total = accrual_store.purchase_total(connection, original_id)
    refunded = accrual_store.refunded_so_far(connection, original_id)
    at = as_utc(refund.occurred_at) or now
    if rp.program.kind is ProgramKind.POINTS:
        due = refund_share(earned_points, refunded, original_total)
        taken = transaction_store.taken_back(connection, account.id, original_id)
        tier = upgrades.undo(w, rp, account, original_id, earned_detail, at) if voiding else None
        if due - taken > 0:
            plan = posting.claw_back(
                w, account, rp, original_id, refund.id, due - taken, max(at, now), tier=tier
            )
            posted.points -= due - taken
            posted.debt_added += plan.debt
        elif tier is not None:
            _reverse_record(w, rp, account, refund, at, {"tier": tier})
        if tier is not None:
            posted.tier_from, posted.tier_to = tier["from"], tier["to"]
    elif rp.program.kind is ProgramKind.STAMPS and rp.program.stamps is not None:
        detail = json.loads(earned_detail or "{}")
        stamps = int(detail.get("stamps", 0))
        previous = refund_share(stamps, refunded - abs(refund.total_amount), original_total)
        due = refund_share(stamps, refunded, original_total) - previous
        revoked = _take_back_stamps(w, account, rp, original_id, due)
        if due:
            _reverse_record(w, rp, account, refund, at, {"stamps": due, "revoked": revoked})
            posted.stamps -= due
            posted.revoked += revoked


def _reverse_record(
    w: Writer, rp: RunningProgram, account: Account, refund: Any, at: datetime, detail: Any
) -> None:
    """A refund's record in an account where it moved no points: the stamps it took back
    (and the vouchers it revoked), or the tier a void undid."""
    w.transaction(
        account_id=account.id,
        kind="reverse",
        points=0,
        source_key=f"reverse:{refund.id}:{account.id}",
        purchase_id=refund.id,
        program_version=rp.version,
        detail={"original_purchase": refund.original_id, **detail},
        occurred_at=at,
    )


def _take_back_stamps(
    w: Writer,
    account: Account,
    rp: RunningProgram,
    original_id: int,
    stamps: int,
) -> list[str]:
    """Stated rule: take the stamps back from the card; while the card holds too few, revoke
    an unredeemed voucher the purchase issued (its stamps return to the card); a card never
    goes below zero (a voucher already redeemed is not taken back). Returns the codes of the
    vouchers revoked."""
    rules = rp.program.stamps
    assert rules is not None
    card = account.stamps
    vouchers = reward_store.issued_for_purchase(w.connection, account.id, original_id)
    revoked = []
    while stamps > card and vouchers:
        reward_id, code = vouchers.pop()
        reward_store.revoke(w.connection, reward_id)
        revoked.append(code)
        card += rules.every
    account.change(w, stamps=max(0, card - stamps) - account.stamps)
    return revoked


def register_referral(uow: UnitOfWork, referrer: str, referee: str) -> dict[str, Any]:
    """Record that ``referrer`` brought ``referee``; the bonus follows the first purchase."""
    connection = uow.connection
    referrer_id, referee_id = active_member_id(uow, referrer), active_member_id(uow, referee)
    if referrer_id == referee_id:
        raise Invalid("a member cannot refer themselves")
    chain: set[int] = set()
    cursor: int | None = referrer_id
    while cursor is not None and cursor not in chain:
        if cursor == referee_id:
            raise Conflict(f"{referee!r} is already up the referral chain of {referrer!r}")
        chain.add(cursor)
        cursor = bonus_store.referrer_of(connection, cursor)
    existing = bonus_store.referrer_of(connection, referee_id)
    if existing is not None and existing != referrer_id:
        raise Conflict(f"{referee!r} was already referred by another member")
    if existing is None:
        bonus_store.add_referral(connection, referrer_id, referee_id, datetime.now(UTC))
    return {"referrer": referrer, "referee": referee}


def accrue_purchases(uow: UnitOfWork, external_ids: Iterable[str]) -> int:
    """Accrue purchases just recorded (the API's path, in the request's transaction)."""
    return accrue_ids(uow, sorted(accrual_store.purchase_ids(uow.connection, external_ids)))


def pending_count(uow: UnitOfWork) -> int:
    """How many purchases wait for the accrual job."""
    return accrual_store.pending_count(uow.connection)


def accrue_batch(uow: UnitOfWork, limit: int = 500, now: datetime | None = None) -> int:
    """Accrue up to ``limit`` pending purchases, oldest first, in the caller's transaction;
    return how many. The job (``regulars loyalty accrue``) commits batch after batch until
    one comes back short of ``limit``."""
    ids = accrual_store.pending_purchases(uow.connection, limit)
    accrue_ids(uow, ids, now)
    return len(ids)


def accrue_all(
    run_committed: RunCommitted,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Accrue every pending purchase, a batch a committed transaction (``run_committed``),
    until a batch comes back short; return how many. A kill leaves whole batches only, and
    a re-run goes on where it stopped (a purchase accrues once)."""
    total: int = run_committed(pending_count)
    done, count = 0, batch
    while count == batch:
        count = run_committed(lambda uow: accrue_batch(uow, batch))
        done += count
        if progress:
            progress(min(done, total), total)
    return done


def grant_bonuses(uow: UnitOfWork, now: datetime, *, timezone: str) -> dict[str, int]:
    """Signup bonuses (once per member and program), birthday bonuses (once a year, on the
    birthday; 29 February is celebrated on the 28th in other years) and referral bonuses
    (referrer and referee, once the referee has bought). Idempotent: each bonus has a key.

    A birthday is a day in the business's time zone (``timezone``, the ``REGULARS_TIMEZONE``
    of the caller): at 03:23 on 2 December in Seoul (18:23 UTC on the 1st) it is the
    2-December birthdays that are paid."""
    today = as_utc(now).astimezone(ZoneInfo(timezone)).date()
    connection = uow.connection
    granted = {"signup": 0, "birthday": 0, "referral": 0}
    people = bonus_store.members_for_bonuses(connection)
    referrals = bonus_store.referrals_due(connection)
    programs = {rp.id: rp for rp in running(uow, ProgramKind.POINTS)}
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
    accounts = account_store.lock_many(connection, [(m, p) for m, p, *_ in wanted], now)
    done = transaction_store.keys_taken(connection, [key for *_, key in wanted])
    todo = [item for item in wanted if item[4] not in done]
    w = Writer(connection)
    for member, program, name, points, key in todo:
        posting.award(
            w,
            accounts[(member, program)],
            programs[program],
            points,
            kind="bonus",
            at=now,
            source_key=key,
            detail={"bonus": name},
        )
        granted[name] += name != "referral"
    w.flush()
    if referrals:
        bonus_store.mark_rewarded(connection, [r[0] for r in referrals], now)
    granted["referral"] = len(referrals)
    return granted


def _is_birthday(birth: Any, today: date) -> bool:
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)
