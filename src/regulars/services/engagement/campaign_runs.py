"""The daily job of campaigns (``regulars campaigns run``): who enters, and what is done.

:func:`run_campaigns` takes every running campaign, highest priority first:

1. **Triggers.** A ``daily`` campaign runs once a local day (from its ``at`` time); a
   ``wave`` once, at or after its time; an ``event`` campaign at every run, over the events
   recorded since its last run (at most ``within_days`` back). Each writes its candidates
   in one ``INSERT … SELECT`` (its audience, its own conditions, the holdout draw).
2. **Admission** (:func:`regulars.store.engagement.candidates.admit`): the candidates of all
   campaigns become assignments in one statement; a first step that is a marketing message
   needs room under the member's frequency cap (``REGULARS_CAMPAIGN_CAP_MESSAGES`` per
   ``REGULARS_CAMPAIGN_CAP_DAYS``, default 2 a week), taken by priority.
3. **Steps.** For every campaign and step index with treated assignments due, the step is
   done set by set (``store/engagement/steps.py``): messages become outbox events (the
   delivery worker composes them at send time: consent, quiet hours, an open case — the
   guardrails that depend on the moment); gifts and vouchers go through the ledger
   (``services/loyalty/posting.py``, one source key per assignment and step, within the
   campaign's budget); tasks become ``staff_tasks``; a survey step invites through the
   survey dispatch (its link message, sampling and consent); waits move the schedule. A marketing
   message to a member at the cap waits until the next day.

Everything is idempotent: a run key is used once, an action once per assignment and step,
a ledger source key once. The caller commits (the whole job is one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.engagement.campaigns import (
    Campaign,
    Gift,
    Message,
    Survey,
    Task,
    TriggerKind,
    Voucher,
    Wait,
)
from regulars.domain.times import as_utc
from regulars.services.audit import Actor, record
from regulars.services.engagement.campaigns import candidate_query, parsed, program_id
from regulars.services.errors import Invalid, NotFound
from regulars.services.feedback.dispatch import invite_members
from regulars.services.loyalty import posting
from regulars.services.loyalty.programs import running_program
from regulars.store.engagement import campaigns as campaign_store
from regulars.store.engagement import candidates as candidate_store
from regulars.store.engagement import steps as step_store
from regulars.store.engagement.audiences import Context
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty.writer import Writer
from regulars.store.unit_of_work import UnitOfWork

REFRESH_AFTER_ROWS = 10_000
"""A step that moved at least this many assignments refreshes the planner's statistics of
the schedule's tables before the next (a smaller one leaves them as the admission set them)."""


@dataclass(frozen=True)
class Cap:
    """The global marketing frequency cap: at most ``messages`` per ``days`` per member."""

    messages: int = 2
    days: int = 7


@dataclass
class CampaignDay:
    """What one campaign did in a run."""

    code: str
    run: str | None = None
    candidates: int = 0
    treated: int = 0
    holdout: int = 0
    capped: int = 0
    messages: int = 0
    gifts: int = 0
    points: int = 0
    vouchers: int = 0
    tasks: int = 0
    surveys: int = 0
    postponed: int = 0
    budget_short: int = 0


@dataclass
class RunSummary:
    now: datetime
    campaigns: list[CampaignDay] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        keys = ("candidates", "treated", "holdout", "capped", "messages", "gifts", "tasks")
        return {k: sum(getattr(c, k) for c in self.campaigns) for k in keys}


def run_key(campaign: Campaign, now: datetime, zone: ZoneInfo) -> str | None:
    """The key of the run due now, or None when the campaign's trigger is not due."""
    local = as_utc(now).astimezone(zone)
    trigger = campaign.trigger
    if trigger.kind is TriggerKind.DAILY:
        if local.time().replace(tzinfo=None) < trigger.at:
            return None
        return f"daily:{local.date().isoformat()}"
    if trigger.kind is TriggerKind.WAVE:
        assert trigger.wave_at is not None
        return "wave" if as_utc(now) >= as_utc(trigger.wave_at) else None
    return f"event:{as_utc(now).isoformat()}"


