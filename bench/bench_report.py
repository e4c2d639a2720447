"""The whole loyalty report at scale: 1,000,000 members, 20,000,000 purchases, 200,000 answers.

The data is drawn with vectorised numpy straight to Parquet files shaped like the store's
tables (``members``, ``purchases``, ``purchase_lines``) plus the answers frame. The report
then runs in a fresh process as ``regulars report`` does — the same SQL aggregates of
:mod:`regulars.store.reads.analytics` and the period sales of
:mod:`regulars.store.reads.purchase_windows`, here executed by DuckDB over the Parquet
files, then :func:`regulars.analytics.report.compute_report`, the briefing
(:func:`regulars.services.briefing.build.compose`) and ``write_briefing`` (the Korean page
and the JSON) — and the script prints its wall time and peak memory (the child process's
maximum resident set, DuckDB included) against the goal of 120 s and 6 GB on a 2-core
machine. The generated data has no ledger, scores or cases, so the briefing's loyalty,
at-risk and cases views (small ``GROUP BY`` queries of the store) are left out.

    .venv/bin/python bench/bench_report.py [--members 1000000] [--purchases 20000000]
        [--answers 200000] [--data DIR] [--out DIR] [--postgres SERVER_URL]

With ``--postgres`` the data is first loaded by COPY into a fresh, migrated store on that
server (not timed) and the same aggregates run there instead of in DuckDB; the peak memory
then counts the report process only, not the PostgreSQL server.

The last line is the ratio of the measured wall time to the 120 s goal.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from regulars.analytics.responses import ANSWER_COLUMNS

END = date(2026, 10, 31)
DAYS = 730
DRIVERS = ("price", "quality", "delivery", "service", "staff")
WEIGHTS = np.array([0.15, 0.30, 0.10, 0.30, 0.15])
MEANS = np.array([3.4, 4.1, 3.6, 2.9, 3.9])
CHANNELS = np.array(["organic", "instagram", "naver_ads", "referral", "event"])
COSTS = np.array([0, 9_000, 14_000, 5_000, 3_000])
REGIONS = np.array(["Gangnam", "Mapo", "Jongno", "Songpa", "Bundang"])
COMPLAINTS = {
    "ko": ["직원 응대가 불친절해요", "서비스가 너무 느려요", "직원이 불친절하고 응대가 느려요"],
    "en": ["The service was slow", "Staff were rude and service slow", "Rude service"],
}
PRAISE = {
    "ko": ["커피가 맛있어요", "원두 품질이 좋아요", "가격이 괜찮아요"],
    "en": ["Great coffee", "Good quality beans", "Fair price"],
}


def generate(folder: Path, members: int, purchases: int, answers: int, seed: int = 1) -> None:
    """Write members, purchases, purchase_lines (Parquet) and answers (Parquet)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    end = pd.Timestamp(END, tz="UTC")
    start_s = int((end - pd.Timedelta(days=DAYS)).timestamp())
    channel = rng.integers(0, len(CHANNELS), members)
    signup_day = rng.integers(0, DAYS, members)
    ids = np.arange(1, members + 1)
    external = pa.array([f"M{i:07d}" for i in ids])
    pq.write_table(
        pa.table(
            {
                "id": ids,
                "external_id": external,
                "segment": rng.choice(
                    ["individual", "business", "vip"], members, p=[0.8, 0.12, 0.08]
                ),
                "region": REGIONS[rng.integers(0, len(REGIONS), members)],
                "signup_date": pd.to_datetime(start_s + signup_day * 86_400, unit="s").date,
                "acquisition_channel": CHANNELS[channel],
                "acquisition_cost": COSTS[channel],
                "erased_at": pa.nulls(members, pa.timestamp("us", tz="UTC")),
            }
        ),
        folder / "members.parquet",
    )
    # Purchase rates: Gamma heterogeneity; 15 % of members never buy.
    rate = rng.gamma(0.9, 1.0, members) * (rng.random(members) > 0.15)
    cumulative = np.cumsum(rate / rate.sum())
    writer_p = pq.ParquetWriter(folder / "purchases.parquet", _purchase_schema())
    writer_l = pq.ParquetWriter(folder / "purchase_lines.parquet", _line_schema())
    chunk = 5_000_000
    for first in range(0, purchases, chunk):
        n = min(chunk, purchases - first)
        member = np.searchsorted(cumulative, rng.random(n)).clip(0, members - 1)
        day = np.maximum(signup_day[member], rng.integers(0, DAYS, n))
        seconds = start_s + day * 86_400 + rng.integers(8 * 3600, 22 * 3600, n)
        refund = rng.random(n) < 0.01
        amount = (np.round(rng.lognormal(9.0, 0.5, n) / 100) * 100).astype(np.int64)
        purchase_id = np.arange(first + 1, first + n + 1)
        writer_p.write_table(
            pa.table(
                {
                    "id": purchase_id,
                    "member_id": ids[member],
                    "occurred_at": pa.array(seconds * 1_000_000, pa.timestamp("us", tz="UTC")),
                    "kind": np.where(refund, "refund", "sale"),
                    "total_amount": np.where(refund, -amount, amount),
                },
                schema=_purchase_schema(),
            )
        )
        writer_l.write_table(
            pa.table(
                {"purchase_id": purchase_id, "category_id": rng.integers(1, 5, n)},
                schema=_line_schema(),
            )
        )
    writer_p.close()
    writer_l.close()
    _answers(rng, answers, members, start_s).to_parquet(folder / "answers.parquet", index=False)


