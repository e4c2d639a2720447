"""The till in real time: one purchase per request over HTTP, against pgbench's TPC-B-like.

One run, one PostgreSQL server, measured one after the other:

1. **pgbench** (the peer): ``pgbench -c 8 -j 2 -T N`` with its built-in TPC-B-like script in
   a scratch database it initialises (``pgbench -i -s 8``) and drops afterwards;
2. **the till**: ``regulars serve`` (the production command: its workers, uvloop and
   httptools) on a store holding the demo coffee chain's three programs (cashback with tiers
   and a monthly cap, the stamp card, the discount card) and 1,000,000 members, each with a
   purchase already in their history and their accounts open; ``wrk`` (a native load
   generator, Debian's package, installed when missing) sends ``POST /v1/purchases`` from 8
   connections, one purchase per request, each with its own purchase id (a Lua script: a
   member drawn at random, one to three lines from the menu, a coupon line now and then);
   purchases per second and the latency of a request (p50, p99), every answer checked to be
   a 201;
3. **the quote**: the same with ``POST /v1/loyalty/quote`` (p99), after a warm-up of its own
   (each run starts with 3 seconds that are not counted: the workers prepare their
   statements and fill their caches);
4. **in-process**: one sale recorded, accrued and answered through the service layer
   (``services.purchases.recording.record_sale``) and committed, one after another on one
   connection: the median time of one sale.

The store is built once and kept as a template database (``regulars_pos_<members>_<schema>``:
members through the members import, their history by COPY): later runs copy it in seconds.
``--fresh`` rebuilds it; ``--drop-template`` removes it at the end.

It prints every figure and, as its last line, the ratio of purchases per second to pgbench's
transactions per second (``ratio: 0.31``).

    .venv/bin/python bench/bench_pos.py [--members 1000000] [--seconds 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from regulars.bootstrap import build
from regulars.config import Settings, normalise_database_url
from regulars.demo.programs import install_demo_programs
from regulars.services import api_keys
from regulars.services.imports.files import import_file
from regulars.services.loyalty.verify import verify_ledger
from regulars.services.purchases.recording import record_sale
from regulars.store import purchases as purchase_store
from regulars.store.catalogue import categories, ensure_codes, ensure_products, stores
from regulars.store.database import MIGRATIONS

CLIENTS = 8
TIMEZONE = "Asia/Seoul"
MENU = (
    ("americano", "coffee", 4500),
    ("latte", "coffee", 5000),
    ("croissant", "bakery", 4000),
    ("beans_250g", "beans", 18000),
)
HISTORY_AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

LUA = r"""
-- One purchase per request, each with an id of its own: the thread's number, a counter.
local counter = 0
local thread_id = 0
local threads = {}
local menu = {
  {"americano", "coffee", 4500}, {"latte", "coffee", 5000},
  {"croissant", "bakery", 4000}, {"beans_250g", "beans", 18000},
}
local members = tonumber(os.getenv("BENCH_MEMBERS"))
local path = os.getenv("BENCH_PATH")
local run = os.getenv("BENCH_RUN")

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919)
  bad = 0
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local member = string.format("M%07d", math.random(0, members - 1))
  local lines = {}
  for k = 1, 1 + counter % 3 do
    local item = menu[1 + (counter + k) % 4]
    table.insert(lines, string.format(
      '{"product":"%s","category":"%s","quantity":1,"amount":%d}', item[1], item[2], item[3]))
  end
  if counter % 10 == 0 then
    table.insert(lines, '{"product":"coupon","category":"discount","amount":-500}')
  end
  local body
  if path == "/v1/purchases" then
    body = string.format(
      '{"purchase_id":"%s-%d-%d","member_id":"%s","occurred_at":"%s","store":"S0%d","lines":[%s]}',
      run, tid, counter, member, os.date("!%Y-%m-%dT%H:%M:%SZ"), 1 + counter % 3,
      table.concat(lines, ","))
  else
    body = string.format('{"member_id":"%s","store":"S01","lines":[%s]}',
      member, table.concat(lines, ","))
  end
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  if status ~= 201 and status ~= 200 then
    bad = bad + 1
    if bad < 3 then io.stderr:write(status .. " " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("bad") end
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    failed, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + summary.errors.status))
end
"""


def admin_engine(url: str) -> Any:
    return create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


def database_exists(url: str, name: str) -> bool:
    engine = admin_engine(url)
    with engine.connect() as c:
        found = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        exists = found.first() is not None
    engine.dispose()
    return exists


def sql_admin(url: str, statement: str) -> None:
    engine = admin_engine(url)
    with engine.connect() as c:
        c.execute(text(statement))
    engine.dispose()


def on(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{name}"


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install -y wrk)", flush=True)
    installed = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True)
    if installed.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    assert found, "wrk could not be installed"
    return found


# --- 1. pgbench ---------------------------------------------------------------------------


def run_pgbench(url: str, seconds: int) -> float:
    name = f"pgbench_{uuid.uuid4().hex[:8]}"
    sql_admin(url, f'CREATE DATABASE "{name}"')
    target = libpq(on(url, name))
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
        sql_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


# --- the store: a template database, built once -------------------------------------------


def schema_stamp() -> str:
    """Changes when a migration is added or edited: a template of an older schema is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def build_template(url: str, members: int) -> None:
    """Members through the members import (phones and cards as a till looks them up), the
    demo programs, every member's accounts open and one purchase of history each."""
    began = time.perf_counter()
    app = build(Settings(database_url=url, timezone=TIMEZONE))
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        uow.commit()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "members.csv"
        with path.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["member_id", "phone", "card_id", "segment"])
            for i in range(members):
                segment = "business" if i % 20 == 0 else "individual"
                out.writerow(
                    [f"M{i:07d}", f"010-{i // 10000:04d}-{i % 10000:04d}", f"C{i}", segment]
                )
        report = import_file("members", path, app.run_committed, timezone=TIMEZONE)
        assert report.added == members, report.summary()
    print(f"  {members:,} members imported in {time.perf_counter() - began:.0f} s", flush=True)
    with app.unit_of_work() as uow:
        c = uow.connection
        c.execute(
            text(
                "INSERT INTO loyalty_accounts (member_id, program_id, created_at, updated_at) "
                "SELECT m.id, p.id, now(), now() FROM members m CROSS JOIN loyalty_programs p "
                "WHERE p.kind IN ('points', 'stamps')"
            )
        )
        store_ids = ensure_codes(c, stores, ["S01", "S02", "S03"])
        category_ids = ensure_codes(c, categories, {cat for _, cat, _ in MENU} | {"discount"})
        products = {p: category_ids[cat] for p, cat, _ in MENU} | {
            "coupon": category_ids["discount"]
        }
        product_ids = ensure_products(c, products)
        member_ids = [int(i) for (i,) in c.execute(text("SELECT id FROM members ORDER BY id"))]
        heads: dict[str, list[Any]] = {name: [] for name in purchase_store.PURCHASE_COLUMNS}
        lines: dict[str, list[Any]] = {name: [] for name in purchase_store.LINE_COLUMNS}
        for n, member in enumerate(member_ids):
            product, category, price = MENU[n % len(MENU)]
            at = HISTORY_AT + timedelta(minutes=n % 100_000)
            for name, value in zip(
                purchase_store.PURCHASE_COLUMNS,
                (
                    f"H{n:07d}",
                    member,
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    store_ids["S01"],
                    "store",
                    None,
                    "sale",
                    None,
                    price,
                ),
                strict=True,
            ):
                heads[name].append(value)
        ids = purchase_store.insert_purchases(c, heads)
        for n, external in enumerate(heads["external_id"]):
            product, category, price = MENU[n % len(MENU)]
            for name, value in zip(
                purchase_store.LINE_COLUMNS,
                (ids[external], 1, product_ids[product], category_ids[category], 1, price),
                strict=True,
            ):
                lines[name].append(value)
        purchase_store.insert_lines(c, lines)
        c.execute(text("INSERT INTO purchase_accruals SELECT id, now() FROM purchases"))
        uow.commit()
    app.engine.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"  template built in {time.perf_counter() - began:.0f} s", flush=True)