def run_campaigns(
    uow: UnitOfWork,
    now: datetime,
    *,
    timezone: str,
    cap: Cap = Cap(),
    secret: str = "change-me",
    base_url: str = "http://127.0.0.1:8000",
    channel_order: tuple[str, ...] = ("email", "sms"),
) -> RunSummary:
    """Run every running campaign's triggers and due steps as of ``now`` (see the module);
    ``secret`` and ``base_url`` make the links of survey steps (``REGULARS_SECRET_KEY``,
    ``REGULARS_PUBLIC_URL``); ``channel_order`` is ``REGULARS_CHANNEL_ORDER``."""
    if now.tzinfo is None:
        raise Invalid("now must carry a time zone")
    connection = uow.connection
    now = as_utc(now)
    zone = ZoneInfo(timezone)
    since = now - timedelta(days=cap.days)
    summary = RunSummary(now)
    rows = campaign_store.running(connection)
    days: dict[int, CampaignDay] = {}
    runs: dict[int, int] = {}
    for row in rows:
        campaign = parsed(row["definition"])
        day = days[int(row["id"])] = CampaignDay(row["code"])
        summary.campaigns.append(day)
        key = run_key(campaign, now, zone)
        if key is None or candidate_store.has_run(connection, int(row["id"]), key):
            continue
        start = _event_start(connection, campaign, int(row["id"]), now)
        run_id = candidate_store.start_run(
            connection,
            campaign_id=int(row["id"]),
            version=int(row["version"]),
            run_key=key,
            trigger=campaign.trigger.kind.value,
            now=now,
            window_start=start,
        )
        if run_id is None:
            continue
        day.run = key
        runs[run_id] = int(row["id"])
        context = Context(
            now, zone, program_id(uow, campaign.program) if campaign.program else None
        )
        query = candidate_query(
            campaign, int(row["id"]), context, event_start=start, channel_order=channel_order
        )
        day.candidates = candidate_store.add_candidates(
            connection,
            query,
            run_id=run_id,
            campaign_id=int(row["id"]),
            priority=campaign.priority,
            version=int(row["version"]),
            entry_key=""
            if campaign.every_days is None
            else now.astimezone(zone).date().isoformat(),
            needs_slot=campaign.needs_slot,
            attribution_until=now + timedelta(days=campaign.attribution_days),
        )
    admitted = candidate_store.admit(connection, list(runs), now, cap=cap.messages, since=since)
    for run_id, (treated, holdout, capped) in admitted.items():
        day = days[runs[run_id]]
        day.treated, day.holdout, day.capped = treated, holdout, capped
    tomorrow = _day_start(now, zone, 1)
    links = (secret, base_url)
    for row in rows:
        _do_steps(uow, row, days[int(row["id"])], now, since, cap, tomorrow, links)
    return summary


def _event_start(connection: Any, campaign: Campaign, campaign_id: int, now: datetime) -> Any:
    if campaign.trigger.kind is not TriggerKind.EVENT:
        return None
    oldest = now - timedelta(days=campaign.trigger.within_days)
    last = candidate_store.last_window_end(connection, campaign_id)
    return oldest if last is None else max(oldest, last)


def _day_start(now: datetime, zone: ZoneInfo, days: int) -> datetime:
    local = as_utc(now).astimezone(zone).date() + timedelta(days=days)
    return as_utc(datetime.combine(local, datetime.min.time(), tzinfo=zone))


