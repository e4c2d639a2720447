"""Webhook delivery throughput on PostgreSQL against a bare loop of plain HTTP POSTs.

One run, one receiver, two measures, each with 2 processes:

1. **the delivery worker** (regulars): 100,000 outbox events (bulk inserted, not timed) and
   one webhook endpoint subscribed to them, pointing at the receiver; 2 worker processes run
   what ``regulars deliver --once`` runs — claim events and deliveries with ``FOR UPDATE SKIP
   LOCKED``, sign every request (Standard Webhooks, the ``standardwebhooks`` package), POST it
   over a kept-alive connection, book the outcomes, mark the events sent;
2. **the bare loop** (the peer): 2 processes POSTing the same bodies to the same receiver
   with httpx and keep-alive, nothing else — no database, no signing, no bookkeeping.

The receiver is another process: a small raw-asyncio HTTP/1.1 server that answers 200 and
counts requests and distinct ``webhook-id`` headers (the worker's run must show each event
exactly once). It prints both rates (events/s) and, last, the worker/bare-loop ratio
(goal ≥ 0.5).

    .venv/bin/python bench/bench_delivery.py [--events 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text

from bench_accrual import create_database, drop_database  # scratch databases, made alike
from regulars.config import Settings, normalise_database_url

PROCESSES = 2
GOAL = 0.5


# --- the receiver (its own process) ---------------------------------------------------------


class _Receiving(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough: read head and body, answer 200."""

    counts: dict[str, Any]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in head[1:])
            }
            total = end + 4 + int(headers.get("content-length", "0"))
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            if head[0].startswith("GET /count"):
                answer = json.dumps(
                    {"requests": self.counts["requests"], "ids": len(self.counts["ids"])}
                ).encode()
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(answer), answer)
                )
                continue
            if head[0].startswith("POST /reset"):
                self.counts["requests"] = 0
                self.counts["ids"].clear()
            else:
                self.counts["requests"] += 1
                webhook_id = headers.get("webhook-id")
                if webhook_id:
                    self.counts["ids"].add(webhook_id)
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")


