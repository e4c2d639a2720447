"""The delivery worker: every outbox event leaves the system, at least once.

One batch is a round of three steps (``Worker.run_batch``):

1. **Claim**, in one short transaction: due outbox events are locked (``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL) and handed to the :class:`~.composing.Composer`, whose answer
   becomes delivery rows (or a hold, or a skip); then up to ``batch`` due deliveries are
   leased to this worker (``claimed_until``), again skipping rows other workers hold.
2. **Send**, outside any transaction, through the channel each delivery names. Every
   attempt carries the event's key (``evt_<id>``) as its idempotency key.
3. **Book**, in a second transaction: sent rows in one statement, failures with their next
   attempt (full-jitter backoff, :mod:`.retries`) or, after ``max_attempts`` or a failure
   for good, ``dead``; webhook endpoints' runs of failures (disabled at the limit); and
   events whose deliveries are all sent get their ``sent_at``.

``drain`` (``regulars deliver``) runs these rounds back to back; on PostgreSQL it books one
batch and claims the next on a second connection while the current one is being sent, so
the database costs little wall time (one request is in flight at a time either way).

Delivery is at least once: a worker killed between sending and booking leaves its rows
leased; when the lease ends another worker sends them again with the same key, so the
receiver can drop the duplicate. On the happy path no message is sent twice, however many
workers run (PostgreSQL; a SQLite store takes one worker at a time).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from regulars.channels.base import Channel, Delivery, Outcome
from regulars.services.engagement.composing import Composer, Event, Hold, Skip
from regulars.services.engagement.retries import Policy
from regulars.services.engagement.stored import rebuilt, stored
from regulars.services.engagement.webhooks import EndpointBook
from regulars.store.engagement import deliveries as store
from regulars.store.engagement import webhooks as endpoint_store
from regulars.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")

REASON_CHARS = 1000
LEASE_SHARE = 0.8  # of its lease a worker spends sending one batch


@dataclass
class BatchReport:
    """What one batch (or a run of batches) did."""

    events: int = 0
    held: int = 0
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    disabled_endpoints: list[int] = field(default_factory=list)

    def add(self, other: BatchReport) -> None:
        self.events += other.events
        self.held += other.held
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.dead += other.dead
        self.disabled_endpoints += other.disabled_endpoints


@dataclass(frozen=True)
class _Batch:
    claimed: list[_Claimed]
    report: BatchReport
    deadline: float  # time.monotonic() after which no more of it is sent


class _InTurn(Executor):
    """Runs each task at once on the caller's thread (SQLite: one connection at a time)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_id: int
    channel: str
    endpoint_id: int | None
    attempts: int
    delivery: Delivery


