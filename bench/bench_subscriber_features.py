"""The churn features of a telecom operator's subscribers in DuckDB over Parquet: regulars'
streaming definition against the same features written the usual way (window functions over
the bills), same data, same run.

Generates ``--subscribers`` contracts (default 5,000,000) starting in months drawn uniformly
over a window of ``--months`` months (default 168) ending at ``AS_OF``, each billed monthly
from its start to its cancellation or ``AS_OF`` (about 61 bills per contract on average,
about 300,000,000 rows; the count is printed), the cancellations drawn from a Weibull
proportional-hazards model with the covariate effects of :data:`TRUE_LOG_HAZARD`, plus
members, plan changes, survey answers and cases, as Parquet files in ``--folder`` (by
default ``/tmp/regulars-subscribers-staggered-<subscribers>x<months>``, kept between runs of
the same size and generator version; ``--regenerate`` draws them again). Then, each in a
process of its own, so that its peak memory is its own:

* regulars — :func:`regulars.analytics.subscriptions.subscriber_features` over
  :class:`~regulars.analytics.subscriptions.engines.SubscriptionFiles` (the bills reduced by
  one aggregate per contract, the last months pivoted into columns), into a pandas frame;
* the peer — the bill trends written with ``LAG`` and ``ROW_NUMBER`` windows over every bill
  and ``regr_slope`` (what one writes first), into a pandas frame; by default only when the
  bills are at most 60,000,000 rows (``--peer`` / ``--no-peer`` to choose).

DuckDB gets every core (``--threads``, default all) and spills to ``--folder`` past its
memory limit (``--memory-limit``, default DuckDB's 80 % of RAM). Prints the wall time and
the process's peak resident memory of each, and last the headline with the ratio.

    .venv/bin/python bench/bench_subscriber_features.py \\
        [--subscribers 5000000] [--months 168]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = date(2025, 12, 31)
GENERATOR = 2
"""The generator's version (in the folder's stamp: files of another version are drawn again)."""
MONTHS = 168
"""The default window: contracts start over 14 years, so a contract has about 61 bills on
average (5,000,000 contracts, about 300,000,000 bills)."""
CHUNK = 250_000
"""Subscribers generated and written per Parquet row group batch."""


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


SHAPE = 0.8
"""The Weibull shape of the true time to cancellation (a hazard falling with tenure)."""
SCALE_DAYS = 5000.0
"""Its scale, in days, for a subscriber whose linear predictor is 0."""
TRUE_LOG_HAZARD = {
    "plan": {"S": 0.0, "M": -0.2, "L": -0.4},
    "segment": {"individual": 0.0, "business": -0.3, "vip": -0.6},
    "cases": 0.4,
    "nps_last": -0.08,
    "driver_network": -0.1,
    "driver_price": 0.0,
}
"""The generator's truth: log hazard ratios of the plan in force at the end (against S),
the segment (against individual), per follow-up case, per NPS point and per point of the
network rating. A member who never answered has the average answer's hazard (NPS 5,
ratings 3: what a model filling missing answers with their mean assumes). Age, usage,
commitment, plan changes and the price rating have no effect."""
NPS_MEAN, RATING_MEAN = 5.0, 3.0


def true_hazard_ratios(reference: dict[str, str]) -> dict[str, float]:
    """The true hazard ratio of each covariate, levels against ``reference`` (the model's
    reference level of ``plan`` and ``segment``), keyed as the Cox fit names them."""
    ratios: dict[str, float] = {}
    for name in ("plan", "segment"):
        effects = TRUE_LOG_HAZARD[name]
        assert isinstance(effects, dict)
        base = effects[reference[name]]
        for level, effect in effects.items():
            if level != reference[name]:
                ratios[f"{name}={level}"] = float(np.exp(effect - base))
    for name in ("cases", "nps_last", "driver_network", "driver_price"):
        effect = TRUE_LOG_HAZARD[name]
        assert isinstance(effect, float)
        ratios[name] = float(np.exp(effect))
    return ratios


def generate(folder: Path, subscribers: int, months: int, seed: int = 2026) -> int:
    """Write subscriptions, bills, plan changes, members, answers and cases as Parquet over
    a window of ``months`` months ending at ``AS_OF``; return the number of bills.

    Each contract starts in a month drawn uniformly from the window. Its covariates are drawn
    first (the plan in force at the end, the segment, the follow-up cases, the survey
    answers), then its time to cancellation from a Weibull proportional-hazards model with
    the effects of :data:`TRUE_LOG_HAZARD` (shape :data:`SHAPE`, scale :data:`SCALE_DAYS`);
    a contract whose cancellation would fall after ``AS_OF`` is active (right-censored).
    Its bills run from its start month to its end month (so their count varies), and its
    dated events (plan change, answers, cases) fall between its start and end days, so the
    features observe every covariate the hazard used."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    plans = np.array(["S", "M", "L"])
    fees = np.array([33000, 55000, 79000])
    segments = np.array(["individual", "business", "vip"])
    plan_effect = np.array([TRUE_LOG_HAZARD["plan"][p] for p in plans])  # type: ignore[index]
    segment_effect = np.array([TRUE_LOG_HAZARD["segment"][s] for s in segments])  # type: ignore[index]
    as_of_month = AS_OF.year * 12 + AS_OF.month - 1
    as_of_day = _days(AS_OF)
    writers: dict[str, Any] = {}
    bills_written = 0

    def write(name: str, table: pa.Table) -> None:
        if name not in writers:
            writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
        writers[name].write_table(table)

    def between(low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """A day drawn uniformly from each [low, high]."""
        return low + np.floor(rng.random(len(low)) * (high - low + 1)).astype(np.int64)

    for first in range(0, subscribers, CHUNK):
        n = min(CHUNK, subscribers - first)
        ids = np.arange(first, first + n, dtype=np.int64)
        # the covariates
        plan = rng.integers(0, 3, n)  # in force at the end
        segment = rng.choice(3, n, p=[0.8, 0.15, 0.05])
        cases = rng.poisson(0.15, n)
        answered = rng.random(n) < 0.3
        nps = rng.integers(0, 11, n).astype(float)
        network = rng.integers(1, 6, n).astype(float)
        price = rng.integers(1, 6, n).astype(float)
        log_hazard = (
            plan_effect[plan]
            + segment_effect[segment]
            + TRUE_LOG_HAZARD["cases"] * cases  # type: ignore[operator]
            + np.where(answered, TRUE_LOG_HAZARD["nps_last"] * (nps - NPS_MEAN), 0.0)  # type: ignore[operator]
            + np.where(answered, TRUE_LOG_HAZARD["driver_network"] * (network - RATING_MEAN), 0.0)  # type: ignore[operator]
        )
        # the times: a staggered start, a Weibull PH time to cancellation, censored at AS_OF
        start_month = as_of_month - rng.integers(0, months, n)
        start_day = _month_day(start_month) + rng.integers(0, 28, n)
        lifetime = SCALE_DAYS * (rng.exponential(1.0, n) / np.exp(log_hazard)) ** (1 / SHAPE)
        cancel_day = start_day + np.ceil(lifetime).astype(np.int64)  # at least a day
        cancelled = cancel_day <= as_of_day
        end_day = np.where(cancelled, cancel_day, as_of_day)
        end_month = _day_month(end_day)
        cancel_day = np.where(cancelled, cancel_day, -1)
        committed = np.where(rng.random(n) < 0.6, start_day + 730, -1)
        changing = np.flatnonzero(rng.random(n) < 0.15)
        signed = plan.copy()
        signed[changing] = (plan[changing] + rng.integers(1, 3, len(changing))) % 3
        changed_on = np.full(n, as_of_day + 36_500)  # no change: far after the end
        changed_on[changing] = between(start_day[changing], end_day[changing])
        write(
            "subscriptions",
            pa.table(
                {
                    "subscription_id": ids,
                    "member_id": ids,
                    "plan": pa.array(plans[signed]),
                    "monthly_fee": fees[signed],
                    "started_on": pa.array(start_day.astype("int32"), pa.int32()).cast(pa.date32()),
                    "committed_until": _dates(committed),
                    "cancelled_on": _dates(cancel_day),
                    "cancel_reason": pa.array(
                        np.where(cancelled, rng.choice(["price", "network", "competitor"], n), None)
                    ),
                }
            ),
        )
        born = np.where(
            rng.random(n) < 0.9, _days(date(1950, 1, 1)) + rng.integers(0, 18000, n), -1
        )
        write(
            "members",
            pa.table(
                {
                    "member_id": ids,
                    "segment": pa.array(segments[segment]),
                    "birth_date": _dates(born),
                }
            ),
        )
        count = end_month - start_month + 1
        who = np.repeat(np.arange(n), count)
        month = start_month[who] + (
            np.arange(len(who)) - np.repeat(np.cumsum(count) - count, count)
        )
        level = rng.gamma(2.0, 5.0, n)[who]
        month_day = _month_day(month)
        in_force = np.where(
            month_day >= _month_day(_day_month(changed_on[who])), plan[who], signed[who]
        )
        write(
            "bills",
            pa.table(
                {
                    "subscription_id": ids[who],
                    "month": pa.array(month_day.astype("int32"), pa.int32()).cast(pa.date32()),
                    "amount": fees[in_force] + rng.integers(-2000, 5000, len(who)),
                    "data_gb": np.round(level * rng.lognormal(0, 0.3, len(who)), 2),
                }
            ),
        )
        bills_written += len(who)
        write(
            "plan_changes",
            pa.table(
                {
                    "change_id": pa.array([f"c{i}" for i in ids[changing]]),
                    "subscription_id": ids[changing],
                    "changed_on": pa.array(changed_on[changing].astype("int32"), pa.int32()).cast(
                        pa.date32()
                    ),
                    "from_plan": pa.array(plans[signed[changing]]),
                    "to_plan": pa.array(plans[plan[changing]]),
                    "fee_before": fees[signed[changing]],
                    "fee_after": fees[plan[changing]],
                }
            ),
        )
        answering = np.flatnonzero(answered)
        at = between(start_day[answering], end_day[answering]) * 86_400_000_000
        questions = [
            ("nps", None, nps),
            ("driver_rating", "network", network),
            ("driver_rating", "price", price),
        ]
        write(
            "answers",
            pa.concat_tables(
                [
                    pa.table(
                        {
                            "response_id": pa.array([f"r{i}" for i in ids[answering]]),
                            "member_id": ids[answering],
                            "question": pa.array([question] * len(answering)),
                            "driver": pa.array([driver] * len(answering), pa.string()),
                            "value": values[answering],
                            "collected_at": pa.array(at, pa.timestamp("us", tz="UTC")),
                        }
                    )
                    for question, driver, values in questions
                ]
            ),
        )
        complaining = np.repeat(np.arange(n), cases)
        opened = between(start_day[complaining], end_day[complaining]) * 86_400_000_000
        write(
            "cases",
            pa.table(
                {
                    "member_id": ids[complaining],
                    "opened_at": pa.array(opened, pa.timestamp("us", tz="UTC")),
                }
            ),
        )
        print(f"  generated {first + n:,} subscribers", end="\r", flush=True)
    for writer in writers.values():
        writer.close()
    print()
    return bills_written


def _day_month(day: np.ndarray) -> np.ndarray:
    """Month numbers (``year * 12 + month - 1``) of day numbers."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _month_day(month: np.ndarray) -> np.ndarray:
    """Day numbers of the first days of month numbers (``year * 12 + month - 1``)."""
    return (
        np.asarray(month - 1970 * 12)
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def _dates(days: np.ndarray) -> Any:
    """Day numbers as a date column, -1 as missing."""
    import pyarrow as pa

    return pa.array(days.astype("int32"), pa.int32(), mask=days < 0).cast(pa.date32())


PEER_SQL = """
WITH c AS (
  SELECT subscription_id, year(started_on) * 12 + month(started_on) - 1 AS start_month,
         CASE WHEN cancelled_on <= DATE '{as_of}'
              THEN year(cancelled_on) * 12 + month(cancelled_on) - 1 ELSE {as_of_month} END
              AS end_month
  FROM read_parquet('{folder}/subscriptions.parquet') WHERE started_on <= DATE '{as_of}'),
b AS (
  SELECT b.subscription_id, year(b.month) * 12 + month(b.month) - 1 AS m, b.amount, b.data_gb,
         c.end_month
  FROM read_parquet('{folder}/bills.parquet') b JOIN c USING (subscription_id)
  WHERE year(b.month) * 12 + month(b.month) - 1 BETWEEN c.start_month AND c.end_month),
w AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY m DESC) AS recent,
         LAG(data_gb) OVER (PARTITION BY subscription_id ORDER BY m) AS previous
  FROM b)