def receive(port: int, ready: Any) -> None:
    counts: dict[str, Any] = {"requests": 0, "ids": set()}

    class Receiving(_Receiving):
        pass

    Receiving.counts = counts

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(
            Receiving, "127.0.0.1", port, backlog=256
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the database ---------------------------------------------------------------------------


def enqueue(url: str, events: int) -> None:
    """Points events like the ledger writes, in one INSERT … SELECT (not timed)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (topic, member_id, payload, created_at, available_at) "
                "SELECT 'points.earned', NULL, json_build_object('program', 'coffee', "
                "'balance', n * 10, 'pending', 0, 'points', 50, 'kind', 'earn', "
                "'purchase', n)::text, now(), now() FROM generate_series(1, :n) AS n"
            ),
            {"n": events},
        )
    engine.dispose()


def settings(url: str) -> Settings:
    return Settings(database_url=url, secret_key="bench", webhook_allow_private=True)


# --- the two measures -----------------------------------------------------------------------


def deliver(url: str, go: Any, results: Any) -> None:
    """One worker process: what ``regulars deliver --once`` runs."""
    from regulars.bootstrap import build

    app = build(settings(url), migrate_schema=False)
    worker = app.delivery_worker()
    with app.unit_of_work() as uow:  # connect and warm up before the clock starts
        uow.connection.exec_driver_sql("SELECT 1")
    go.wait()
    started = time.perf_counter()
    report = worker.drain()
    results.put((started, time.perf_counter(), report.sent, report.retrying + report.dead))
    worker.close()


def post(url: str, bodies: list[bytes], go: Any, results: Any) -> None:
    """One bare-loop process: POST each body with httpx over a kept-alive connection."""
    import httpx

    with httpx.Client(timeout=10) as client:
        client.post(url, content=b"{}", headers={"content-type": "application/json"})
        go.wait()
        started = time.perf_counter()
        failed = 0
        for body in bodies:
            answer = client.post(url, content=body, headers={"content-type": "application/json"})
            failed += answer.status_code != 200
    results.put((started, time.perf_counter(), len(bodies), failed))


def timed(processes: list[mp.Process], go: Any, results: Any) -> tuple[float, int, int]:
    for process in processes:
        process.start()
    time.sleep(2.0)  # imports and connections, outside the clock
    go.set()
    finished = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(end for _, end, _, _ in finished) - min(start for start, _, _, _ in finished)
    return elapsed, sum(n for *_, n, _ in finished), sum(f for *_, f in finished)


def bodies(events: int) -> list[bytes]:
    """The bodies the worker sends, built the same way (the event envelope)."""
    from regulars.channels.base import Delivery

    now = datetime.now(UTC)
    return [
        Delivery(
            f"evt_{n}",
            "points.earned",
            data={"kind": "earn", "points": 50, "balance": n * 10, "pending": 0,
                  "program": "coffee", "purchase": n},
            occurred_at=now,
        ).body()
        for n in range(1, events + 1)
    ]  # fmt: skip


def count(receiver: str) -> dict[str, int]:
    import httpx

    return dict(httpx.get(receiver + "/count").json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "REGULARS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    options = parser.parse_args()
    context = mp.get_context("spawn")
    port = free_port()
    ready = context.Event()
    receiver_process = context.Process(target=receive, args=(port, ready), daemon=True)
    receiver_process.start()
    ready.wait(30)
    receiver = f"http://127.0.0.1:{port}"

    name = f"regulars_bench_delivery_{uuid.uuid4().hex[:8]}"
    base = normalise_database_url(options.postgres)
    url = create_database(base, name)
    try:
        from regulars.bootstrap import build
        from regulars.services.engagement import webhooks

        app = build(settings(url))
        with app.unit_of_work() as uow:
            webhooks.add(
                uow, app.sealer, receiver + "/hooks", datetime.now(UTC),
                events="points.*", allow_private=True,
            )  # fmt: skip
            uow.commit()
        app.engine.dispose()
        enqueue(url, options.events)
        print(f"{options.events:,} events in the outbox, one endpoint, {PROCESSES} processes each")

        go, results = context.Event(), context.Queue()
        workers = [context.Process(target=deliver, args=(url, go, results)) for _ in range(2)]
        worker_seconds, sent, failed = timed(workers, go, results)
        seen = count(receiver)
        print(
            f"delivery worker: {sent:,} delivered in {worker_seconds:.1f} s = "
            f"{sent / worker_seconds:,.0f} events/s ({failed} failed attempts; the receiver saw "
            f"{seen['requests']:,} requests with {seen['ids']:,} distinct webhook-ids)"
        )
        if seen["ids"] != options.events or sent != options.events:
            print("error: not every event arrived exactly once", file=sys.stderr)
            sys.exit(1)

        payloads = bodies(options.events)
        half = len(payloads) // PROCESSES
        go, results = context.Event(), context.Queue()
        posters = [
            context.Process(
                target=post,
                args=(receiver + "/bare", payloads[i * half : (i + 1) * half + (
                    len(payloads) % PROCESSES if i == PROCESSES - 1 else 0)], go, results),
            )
            for i in range(PROCESSES)
        ]  # fmt: skip
        bare_seconds, posted, _ = timed(posters, go, results)
        print(
            f"bare httpx loop: {posted:,} posted in {bare_seconds:.1f} s = "
            f"{posted / bare_seconds:,.0f} events/s"
        )
        ratio = (sent / worker_seconds) / (posted / bare_seconds)
        print(f"goal: ratio >= {GOAL} (worker events/s over bare-loop events/s)")
        print(f"ratio: {ratio:.2f}")
    finally:
        receiver_process.terminate()
        drop_database(base, name)


if __name__ == "__main__":
    main()