def fresh_store(
    base: str,
    members: int,
    rebuild: bool,
    prefix: str = "regulars_pos",
    builder: Any = None,
) -> tuple[str, str, str]:
    """A store to run on, copied from the template ``<prefix>_<members>_<schema>`` (built
    first by ``builder(url, members)``, default :func:`build_template`, if missing); returns
    (store url, its name, the template's name)."""
    build_template_ = builder or build_template
    template = f"{prefix}_{members}_{schema_stamp()}"
    if rebuild and database_exists(base, template):
        sql_admin(base, f'DROP DATABASE "{template}" WITH (FORCE)')
    if not database_exists(base, template):
        print(f"building the template {template} (once)", flush=True)
        sql_admin(base, f'CREATE DATABASE "{template}"')
        try:
            build_template_(on(base, template), members)
        except BaseException:
            sql_admin(base, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            raise
    name = f"{prefix}_run_{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    sql_admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    print(f"store copied from {template} in {time.perf_counter() - began:.1f} s", flush=True)
    return on(base, name), name, template


# --- 2 and 3. over HTTP ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REGULARS_DATABASE_URL": url, "REGULARS_TIMEZONE": TIMEZONE}
    regulars = str(Path(sys.executable).with_name("regulars"))
    command = [regulars, "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not start")


def run_wrk(
    wrk: str, port: int, path: str, token: str, seconds: int, members: int, run: str
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    env = {
        **os.environ,
        "BENCH_TOKEN": token,
        "BENCH_PATH": path,
        "BENCH_MEMBERS": str(members),
        "BENCH_RUN": run,
    }
    try:
        out = subprocess.run(
            [
                wrk,
                "-t",
                "2",
                "-c",
                str(CLIENTS),
                "-d",
                f"{seconds}s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (.*)", out.stdout)
    assert match, out.stdout + out.stderr
    figures = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    if figures["non2xx"] or figures["errors"]:
        sys.stderr.write(out.stderr)
        raise RuntimeError(f"{path}: {figures['non2xx']:.0f} answers were not 2xx")
    return figures


def analyse(url: str, statement: str = "ANALYZE") -> None:
    """``ANALYZE`` (or ``VACUUM ANALYZE``) the database at ``url``, outside a transaction."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(statement))
    engine.dispose()


# --- 4. in-process --------------------------------------------------------------------------


def in_process(url: str, members: int, count: int) -> tuple[float, float]:
    """Median and p99 of one sale recorded, accrued, answered and committed (ms)."""
    app = build(Settings(database_url=url, timezone=TIMEZONE), migrate_schema=False)
    times = []
    for n in range(count + 50):
        item = MENU[n % len(MENU)]
        record = {
            "purchase_id": f"IP-{uuid.uuid4().hex[:12]}",
            "member_id": f"M{(n * 7919) % members:07d}",
            "occurred_at": datetime.now(UTC),
            "store": "S01",
            "channel": "store",
            "kind": "sale",
            "lines": [{"product": item[0], "category": item[1], "quantity": 1, "amount": item[2]}],
        }
        began = time.perf_counter()
        with app.unit_of_work() as uow:
            sale = record_sale(uow, record, TIMEZONE)
            uow.commit()
        if n >= 50:  # the first ones prepare statements and fill the caches
            times.append(time.perf_counter() - began)
        assert sale.answer is not None, sale.report.errors
        assert sale.added
    app.engine.dispose()
    return statistics.median(times) * 1000, statistics.quantiles(times, n=100)[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="regulars serve --workers")
    parser.add_argument("--in-process", type=int, default=2000, help="sales timed in-process")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "REGULARS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"
        ),
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the template database")
    parser.add_argument("--drop-template", action="store_true")
    parser.add_argument("--verify", action="store_true", help="regulars ledger verify at the end")
    args = parser.parse_args()
    base = normalise_database_url(args.postgres)
    wrk = ensure_wrk()
    load = os.getloadavg()
    print(f"load before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")

    pgbench_tps = run_pgbench(base, args.seconds)
    print(
        f"pgbench TPC-B-like, {CLIENTS} clients, {args.seconds} s: {pgbench_tps:,.0f} tps",
        flush=True,
    )

    url, name, template = fresh_store(base, args.members, args.fresh)
    server = None
    try:
        app = build(Settings(database_url=url, timezone=TIMEZONE))
        with app.unit_of_work() as uow:
            token, _ = api_keys.create(uow, "bench-till", "pos")
            uow.commit()
        app.engine.dispose()
        port = free_port()
        server = serve(url, port, args.workers)
        run = uuid.uuid4().hex[:6]
        run_wrk(wrk, port, "/v1/purchases", token, 3, args.members, f"warm{run}")
        analyse(url)  # the warm-up wrote the first ledger rows: plans see tables as they are
        sales = run_wrk(wrk, port, "/v1/purchases", token, args.seconds, args.members, run)
        run_wrk(wrk, port, "/v1/loyalty/quote", token, 3, args.members, run)  # its warm-up
        quotes = run_wrk(
            wrk, port, "/v1/loyalty/quote", token, max(5, args.seconds // 2), args.members, run
        )
        server.terminate()
        server.wait(timeout=30)
        server = None
        median, p99 = in_process(url, args.members, args.in_process)
        engine = create_engine(url)
        with engine.connect() as c:
            recorded = c.execute(
                text("SELECT count(*) FROM purchases WHERE external_id LIKE :p"), {"p": f"{run}-%"}
            ).scalar_one()
        engine.dispose()
        # Every answered request was recorded; the few in flight when wrk stopped were too.
        assert sales["requests"] <= recorded <= sales["requests"] + CLIENTS, recorded
        if args.verify:
            check = build(Settings(database_url=url), migrate_schema=False)
            with check.unit_of_work() as uow:
                report = verify_ledger(uow)
            check.engine.dispose()
            print(f"ledger verify: {'clean' if report['clean'] else json.dumps(report)[:500]}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        sql_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if args.drop_template:
            sql_admin(base, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')

    rate = sales["requests"] / sales["seconds"]
    load = os.getloadavg()
    print(
        f"regulars POST /v1/purchases, one purchase a request, {CLIENTS} connections (wrk), "
        f"{args.workers} workers, {args.members:,} members: {rate:,.0f} purchases/s, "
        f"p50 {sales['p50_us'] / 1000:.1f} ms, p99 {sales['p99_us'] / 1000:.1f} ms "
        f"(goal p99 <= 25 ms); {sales['requests']:,.0f} purchases, every one recorded"
    )
    print(
        f"regulars POST /v1/loyalty/quote: {quotes['requests'] / quotes['seconds']:,.0f} quotes/s, "
        f"p50 {quotes['p50_us'] / 1000:.1f} ms, p99 {quotes['p99_us'] / 1000:.1f} ms "
        "(goal p99 <= 10 ms)"
    )
    print(
        f"in-process one sale (record, accrue, answer, commit): median {median:.2f} ms, "
        f"p99 {p99:.2f} ms (goal <= 1.5 ms)"
    )
    print(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"ratio: {rate / pgbench_tps:.2f}")


if __name__ == "__main__":
    main()