SELECT subscription_id, COUNT(*) AS months_billed, SUM(amount) AS total_billed,
       AVG(amount) AS mean_bill,
       COUNT(*) FILTER (WHERE recent <= {window}) AS recent_months,
       AVG(data_gb) FILTER (WHERE recent <= {window}) AS usage_mean,
       regr_slope(data_gb, m) FILTER (WHERE recent <= {window}) AS usage_slope,
       regr_slope(amount, m) FILTER (WHERE recent <= {window}) AS bill_slope,
       AVG(CASE WHEN data_gb < previous THEN 1.0 ELSE 0.0 END)
           FILTER (WHERE recent < {window} AND previous IS NOT NULL) AS usage_drop_share
FROM w GROUP BY subscription_id ORDER BY subscription_id
"""


def connect(folder: Path, threads: int | None, memory_limit: str | None) -> Any:
    """A DuckDB connection with the chosen threads and memory limit, spilling to ``folder``."""
    import duckdb

    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads = {threads}")
    if memory_limit:
        connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute(f"SET temp_directory = '{folder / 'spill'}'")
    return connection


def worker(side: str, folder: Path, threads: int | None, memory_limit: str | None) -> None:
    """One measured side, in this process: print a JSON line with seconds, rows, peak RSS."""
    from regulars.analytics.subscriptions import subscriber_features
    from regulars.analytics.subscriptions.engines import SubscriptionFiles

    connection = connect(folder, threads, memory_limit)
    started = time.perf_counter()
    if side == "regulars":
        frame = subscriber_features(
            SubscriptionFiles(folder, connection), AS_OF, utc_offset_hours=9
        )
    else:
        sql = PEER_SQL.format(
            folder=folder,
            as_of=AS_OF.isoformat(),
            as_of_month=AS_OF.year * 12 + AS_OF.month - 1,
            window=6,
        )
        frame = connection.execute(sql).fetchdf()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    frame[[c for c in COMPARED if c in frame]].to_parquet(folder / f"result-{side}.parquet")
    result = {
        "seconds": seconds,
        "rows": len(frame),
        "peak_gb": peak,
        "columns": len(frame.columns),
    }
    print(json.dumps(result))


COMPARED = (
    "subscription_id",
    "months_billed",
    "total_billed",
    "recent_months",
    "usage_mean",
    "usage_slope",
    "bill_slope",
    "usage_drop_share",
)
"""The columns both sides compute by the same definition on these data (no month unbilled)."""


def same_trends(folder: Path) -> bool:
    """Whether the two sides' common columns agree (floats to 1e-9)."""
    import pandas as pd

    ours = pd.read_parquet(folder / "result-regulars.parquet")
    theirs = pd.read_parquet(folder / "result-peer.parquet")
    if len(ours) != len(theirs) or not (ours["subscription_id"] == theirs["subscription_id"]).all():
        return False
    for column in COMPARED[1:]:
        a, b = ours[column].to_numpy(dtype=float), theirs[column].to_numpy(dtype=float)
        if not np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True):
            print(f"  {column} differs")
            return False
    return True