def _purchase_schema() -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.int64()),
            ("member_id", pa.int64()),
            ("occurred_at", pa.timestamp("us", tz="UTC")),
            ("kind", pa.string()),
            ("total_amount", pa.int64()),
        ]
    )


def _line_schema() -> pa.Schema:
    return pa.schema([("purchase_id", pa.int64()), ("category_id", pa.int64())])


def _answers(rng: np.random.Generator, responses: int, members: int, start_s: int) -> pd.DataFrame:
    """The answers frame (the columns of ``answers_frame``): NPS, why, drivers, CSAT..."""
    common = rng.normal(0, 0.5, responses)
    sat = np.clip(MEANS + common[:, None] + rng.normal(0, 0.8, (responses, 5)), 1, 5)
    ltr = np.clip(np.round(2.6 * (sat @ WEIGHTS) - 1.4 + rng.normal(0, 0.9, responses)), 0, 10)
    rating = np.clip(np.round(sat), 1, 5)
    member = np.array([f"M{i:07d}" for i in rng.integers(1, members + 1, responses)], dtype=object)
    language = np.where(rng.random(responses) < 0.85, "ko", "en")
    store = np.array([f"S{i:02d}" for i in range(1, 41)])[rng.integers(0, 40, responses)]
    employee = np.array([f"E{i:04d}" for i in range(1, 801)])[rng.integers(0, 800, responses)]
    department = np.array(["sales", "support", "delivery"])[rng.integers(0, 3, responses)]
    collected = pd.to_datetime(
        start_s + rng.integers(0, DAYS * 86_400, responses), unit="s", utc=True
    )
    rid = np.array([f"R{i:07d}" for i in range(responses)], dtype=object)
    base = pd.DataFrame(
        {
            "response_id": rid,
            "survey": "after-purchase",
            "member_id": member,
            "language": language,
            "store": store,
            "channel": "store",
            "department": department,
            "employee": employee,
            "purchase_id": None,
            "collected_at": collected,
            "source": "import",
        }
    )
    parts = [base.assign(question="nps", driver=None, value=ltr, text=None)]
    pick = rng.integers(0, 3, responses)
    text = np.array(
        [
            (COMPLAINTS if s <= 6 else PRAISE)[lang][p] if (s <= 6 or s >= 9) else "보통이에요"
            for s, lang, p in zip(ltr, language, pick, strict=True)
        ],
        dtype=object,
    )
    has_text = rng.random(responses) < 0.5
    parts.append(
        base[has_text].assign(question="nps_why", driver=None, value=np.nan, text=text[has_text])
    )
    for j, driver in enumerate(DRIVERS):
        parts.append(
            base.assign(question="driver_rating", driver=driver, value=rating[:, j], text=None)
        )
    parts.append(
        base.assign(
            question="intent_rebuy",
            driver=None,
            value=np.clip(np.round(ltr / 2.5) + 1, 1, 5),
            text=None,
        )
    )
    parts.append(
        base.assign(
            question="share_of_wallet", driver=None, value=np.clip(ltr * 10, 0, 100), text=None
        )
    )
    parts.append(
        base.assign(
            question="csat", driver=None, value=rating[:, 4], text=None, store=None, department=None
        )
    )
    return pd.concat(parts, ignore_index=True)[list(ANSWER_COLUMNS)]


