"""Purchase accrual throughput on PostgreSQL against pgbench's TPC-B-like script.

One run, one server, three measures, each with 8 concurrent clients:

1. **pgbench** (the peer): ``pgbench -c 8 -j 2 -T N`` with its built-in TPC-B-like script
   (three UPDATEs, a SELECT and an INSERT per transaction) in a scratch database it
   initialises (``pgbench -i -s 8``) and that is dropped afterwards;
2. **accrual through the service layer**: 8 processes, each with its own connection, each
   accruing purchases one transaction per purchase with
   ``regulars.services.loyalty.accrual.accrue_purchase`` — the demo coffee chain's programs
   (cashback with tiers, cap and bonuses; the stamp card; the discount card): claim the
   purchase, read its basket, lock the member's accounts, write the ledger transaction, its
   double-entry entries and its lot, the stamps, the outbox event, commit;
3. **through the HTTP API**: uvicorn (2 workers) serving the API, 8 client processes posting
   ``POST /v1/purchases`` (checks, write, accrual, commit — one purchase a request) with
   httpx; requests per second and p99 latency.

The purchases of measure 2 are loaded beforehand with the bulk importer (not timed). It
prints every rate, the HTTP ratio, and as its last line the accrual/pgbench ratio.

    .venv/bin/python bench/bench_accrual.py [--seconds 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, select, text

from regulars.bootstrap import build
from regulars.config import Settings, normalise_database_url
from regulars.demo.programs import install_demo_programs
from regulars.services import api_keys
from regulars.services.loyalty.accrual import accrue_ids, grant_bonuses
from regulars.services.members import upsert_members
from regulars.store import purchases as purchase_store
from regulars.store.catalogue import categories, ensure_codes, ensure_products, stores
from regulars.store.database import connect
from regulars.store.tables import purchase_accruals, purchases
from regulars.store.unit_of_work import UnitOfWork

CLIENTS = 8
MENU = (
    ("americano", "coffee", 4500),
    ("latte", "coffee", 5000),
    ("croissant", "bakery", 4000),
    ("beans_250g", "beans", 18000),
)


def admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def create_database(url: str, name: str) -> str:
    engine = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str, name: str) -> None:
    engine = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- 1. pgbench ---------------------------------------------------------------------------


def run_pgbench(url: str, seconds: int) -> float:
    name = f"pgbench_{uuid.uuid4().hex[:8]}"
    target = libpq(create_database(url, name))
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", str(CLIENTS), target], check=True, capture_output=True
        )
        out = subprocess.run(
            ["pgbench", "-c", str(CLIENTS), "-j", "2", "-T", str(seconds), target],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        drop_database(url, name)
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


# --- 2. accrual through the service layer ---------------------------------------------------


def prepare(url: str, members: int, count: int) -> None:
    """Members, the demo programs and ``count`` unaccrued sales (bulk-loaded, not timed)."""
    app = build(Settings(database_url=url))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        upsert_members(uow, [{"member_id": f"M{i:06d}"} for i in range(members)], "UTC")
        c = uow.connection
        store_ids = ensure_codes(c, stores, ["S01", "S02", "S03"])
        category_ids = ensure_codes(c, categories, {cat for _, cat, _ in MENU})
        product_ids = ensure_products(c, {p: category_ids[cat] for p, cat, _ in MENU})
        from regulars.store.members import ids_by_external_id

        member_ids = ids_by_external_id(c, [f"M{i:06d}" for i in range(members)])
        heads, lines = [], []
        for n in range(count):
            at = start + timedelta(seconds=n * 7)
            items = [MENU[(n + k) % len(MENU)] for k in range(1 + n % 3)]
            heads.append(
                (
                    f"B{n:08d}",
                    member_ids[f"M{(n * 7919) % members:06d}"],
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    store_ids[f"S0{1 + n % 3}"],
                    "store",
                    None,
                    "sale",
                    None,
                    sum(price for _, _, price in items),
                )
            )
            lines.append(items)
        purchase_store.insert_purchases(c, columns(purchase_store.PURCHASE_COLUMNS, heads))
        ids = purchase_store.ids_by_external_id(c, [h[0] for h in heads])
        rows = [
            (ids[h[0]], k + 1, product_ids[p], category_ids[cat], 1, price)
            for h, items in zip(heads, lines, strict=True)
            for k, (p, cat, price) in enumerate(items)
        ]
        purchase_store.insert_lines(c, columns(purchase_store.LINE_COLUMNS, rows))
        uow.commit()
    with app.unit_of_work() as uow:  # the signup bonus opens every member's account
        grant_bonuses(uow, start, timezone="Asia/Seoul")
        uow.commit()
    app.engine.dispose()


def columns(names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


def accrual_client(
    url: str, client: int, seconds: float, start_at: float, batch: int, queue: Any
) -> None:
    engine = connect(url, pool_size=1, max_overflow=0)
    with engine.connect() as c:
        todo = [
            int(i)
            for i in c.execute(
                select(purchases.c.id)
                .outerjoin(purchase_accruals, purchase_accruals.c.purchase_id == purchases.c.id)
                .where(
                    purchase_accruals.c.purchase_id.is_(None), purchases.c.id % CLIENTS == client
                )
                .order_by(purchases.c.id)
            ).scalars()
        ]
    while time.time() < start_at:
        time.sleep(0.001)
    done = 0
    deadline = start_at + seconds
    for start in range(0, len(todo), batch):
        if time.time() >= deadline:
            break
        with UnitOfWork(engine) as uow:
            done += accrue_ids(uow, todo[start : start + batch])
            uow.commit()
    else:
        sys.stderr.write(f"client {client} ran out of purchases: raise --purchases\n")
    engine.dispose()
    queue.put(done)


def run_accrual(url: str, seconds: int, batch: int) -> float:
    queue: Any = mp.Queue()
    start_at = time.time() + 3.0
    procs = [
        mp.Process(target=accrual_client, args=(url, i, seconds, start_at, batch, queue))
        for i in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    total = sum(queue.get() for _ in procs)
    for p in procs:
        p.join()
    elapsed = time.time() - start_at
    return total / min(elapsed, seconds) if total else 0.0


# --- 3. through the HTTP API ----------------------------------------------------------------


def http_client(
    base: str,
    token: str,
    client: int,
    seconds: float,
    start_at: float,
    per_request: int,
    queue: Any,
) -> None:
    import httpx

    latencies: list[float] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        while time.time() < start_at:
            time.sleep(0.001)
        n = 0
        while time.time() < start_at + seconds:
            bodies = []
            for _ in range(per_request):
                n += 1
                item = MENU[n % len(MENU)]
                bodies.append(
                    {
                        "purchase_id": f"H{per_request}-{client}-{n}",
                        "member_id": f"M{(n * 31 + client) % 1000:06d}",
                        "occurred_at": "2026-03-01T09:30:00+09:00",
                        "store": "S01",
                        "lines": [{"product": item[0], "category": item[1], "amount": item[2]}],
                    }
                )
            began = time.perf_counter()
            if per_request == 1:
                response = http.post("/v1/purchases", json=bodies[0])
                assert response.status_code == 201, response.text
            else:
                response = http.post("/v1/purchases/batch", json={"purchases": bodies})
                assert response.status_code == 200, response.text
                assert response.json()["added"] == per_request, response.text
            latencies.append(time.perf_counter() - began)
    queue.put(latencies)


def run_http(url: str, seconds: int, per_request: int) -> tuple[float, float]:
    """Purchases per second and the p99 latency of a request, ``per_request`` purchases a
    request (1: ``POST /v1/purchases``; more: ``POST /v1/purchases/batch``)."""
    app = build(Settings(database_url=url))
    with app.unit_of_work() as uow:
        token, _ = api_keys.create(uow, f"bench-{per_request}", "pos")
        uow.commit()
    app.engine.dispose()
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "REGULARS_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "regulars.api.asgi:api",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        queue: Any = mp.Queue()
        start_at = time.time() + 2.0
        procs = [
            mp.Process(
                target=http_client,
                args=(f"http://127.0.0.1:{port}", token, i, seconds, start_at, per_request, queue),
            )
            for i in range(CLIENTS)
        ]
        for p in procs:
            p.start()
        latencies = [x for _ in procs for x in queue.get()]
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 100 else max(latencies)
    return len(latencies) * per_request / seconds, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "REGULARS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"
        ),
    )
    parser.add_argument("--purchases", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--http-batch", type=int, default=100)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    base = normalise_database_url(args.postgres)

    pgbench_tps = run_pgbench(base, args.seconds)
    print(f"pgbench TPC-B-like, {CLIENTS} clients, {args.seconds} s: {pgbench_tps:,.0f} tps")

    name = f"regulars_bench_{uuid.uuid4().hex[:8]}"
    url = create_database(base, name)
    try:
        prepare(url, args.members, count=args.purchases)
        job_tps = run_accrual(url, args.seconds, args.batch)
        print(
            f"regulars accrual job (service layer, {args.batch} purchases a transaction), "
            f"{CLIENTS} clients: {job_tps:,.0f} purchases/s "
            f"(ratio {job_tps / pgbench_tps:.2f})"
        )
        accrual_tps = run_accrual(url, args.seconds, 1)
        print(
            f"regulars accrual (service layer, one purchase a transaction), {CLIENTS} clients: "
            f"{accrual_tps:,.0f} purchases/s"
        )
        if not args.skip_http:
            for per_request in (1, args.http_batch):
                http_tps, p99 = run_http(url, args.seconds, per_request)
                what = (
                    "POST /v1/purchases, one purchase a request"
                    if per_request == 1
                    else f"POST /v1/purchases/batch, {per_request} purchases a request"
                )
                print(
                    f"regulars HTTP ({what}; record + accrue), {CLIENTS} clients: "
                    f"{http_tps:,.0f} purchases/s, p99 {p99 * 1000:.1f} ms a request "
                    f"(ratio {http_tps / pgbench_tps:.2f}; goal >= 0.35)"
                )
    finally:
        drop_database(base, name)
    print(
        f"ratio accrual / pgbench = {job_tps / pgbench_tps:.2f} (goal >= 0.60; accrual job, "
        f"{args.batch} purchases a transaction; one purchase a transaction: "
        f"{accrual_tps / pgbench_tps:.2f})"
    )


if __name__ == "__main__":
    main()