def measure(side: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", side, "--folder", str(args.folder)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def prepare(folder: Path | None, subscribers: int, months: int, regenerate: bool) -> Path:
    """The folder of the generated files (by default one per size under /tmp, shared by the
    benches that read them), drawn again when asked or when it holds another size."""
    folder = folder or Path("/tmp") / f"regulars-subscribers-staggered-{subscribers}x{months}"
    stamp = folder / "generated.json"
    wanted = {"subscribers": subscribers, "months": months, "generator": GENERATOR}
    found = json.loads(stamp.read_text()) if stamp.exists() else {}
    if regenerate or {k: found.get(k) for k in wanted} != wanted:
        started = time.perf_counter()
        bills = generate(folder, subscribers, months)
        stamp.write_text(json.dumps({**wanted, "bills": bills}))
        print(f"generated in {time.perf_counter() - started:.0f} s")
    inputs = ("subscriptions", "members", "bills", "plan_changes", "answers", "cases")
    size = sum((folder / f"{name}.parquet").stat().st_size for name in inputs) / 1024**3
    bills = bill_count(folder)
    print(
        f"{subscribers:,} subscribers starting over {months} months: {bills:,} bill rows "
        f"({bills / subscribers:.1f} per contract on average; {size:.1f} GB of Parquet in "
        f"{folder})"
    )
    return folder


def bill_count(folder: Path) -> int:
    """The number of bills the generator wrote into ``folder``."""
    return int(json.loads((folder / "generated.json").read_text())["bills"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5_000_000)
    parser.add_argument("--months", type=int, default=MONTHS, help="the window of starts")
    parser.add_argument("--folder", type=Path, help="where the Parquet files go")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--memory-limit")
    parser.add_argument("--worker", choices=["regulars", "peer"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.folder, args.threads, args.memory_limit)
        return
    args.folder = prepare(args.folder, args.subscribers, args.months, args.regenerate)
    rows = bill_count(args.folder)
    ours = measure("regulars", args)
    if "error" in ours:
        raise SystemExit(f"regulars failed: {ours['error']}")
    print(
        f"regulars (streaming aggregate): {ours['seconds']:7.1f} s, peak {ours['peak_gb']:.2f} GB,"
        f" {ours['rows']:,} rows x {ours['columns']} features"
    )
    peer_runs = args.peer if args.peer is not None else rows <= 60_000_000
    ratio = ""
    if peer_runs:
        theirs = measure("peer", args)
        if "error" in theirs:
            print(f"window functions: failed ({theirs['error']})")
            ratio = "; window functions failed"
        else:
            print(
                f"window functions (LAG, ROW_NUMBER, regr_slope): {theirs['seconds']:7.1f} s, "
                f"peak {theirs['peak_gb']:.2f} GB, {theirs['rows']:,} rows x "
                f"{theirs['columns']} columns; same trends as regulars: {same_trends(args.folder)}"
            )
            ratio = (
                f"; window functions {theirs['seconds']:.1f} s, {theirs['peak_gb']:.2f} GB: "
                f"{theirs['seconds'] / ours['seconds']:.2f}x the time"
            )
    print(
        f"subscriber features, {rows:,} bills of {args.subscribers:,} subscribers, DuckDB over "
        f"Parquet: {ours['seconds']:.1f} s, peak {ours['peak_gb']:.2f} GB{ratio}"
    )


if __name__ == "__main__":
    main()