def _do_steps(
    uow: UnitOfWork,
    row: Any,
    day: CampaignDay,
    now: datetime,
    since: datetime,
    cap: Cap,
    tomorrow: datetime,
    links: tuple[str, str],
) -> None:
    """Every due step of the campaign, in order (a step due now after the one before runs in
    the same job), under the campaign's current definition."""
    connection = uow.connection
    campaign_id = int(row["id"])
    done: set[int] = set()
    while True:
        pending = [s for s in step_store.due_steps(connection, campaign_id, now) if s not in done]
        if not pending:
            return
        index = pending[0]
        done.add(index)
        campaign = parsed(row["definition"])
        steps = campaign.steps
        if index >= len(steps):
            step_store.advance(connection, campaign_id, index, now, None, acted_only=False)
            continue
        step = steps[index]
        if isinstance(step, Wait):  # a campaign that starts with a wait
            target, due = _next_step(steps, index - 1, now)
            step_store.advance(
                connection, campaign_id, index, now, due, to_step=target, acted_only=False
            )
            continue
        target, following = _next_step(steps, index, now)
        if isinstance(step, Message):
            limited = step.marketing
            step_store.record_actions(
                connection,
                campaign_id=campaign_id,
                step=index,
                kind="message",
                now=now,
                marketing=step.marketing,
                cap=cap.messages if limited else None,
                since=since if limited else None,
            )
            day.messages += step_store.enqueue_messages(
                connection, campaign_id, index, now, step.marketing
            )
        elif isinstance(step, Gift):
            step_store.record_actions(  # points: what the ledger gives, set by _gifts
                connection, campaign_id=campaign_id, step=index, kind="gift", now=now
            )
            _gifts(uow, row, campaign, index, step, now, day)
        elif isinstance(step, Voucher):
            step_store.record_actions(
                connection, campaign_id=campaign_id, step=index, kind="voucher", now=now
            )
            _vouchers(uow, campaign, campaign_id, index, step, now, day)
        elif isinstance(step, Survey):
            step_store.record_actions(
                connection, campaign_id=campaign_id, step=index, kind="survey", now=now
            )
            acted = step_store.acted_members(connection, campaign_id, index, now)
            if acted:
                report = invite_members(
                    uow, step.code, [m for _, _, m in acted], now, secret=links[0],
                    base_url=links[1], key=f"campaign-{campaign_id}-{index}",
                    cooldown=timedelta(days=step.cooldown_days),
                )  # fmt: skip
                day.surveys += report.invited
        elif isinstance(step, Task):
            step_store.record_actions(
                connection, campaign_id=campaign_id, step=index, kind="task", now=now
            )
            day.tasks += step_store.add_tasks(
                connection,
                campaign_id=campaign_id,
                step=index,
                now=now,
                kind=step.kind,
                title=step.title,
                due_at=now + timedelta(days=step.due_days),
                assignee=step.assignee,
            )
        moved = step_store.advance(connection, campaign_id, index, now, following, to_step=target)
        held = step_store.postpone(connection, campaign_id, index, now, tomorrow)
        day.postponed += held
        if moved + held >= REFRESH_AFTER_ROWS:
            step_store.refresh(connection)


def _next_step(steps: tuple[Any, ...], index: int, now: datetime) -> tuple[int, datetime | None]:
    """The step after ``index`` that acts, and when it is due: the waits in between are
    added up and passed in the same update (None: the schedule is done)."""
    following, due = index + 1, now
    while following < len(steps) and isinstance(steps[following], Wait):
        due += timedelta(days=steps[following].days)
        following += 1
    return following, due if following < len(steps) else None


