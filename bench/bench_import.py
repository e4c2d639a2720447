"""Bulk import speed: 1,000,000 purchase rows into SQLite and into PostgreSQL.

For each database it times ``regulars import purchases`` (the same service the CLI runs: read,
check every row, resolve members, write in batches) on a fresh store holding the members, and,
as the peer, the database's own raw bulk load of the same file with no checks at all
(``COPY`` for PostgreSQL, ``executemany`` for SQLite) into a plain table. It prints both
rates and the ratio, and rows per second of regulars on each database as the last line.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import create_engine, text

from regulars.bootstrap import build
from regulars.config import Settings, normalise_database_url
from regulars.services.imports.files import import_file

TZ = "Asia/Seoul"


def make_files(rows: int, folder: Path, seed: int = 1) -> tuple[Path, Path]:
    """Members and ``rows`` purchase lines (1-3 lines a purchase), as a POS would export."""
    rng = np.random.default_rng(seed)
    members = max(rows // 10, 1)
    member_ids = np.array([f"M{i:07d}" for i in range(members)], dtype=object)
    pd.DataFrame({"member_id": member_ids, "locale": "ko"}).to_csv(
        folder / "members.csv", index=False
    )
    lines_per = rng.integers(1, 4, rows)
    purchase = np.repeat(np.arange(rows), lines_per)[:rows]
    line_no = pd.Series(purchase).groupby(purchase).cumcount().to_numpy() + 1
    heads = purchase.max() + 1
    who = rng.integers(0, members, heads)
    anonymous = rng.random(heads) < 0.1
    seconds = np.sort(rng.integers(0, 730 * 86400, heads))  # a POS export is chronological
    when = (pd.Timestamp("2024-11-01") + pd.to_timedelta(seconds, unit="s")).strftime(
        "%Y-%m-%dT%H:%M:%S+09:00"
    )
    products = np.array(
        ["americano", "latte", "cold_brew", "croissant", "muffin", "beans"], dtype=object
    )
    categories = np.array(["coffee", "coffee", "coffee", "bakery", "bakery", "beans"], dtype=object)
    product = rng.integers(0, len(products), rows)
    frame = pd.DataFrame(
        {
            "purchase_id": np.char.add("P", purchase.astype(str)),
            "member_id": np.where(anonymous, None, member_ids[who])[purchase],
            "occurred_at": np.asarray(when)[purchase],
            "store": np.char.add("S0", (purchase % 6 + 1).astype(str)),
            "channel": "store",
            "line_no": line_no,
            "product": products[product],
            "category": categories[product],
            "quantity": rng.integers(1, 3, rows),
            "amount": rng.integers(30, 80, rows) * 100,
        }
    )
    path = folder / "purchases.csv"
    frame.to_csv(path, index=False)
    return folder / "members.csv", path


def regulars_rate(url: str, members: Path, purchases: Path, rows: int) -> float:
    app = build(Settings(database_url=url))
    import_file("members", members, app.run_committed, timezone=TZ)
    started = time.perf_counter()
    report = import_file("purchases", purchases, app.run_committed, timezone=TZ)
    elapsed = time.perf_counter() - started
    if report.rows != rows or report.errors:
        raise SystemExit(f"the benchmark file did not import cleanly: {report.summary()}")
    again = time.perf_counter()
    second = import_file("purchases", purchases, app.run_committed, timezone=TZ)
    print(
        f"  re-import of the same file: {second.added} added, "
        f"{second.already_present:,} already present, {time.perf_counter() - again:.1f} s"
    )
    app.engine.dispose()
    return rows / elapsed


def postgres_copy_rate(url: str, purchases: Path, rows: int) -> float:
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(
            "CREATE TABLE raw_lines (purchase_id text, member_id text, occurred_at timestamptz,"
            " store text, channel text, line_no int, product text, category text,"
            " quantity int, amount bigint)"
        )
        started = time.perf_counter()
        with (
            connection.cursor().copy("COPY raw_lines FROM STDIN (FORMAT csv, HEADER true)") as copy,
            purchases.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        return rows / (time.perf_counter() - started)


def sqlite_executemany_rate(purchases: Path, folder: Path, rows: int) -> float:
    connection = sqlite3.connect(folder / "raw.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE raw_lines (purchase_id text, member_id text, occurred_at text,"
        " store text, channel text, line_no int, product text, category text,"
        " quantity int, amount int)"
    )
    started = time.perf_counter()
    with purchases.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        connection.executemany("INSERT INTO raw_lines VALUES (?,?,?,?,?,?,?,?,?,?)", reader)
    connection.commit()
    connection.close()
    return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a server where a scratch database may be created and dropped",
    )
    args = parser.parse_args()
    admin_url = normalise_database_url(args.postgres)
    scratch = f"regulars_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        members, purchases = make_files(args.rows, folder)
        print(f"{args.rows:,} purchase rows ({purchases.stat().st_size / 1e6:.0f} MB CSV)")
        rates = {}
        print("SQLite:")
        rates["sqlite"] = regulars_rate(
            f"sqlite:///{folder}/regulars.db", members, purchases, args.rows
        )
        peer = sqlite_executemany_rate(purchases, folder, args.rows)
        print(
            f"  regulars import {rates['sqlite']:,.0f} rows/s; raw executemany, no checks "
            f"{peer:,.0f} rows/s; ratio {rates['sqlite'] / peer:.2f}"
        )
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        try:
            url = admin_url.rsplit("/", 1)[0] + f"/{scratch}"
            print("PostgreSQL:")
            rates["postgresql"] = regulars_rate(url, members, purchases, args.rows)
            peer = postgres_copy_rate(url, purchases, args.rows)
            print(
                f"  regulars import {rates['postgresql']:,.0f} rows/s; raw COPY, no checks "
                f"{peer:,.0f} rows/s; ratio {rates['postgresql'] / peer:.2f}"
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    print(
        f"rows/s: sqlite {rates['sqlite']:,.0f}, postgresql {rates['postgresql']:,.0f} "
        f"(goal >= 50,000 on each)"
    )


if __name__ == "__main__":
    main()