def load_postgres(folder: Path, admin_url: str) -> str:
    """A fresh migrated store on PostgreSQL holding the generated data (COPY); its URL."""
    import io
    import uuid

    import psycopg
    import pyarrow.csv as pacsv
    from sqlalchemy import create_engine, text

    from regulars.config import normalise_database_url
    from regulars.store.database import connect, migrate

    admin_url = normalise_database_url(admin_url)
    name = f"regulars_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = connect(url)
    migrate(engine)
    engine.dispose()
    now = pa.scalar(datetime.now(UTC), pa.timestamp("us", tz="UTC"))

    def shaped(table: str, batch: pa.RecordBatch) -> pa.Table:
        data = pa.Table.from_batches([batch])
        n = data.num_rows
        if table == "members":
            return (
                data.drop(["erased_at"])
                .append_column("locale", pa.array(["ko"] * n))
                .append_column("created_at", pa.array([now.as_py()] * n, now.type))
                .append_column("updated_at", pa.array([now.as_py()] * n, now.type))
            )
        if table == "purchases":
            ids = data["id"].to_numpy()
            refund = np.asarray(data["kind"].to_numpy(zero_copy_only=False) == "refund")
            return (
                data.append_column("external_id", pa.array([f"P{i}" for i in ids]))
                .append_column("channel", pa.array(["store"] * n))
                .append_column("original_id", pa.array(np.where(refund, ids, None)))
            )
        return (
            data.append_column("line_no", pa.array(np.ones(n, dtype=np.int64)))
            .append_column("product_id", data["category_id"])
            .append_column("quantity", pa.array(np.ones(n, dtype=np.int64)))
            .append_column("amount", pa.array(np.zeros(n, dtype=np.int64)))
        )

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        with connection.cursor() as cursor:
            for code in range(1, 5):
                cursor.execute(
                    "INSERT INTO categories (id, code, name) VALUES (%s, %s, %s)",
                    (code, f"c{code}", f"category {code}"),
                )
        for table in ("members", "purchases", "purchase_lines"):
            source = pq.ParquetFile(folder / f"{table}.parquet")
            for batch in source.iter_batches(batch_size=500_000):
                data = shaped(table, batch)
                buffer = io.BytesIO()
                pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
                columns = ", ".join(data.column_names)
                with (
                    connection.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
                ):
                    copy.write(buffer.getvalue())
            connection.commit()
        connection.execute("ANALYZE")
    return url