def _gifts(
    uow: UnitOfWork,
    row: Any,
    campaign: Campaign,
    index: int,
    step: Gift,
    now: datetime,
    day: CampaignDay,
) -> None:
    """Points through the ledger, one source key per assignment and step, within the
    campaign's budget (reserved under the campaign row's lock, before any is posted)."""
    connection = uow.connection
    campaign_id = int(row["id"])
    acted = step_store.acted_members(connection, campaign_id, index, now)
    if not acted:
        return
    assert campaign.program is not None
    program = running_program(uow, campaign.program)
    prefix, suffix = f"campaign:{campaign_id}:", f":{index}"
    keys = {a: f"{prefix}{a}{suffix}" for _, a, _ in acted}
    taken = step_store.keys_posted(connection, campaign_id, index, now, prefix, suffix)
    todo = [(x, a, m) for x, a, m in acted if keys[a] not in taken]
    granted = campaign_store.take_budget(connection, campaign_id, step.points * len(todo))
    fits = granted // step.points
    paid, short = todo[:fits], todo[fits:]
    accounts = account_store.lock_many(connection, [(m, program.id) for _, _, m in paid], now)
    w = Writer(connection)
    given: dict[int, int] = {}
    for action, assignment, member in paid:
        given[action] = posting.award(
            w,
            accounts[(member, program.id)],
            program,
            step.points,
            kind="bonus",
            at=now,
            source_key=keys[assignment],
            detail={"campaign": campaign.code, "step": index},
        )
    w.flush()
    step_store.set_points(connection, {a: p for a, p in given.items() if p})
    issued = sum(given.values())
    campaign_store.give_back(connection, campaign_id, granted - issued)
    day.gifts += sum(1 for p in given.values() if p)
    day.points += issued
    day.budget_short += len(short)


def _vouchers(
    uow: UnitOfWork,
    campaign: Campaign,
    campaign_id: int,
    index: int,
    step: Voucher,
    now: datetime,
    day: CampaignDay,
) -> None:
    """A reward voucher in the campaign's program for each member acted on (its
    ``reward.issued`` event tells the member)."""
    import secrets

    connection = uow.connection
    acted = step_store.acted_members(connection, campaign_id, index, now)
    if not acted:
        return
    assert campaign.program is not None
    program = running_program(uow, campaign.program)
    accounts = account_store.lock_many(connection, [(m, program.id) for _, _, m in acted], now)
    w = Writer(connection)
    for _, _, member in acted:
        account = accounts[(member, program.id)]
        code = "RW-" + secrets.token_hex(6).upper()
        w.reward(
            code=code,
            account_id=account.id,
            name=step.name,
            product=step.product,
            state="issued",
            purchase_id=None,
            issued_at=now,
            expires_at=now + timedelta(days=step.valid_days) if step.valid_days else None,
        )
        posting.event(
            w, posting.REWARD_ISSUED, account, program, now, reward=code, name=step.name,
            campaign=campaign.code,
        )  # fmt: skip
    w.flush()
    day.vouchers += len(acted)


def staff_tasks(
    uow: UnitOfWork, *, status: str | None = "open", store: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The staff tasks campaigns created, oldest due first (times as ISO 8601)."""
    if status is not None and status not in ("open", "done"):
        raise Invalid(f"status must be open or done, not {status!r}")
    rows = step_store.tasks(uow.connection, status=status, store=store, limit=max(1, limit))
    return [_task(r) for r in rows]


def _task(row: dict[str, Any]) -> dict[str, Any]:
    from regulars.domain.times import wire

    done = row.get("done_at")
    return {
        **row,
        "due_at": wire(as_utc(row["due_at"])),
        "done_at": wire(as_utc(done)) if done else None,
    }


def staff_task(uow: UnitOfWork, task_id: int) -> dict[str, Any]:
    """One staff task (NotFound when there is none with this id)."""
    found = step_store.tasks(uow.connection, status=None, store=None, limit=1, task_id=task_id)
    if not found:
        raise NotFound(f"no staff task with id {task_id}")
    return _task(found[0])


def finish_task(uow: UnitOfWork, task_id: int, now: datetime, actor: Actor) -> dict[str, Any]:
    """Mark a campaign's staff task done (audited as ``task.done``); a task done already is
    left as it was (``changed`` False), and nothing is audited then."""
    before = staff_task(uow, task_id)
    changed = step_store.finish_task(uow.connection, task_id, now, actor.name)
    after = staff_task(uow, task_id)
    if changed:
        record(
            uow, actor, "task.done", "staff_task", str(task_id), now,
            store=before["store"],
            before={"status": before["status"], "assignee": before["assignee"]},
            after={"status": after["status"], "assignee": after["assignee"],
                   "campaign": after["campaign"], "member": after["member"]},
        )  # fmt: skip
    return {**after, "changed": changed}
