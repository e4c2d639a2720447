"""Per-member summary (frequency, recency, T, monetary value) from a purchase log: regulars vs
lifetimes 0.11.3's ``summary_data_from_transaction_data`` (freq='D'), same data, same run.

Simulated purchases of Pareto/NBD members over two years (about 5 per member), 10,000,000 by
default. regulars runs :func:`rfm_summary` on the in-memory frame (the same input lifetimes
gets; this is the ratio on the last line) and, for reference, DuckDB over the same data as a
Parquet file (reading included). Both results are checked equal to lifetimes'. Each side runs
in its own process and computes the summary ``--repeat`` times (default 3); the best time of
each counts, and every run is printed (a first run in a fresh process swings by a factor of
three on this machine with how fast the kernel hands out fresh pages). Peak resident memory
is printed for each.

    .venv/bin/python bench/bench_clv_summary.py [--transactions 10000000] [--customers N]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.clv_peers import lifetimes_python, memory, run_worker, workdir

from regulars.analytics.clv.simulation import simulate_transactions

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
PURCHASES_PER_MEMBER = 5.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, help="members to simulate (overrides)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each side in its process; the best counts (a first run's time swings "
        "with how fast the kernel hands out fresh memory)",
    )
    args = parser.parse_args()
    customers = args.customers or int(args.transactions / PURCHASES_PER_MEMBER)
    folder = workdir()
    tx = simulate_transactions(customers, START, END, seed=2026)
    purchases = len(tx)
    print(f"{purchases:,} purchases of {customers:,} members ({folder})", flush=True)
    data = folder / "summary.npz"
    occurred_ns = tx["occurred_at"].dt.tz_convert(None).to_numpy("datetime64[ns]").astype(np.int64)
    np.savez(
        data,
        member_id=tx["member_id"].to_numpy(),
        occurred_ns=occurred_ns,
        amount=tx["amount"].to_numpy(),
        end_ns=np.int64(int(END.timestamp()) * 1_000_000_000),
    )
    tx.to_parquet(folder / "summary-regulars.parquet")
    del tx

    ours = run_worker(sys.executable, "summary", "regulars", data, repeat=args.repeat)
    theirs = run_worker(lifetimes_python(), "summary", "lifetimes", data, repeat=args.repeat)
    if "error" in ours or "error" in theirs:
        raise SystemExit(f"failed: regulars {ours.get('error')}, lifetimes {theirs.get('error')}")
    with (
        np.load(folder / "summary-regulars.result.npz") as a,
        np.load(folder / "summary-lifetimes.result.npz") as b,
    ):
        same = all(np.array_equal(a[c], b[c]) for c in ("member_id", "frequency", "recency", "T"))
        same = same and np.allclose(a["monetary_value"], b["monetary_value"], rtol=1e-12, atol=0)
    print(f"results identical to lifetimes': {same}; DuckDB = pandas: {ours['duckdb_equal']}")
    runs = ", ".join(f"{r:.2f}" for r in ours["runs"])
    peer_runs = ", ".join(f"{r:.2f}" for r in theirs["runs"])
    print(f"best of {args.repeat} runs per process (regulars {runs} s; lifetimes {peer_runs} s)")
    print(f"regulars rfm_summary (pandas): {ours['seconds']:8.2f} s   {memory(ours)}")
    print(f"regulars DuckDB over Parquet:  {ours['duckdb_parquet_seconds']:8.2f} s")
    print(f"lifetimes 0.11.3:              {theirs['seconds']:8.2f} s   {memory(theirs)}")
    print(
        f"CPU seconds: regulars rfm_summary {ours['call_cpu_seconds']:.2f}, lifetimes "
        f"{theirs['call_cpu_seconds']:.2f} "
        f"({theirs['call_cpu_seconds'] / ours['call_cpu_seconds']:.1f}x)"
    )
    print(
        "DuckDB over Parquet vs lifetimes: "
        f"{theirs['seconds'] / ours['duckdb_parquet_seconds']:.1f}x"
    )
    print(
        f"ratio (summary of {purchases:,} purchases, regulars rfm_summary vs lifetimes): "
        f"{theirs['seconds'] / ours['seconds']:.1f}x faster"
    )


if __name__ == "__main__":
    main()