class Worker:
    """Claims, sends and books deliveries; see the module's docstring.

    ``unit_of_work`` opens a transaction (the worker commits its own two per batch: it is an
    edge, like a CLI command). ``channels`` maps channel names (``webhook``, ``broker``,
    ``email``, ``sms``) to channels; ``book`` is the endpoint directory the webhook channel
    looks endpoints up in. ``periodic(uow, now)``, if given, runs at most once a minute
    before a drain (the overdue-case alerts enqueue there). ``clock`` and ``uniform`` are
    for tests.
    """

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        channels: Mapping[str, Channel],
        composer: Composer,
        book: EndpointBook,
        policy: Policy | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        uniform: Callable[[], float] | None = None,
        periodic: Callable[[UnitOfWork, datetime], object] | None = None,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.channels = dict(channels)
        self.composer = composer
        self.book = book
        self.policy = policy or Policy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._uniform = uniform
        self._fresh: dict[int, Any] = {}  # the events just dispatched, by id
        self.periodic = periodic
        self._periodic_at: datetime | None = None

    # --- the round ------------------------------------------------------------------------

    def run_batch(self) -> BatchReport:
        """Claim, send and book one batch; a report of what happened."""
        batch = self._take()
        if batch.claimed:
            self._book(*self._send_batch(batch), batch.report)
        return batch.report

    def drain(self, stop: threading.Event | None = None) -> BatchReport:
        """Deliver everything due now, batch after batch, and return the total.

        On PostgreSQL the database work overlaps the sending: while one batch is being sent,
        a second connection books the batch before it and claims the next (still one
        request in flight at a time). When ``stop`` is set, the batch in flight is sent
        and booked, and no other is claimed.
        """
        self._run_periodic()
        reports: list[BatchReport] = []
        with self._database_thread() as database:
            batch = self._take()
            booking: Future[None] | None = None
            while batch.claimed or batch.report.events:
                reports.append(batch.report)
                stopping = stop is not None and stop.is_set()
                following = None if stopping else database.submit(self._take)
                results, unsent = self._send_batch(batch)
                if booking is not None:
                    booking.result()
                booking = database.submit(self._book, results, unsent, batch.report)
                if following is None:
                    break
                batch = following.result()
                if stop is not None and stop.is_set():  # claimed, not yet in flight: give back
                    reports.append(batch.report)
                    booking.result()
                    booking = database.submit(
                        self._book, [], [item.id for item in batch.claimed], batch.report
                    )
                    break
            if booking is not None:
                booking.result()
        total = BatchReport()
        for report in reports:
            total.add(report)
        return total

    def run(self, stop: threading.Event, poll_seconds: float = 1.0) -> BatchReport:
        """Deliver until ``stop`` is set; the batch in flight is finished first. Sent rows
        past the retention period are pruned once an hour."""
        total = BatchReport()
        pruned_at: datetime | None = None
        while not stop.is_set():
            now = self.clock()
            if pruned_at is None or now - pruned_at > timedelta(hours=1):
                self.prune()
                pruned_at = now
            total.add(self.drain(stop))
            stop.wait(poll_seconds)
        return total

    def _run_periodic(self) -> None:
        now = self.clock()
        if self.periodic is None or (
            self._periodic_at is not None and now - self._periodic_at < timedelta(minutes=1)
        ):
            return
        with self.unit_of_work() as uow:
            self.periodic(uow, now)
            uow.commit()
        self._periodic_at = now

    def _database_thread(self) -> Executor:
        """A thread for the database work on PostgreSQL; on SQLite (one writer) the work
        runs in turn, on the caller's thread."""
        if self.unit_of_work().dialect == "postgresql":
            return ThreadPoolExecutor(1, thread_name_prefix="delivery-store")
        return _InTurn()

    def prune(self) -> tuple[int, int]:
        """Delete sent deliveries (and finished events) older than the retention period."""
        before = self.clock() - timedelta(days=self.policy.retention_days)
        with self.unit_of_work() as uow:
            gone = store.prune(uow.connection, before)
            uow.commit()
        return gone

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    # --- 1. claim ---------------------------------------------------------------------------

    def _take(self) -> _Batch:
        report = BatchReport()
        claimed = self._claim(report)
        # Sending stops well before the lease ends (slow peers): past it another worker could
        # take the same rows. What is left goes back unsent, due at once.
        deadline = time.monotonic() + self.policy.lease_seconds * LEASE_SHARE
        return _Batch(claimed, report, deadline)

    def _claim(self, report: BatchReport) -> list[_Claimed]:
        now = self.clock()
        with self.unit_of_work() as uow:
            self.book.refresh(uow, now)
            self._dispatch(uow, now, report)
            rows = store.claim_due(
                uow.connection,
                now,
                now + timedelta(seconds=self.policy.lease_seconds),
                self.policy.batch,
            )
            fresh = self._fresh
            found = {**fresh, **store.events(
                uow.connection, (r["event_id"] for r in rows if r["event_id"] not in fresh)
            )}  # fmt: skip
            uow.commit()
        claimed = []
        for row in rows:
            event = found.get(int(row["event_id"]))
            claimed.append(
                _Claimed(
                    int(row["id"]),
                    int(row["event_id"]),
                    row["channel"],
                    None if row["endpoint_id"] is None else int(row["endpoint_id"]),
                    int(row["attempts"]),
                    rebuilt(row, event),
                )
            )
        report.claimed = len(claimed)
        return claimed

    def _dispatch(self, uow: UnitOfWork, now: datetime, report: BatchReport) -> None:
        """Turn due outbox events into deliveries, as the composer says."""
        rows = store.claim_events(uow.connection, now, self.policy.batch)
        self._fresh = {int(row["id"]): row for row in rows}
        planned: list[dict[str, Any]] = []
        dispatched: list[int] = []
        done: list[int] = []
        for row in rows:
            event = Event.from_row(row)
            answer = self.composer.compose(uow, event, now)
            if isinstance(answer, Hold):
                store.hold(uow.connection, event.id, answer.until, answer.reason)
                report.held += 1
            elif isinstance(answer, Skip):
                store.mark_done(uow.connection, [event.id], now, answer.reason)
            elif answer:
                planned.extend(stored(event, item) for item in answer)
                dispatched.append(event.id)
            else:
                done.append(event.id)
        store.add(uow.connection, planned, now)
        store.mark_dispatched(uow.connection, dispatched, now)
        store.mark_done(uow.connection, done, now)
        report.events = len(rows)

    # --- 2. send ----------------------------------------------------------------------------

    def _send_batch(self, batch: _Batch) -> tuple[list[tuple[_Claimed, Outcome]], list[int]]:
        results: list[tuple[_Claimed, Outcome]] = []
        for item in batch.claimed:
            if time.monotonic() > batch.deadline:
                break
            results.append((item, self._send(item)))
        return results, [item.id for item in batch.claimed[len(results) :]]

    def _send(self, item: _Claimed) -> Outcome:
        channel = self.channels.get(item.channel)
        if channel is None:
            return Outcome.retry(f"no {item.channel} channel is configured here")
        try:
            return channel.send(item.delivery)
        except Exception as error:  # a bug in a channel must not lose the batch's booking
            log.exception("channel %s raised on delivery %s", item.channel, item.id)
            return Outcome.retry(f"the {item.channel} channel raised {type(error).__name__}")

    # --- 3. book ----------------------------------------------------------------------------

    def _book(
        self, results: list[tuple[_Claimed, Outcome]], unsent: list[int], report: BatchReport
    ) -> None:
        now = self.clock()
        sent: list[int] = []
        failed: list[dict[str, Any]] = []
        runs: dict[int, tuple[bool, int]] = {}
        for item, outcome in results:
            if item.endpoint_id is not None:
                succeeded, failures = runs.get(item.endpoint_id, (False, 0))
                runs[item.endpoint_id] = (True, 0) if outcome.ok else (succeeded, failures + 1)
            if outcome.ok:
                sent.append(item.id)
                continue
            attempts = item.attempts + 1
            final = not outcome.retryable or attempts >= self.policy.max_attempts
            wait = 0.0 if final else self._backoff(attempts, outcome.retry_after)
            failed.append(
                {
                    "id": item.id,
                    "state": "dead" if final else "failed",
                    "next_attempt_at": now + timedelta(seconds=wait),
                    "last_error": (outcome.reason or outcome.status.value)[:REASON_CHARS],
                    "peer_status": outcome.peer_status,
                }
            )
            if final:
                report.dead += 1
                log.warning(
                    "delivery %s (%s) is dead after %d attempts: %s",
                    item.id, item.channel, attempts, outcome.reason,
                )  # fmt: skip
            else:
                report.retrying += 1
        # Endpoints at zero failures with only successes now need no write (the happy path).
        runs = {
            endpoint: run
            for endpoint, run in runs.items()
            if run != (True, 0) or self.book.failures(endpoint) != 0
        }
        with self.unit_of_work() as uow:
            store.record_sent(uow.connection, sent, now)
            store.record_attempts(uow.connection, failed)
            store.release(uow.connection, unsent)
            if runs:
                report.disabled_endpoints = endpoint_store.record_failures(
                    uow.connection, runs, disable_after=self.policy.disable_after, now=now
                )
            store.finish_events(
                uow.connection, (item.event_id for item, outcome in results if outcome.ok), now
            )
            uow.commit()
        report.sent = len(sent)
        for endpoint in report.disabled_endpoints:
            log.warning("webhook endpoint %s disabled after repeated failures", endpoint)

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        if self._uniform is None:
            return self.policy.backoff(attempts, retry_after)
        return self.policy.backoff(attempts, retry_after, self._uniform)