def drop_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(folder: Path, out: Path, store_url: str | None = None) -> dict[str, object]:
    """The timed part (run in its own process): aggregates in the engine, report, files.

    With ``store_url`` the aggregates run in that store (PostgreSQL); otherwise in DuckDB
    over the Parquet files.
    """
    from regulars.analytics.report import ReportOptions, compute_report
    from regulars.services.briefing.build import compose
    from regulars.services.briefing.files import write_briefing
    from regulars.services.briefing.formatting import Formatter
    from regulars.services.briefing.periods import periods_ending
    from regulars.store.reads.analytics import (
        MEMBERS_SQL,
        latest_purchase_date,
        load_purchase_aggregates,
        run_query,
    )
    from regulars.store.reads.purchase_windows import sales_in_windows

    started = time.monotonic()
    steps: dict[str, float] = {}
    connection: Any
    if store_url is None:
        import duckdb

        engine_name, dialect = "DuckDB", "duckdb"
        connection = duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})
        for table in ("members", "purchases", "purchase_lines"):
            parquet = folder / f"{table}.parquet"
            connection.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{parquet}')")
    else:
        from regulars.store.database import connect

        engine_name, dialect = "PostgreSQL", "postgresql"
        connection = connect(store_url).connect()
    members = run_query(connection, MEMBERS_SQL)
    summary, months = load_purchase_aggregates(connection, dialect)
    as_of = latest_purchase_date(connection) or END
    steps[f"aggregates ({engine_name})"] = time.monotonic() - started
    mark = time.monotonic()
    previous, current = periods_ending(as_of, 30, "Asia/Seoul")
    sales = sales_in_windows(connection, dialect, previous.start, current.start, current.end)
    connection.close()
    steps[f"period sales ({engine_name})"] = time.monotonic() - mark
    answers = pd.read_parquet(folder / "answers.parquet")
    mark = time.monotonic()
    sections = compute_report(members, summary, months, answers, as_of, ReportOptions())
    steps["compute_report"] = time.monotonic() - mark
    mark = time.monotonic()
    briefing = compose(
        sections,
        answers,
        sales,
        summary,
        previous,
        current,
        as_of=as_of,
        now=datetime.now(UTC),
        timezone="Asia/Seoul",
    )
    steps["briefing"] = time.monotonic() - mark
    mark = time.monotonic()
    paths = write_briefing(briefing, Formatter("ko"), out)
    steps["write_briefing"] = time.monotonic() - mark
    drivers = sections["drivers"]
    themes = sections["themes"]
    return {
        "wall_seconds": time.monotonic() - started,
        "steps": steps,
        "members": len(members),
        "member_months": len(months),
        "answers": len(answers),
        "nps": sections["nps"]["n"],  # type: ignore[index]
        "top_driver": drivers["driver"].tolist() if isinstance(drivers, pd.DataFrame) else None,
        "top_theme": themes["term"].iloc[0] if isinstance(themes, pd.DataFrame) else None,
        "html_bytes": paths["html"].stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=20_000_000)
    parser.add_argument("--answers", type=int, default=200_000)
    parser.add_argument("--data", type=Path, default=None, help="keep the generated data here")
    parser.add_argument("--out", type=Path, default=None, help="write the report here")
    parser.add_argument(
        "--postgres",
        default=None,
        help="run the aggregates in a fresh PostgreSQL store at this server URL (loaded by "
        "COPY first) instead of DuckDB over Parquet",
    )
    parser.add_argument("--run-only", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--store-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_only is not None:
        print(json.dumps(run(args.run_only, args.out, args.store_url), default=str))
        return
    with tempfile.TemporaryDirectory(prefix="regulars-bench-") as scratch:
        data = args.data or Path(scratch) / "data"
        out = args.out or Path(scratch) / "report"
        if not (data / "answers.parquet").exists():
            mark = time.monotonic()
            generate(data, args.members, args.purchases, args.answers)
            print(
                f"generated {args.members:,} members, {args.purchases:,} purchases, "
                f"{args.answers:,} responses in {time.monotonic() - mark:.1f} s ({data})"
            )
        command = [sys.executable, __file__, "--run-only", str(data), "--out", str(out)]
        store_url = None
        if args.postgres:
            mark = time.monotonic()
            store_url = load_postgres(data, args.postgres)
            print(f"loaded into a PostgreSQL store by COPY in {time.monotonic() - mark:.1f} s")
            command += ["--store-url", store_url]
        mark = time.monotonic()
        try:
            child = subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            if store_url:
                drop_postgres(store_url)
        wall = time.monotonic() - mark
        if child.returncode != 0:
            sys.exit(child.stderr)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        print(
            f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {args.members:,} members / "
            f"{args.purchases:,} purchases / {args.answers:,} responses:"
        )
        for step, seconds in result["steps"].items():
            print(f"  {step:<22} {seconds:7.1f} s")
        print(
            f"  report wall time        {result['wall_seconds']:7.1f} s "
            f"(process incl. start-up {wall:.1f} s; goal <= 120 s)"
        )
        print(f"  peak memory (max RSS)   {peak_gb:7.2f} GB (goal <= 6 GB)")
        print(
            f"  member-months {result['member_months']:,}; drivers by importance "
            f"{result['top_driver']}; top detractor theme {result['top_theme']!r}; "
            f"report.html {result['html_bytes'] / 1e6:.1f} MB"
        )
        print(f"ratio to the 120 s goal: {wall / 120:.2f}")


if __name__ == "__main__":
    main()
