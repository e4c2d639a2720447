"""Churn at telecom scale, end to end, by the product's own scoring path: the features of
5,000,000 subscribers from about 300,000,000 monthly bills, then exactly what
``regulars subscriptions score`` computes from them — with statsmodels' PHReg fitting the
same Cox model on a sample.

The files are those of ``bench/bench_subscriber_features.py`` (its generator and its cache
folder, one per size under /tmp: ``--folder``, ``--regenerate``): ``--subscribers`` contracts
(default 5,000,000) starting over a window of ``--months`` months (default 168: about 61
bills per contract on average), their cancellations drawn from a Weibull
proportional-hazards model with known covariate effects (``TRUE_LOG_HAZARD`` there), with
members, plan changes, survey answers and cases, as Parquet. Then, in a process of its own
(its peak memory is its own), regulars' code path:

1. features — :func:`regulars.analytics.subscriptions.subscriber_features` over
   :class:`~regulars.analytics.subscriptions.engines.SubscriptionFiles` (DuckDB over the
   files, every core, spilling to the folder; ``--threads``, ``--memory-limit``);
2. :func:`regulars.analytics.churn.outlook.churn_outlook` on them — the analytics of
   ``services/subscriptions/scoring.py`` without the store: the covariates the product
   chooses, the Cox (Efron) and Weibull AFT fits on every subscriber, the loyalty index and
   every active subscriber's scores (P(cancel within 30 and 90 days), the median residual
   life, the model that gave them). The store's features query, the ``intent_rebuy``
   join (the files have no such answers) and the write of ``subscription_scores`` are not
   timed. Its steps' seconds are printed too (clocks wrapped around the outlook module's
   functions while it runs).

The wall time of steps 1–2 is the headline (goal ≤ 300 s), and the process's peak resident
memory after them (goal ≤ 12 GB). Printed beside: the covariates chosen, each hazard ratio
with its 95 % interval against the generator's truth, the Weibull shape against the true
one, and how many active subscribers got finite scores and from which model. Then, on a
``--sample`` of the model frame (default 200,000 rows, fixed seed), regulars' Cox fit and
statsmodels' ``PHReg`` (Efron) with the product's covariates on the same design matrix:
the largest difference in coefficients and the speed ratio (statsmodels' Newton steps
first; where they diverge, its BFGS, said so); and on that sample the Cox fit without
``committed`` against the truth (``committed`` is measured on the end day: a contract still
committed then is one that ended within its commitment, so its hazard ratio is no effect of
the generator's). ``--factor-gains`` times :func:`~regulars.analytics.churn.outlook.
factor_gains` apart (not in the headline; minutes at full size). The last line is
``wall s: N``, N the seconds of steps 1–2.

    .venv/bin/python bench/bench_churn.py \\
        [--subscribers 5000000] [--months 168] [--sample 200000] [--factor-gains]

A smoke run takes seconds: ``--subscribers 20000 --months 12``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_subscriber_features import (
    AS_OF,
    MONTHS,
    SHAPE,
    bill_count,
    connect,
    prepare,
    true_hazard_ratios,
)

GOAL_SECONDS = 300
GOAL_GB = 12
PHASES = ("covariates", "Cox fit", "Weibull fit", "loyalty index", "scores")


def cpu_seconds() -> float:
    """User and system seconds of this process so far, every thread."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def phase_clocks() -> Iterator[dict[str, float]]:
    """The seconds spent in each step of ``churn_outlook`` (:data:`PHASES`), summed over
    calls (a fit retried without its last covariate counts twice): the outlook module's
    steps are wrapped in clocks while the block runs, then put back. They compute what they
    compute; only the time is read."""
    from regulars.analytics.churn import outlook

    clocks = dict.fromkeys(PHASES, 0.0)
    originals: list[tuple[Any, str, Any]] = []

    def clock(owner: Any, attribute: str, phase: str) -> None:
        original = getattr(owner, attribute)

        def timed_step(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                clocks[phase] += time.perf_counter() - started

        originals.append((owner, attribute, original))
        setattr(owner, attribute, timed_step)

    clock(outlook, "covariates", "covariates")
    clock(outlook.CoxPHModel, "fit", "Cox fit")
    clock(outlook.WeibullAFTModel, "fit", "Weibull fit")
    clock(outlook, "_loyalty", "loyalty index")
    clock(outlook, "_scores", "scores")
    try:
        yield clocks
    finally:
        for owner, attribute, original in reversed(originals):
            setattr(owner, attribute, original)


def worker(args: argparse.Namespace) -> None:
    """Steps 1–2 on every subscriber, then factor gains and the sample against
    statsmodels; prints as it goes."""
    started, cpu_started = time.perf_counter(), cpu_seconds()
    from bench.bench_churn_models import peak_gb, timed

    from regulars.analytics.churn.outlook import churn_outlook, factor_gains
    from regulars.analytics.subscriptions import subscriber_features
    from regulars.analytics.subscriptions.engines import SubscriptionFiles

    connection = connect(args.folder, args.threads, args.memory_limit)
    features, features_s = timed(
        "features (DuckDB over Parquet)",
        lambda: subscriber_features(
            SubscriptionFiles(args.folder, connection), AS_OF, utc_offset_hours=9
        ),
    )
    connection.close()
    print(
        f"  {len(features):,} subscribers, {int(features['cancelled'].sum()):,} cancelled, "
        f"{features['duration_days'].nunique():,} distinct durations (days), "
        f"{features['months_billed'].mean():.1f} bills per contract on average"
    )
    with phase_clocks() as clocks:
        fitted, outlook_s = timed(
            "churn_outlook (the product's)", lambda f=features: churn_outlook(f)
        )
    del features
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak = peak_gb()
    for phase in PHASES:
        print(f"    {phase:<32}{clocks[phase]:9.2f} s")
    describe(fitted)
    gains_s = float("nan")
    if args.factor_gains:
        gains, gains_s = timed("factor_gains (not in the headline)", lambda: factor_gains(fitted))
        for gain in gains:
            print(f"    {gain.covariate:<22}{gain.subscriber_months:14,.0f} subscriber-months kept")
    sample_line, unlooked = compare(fitted.frame, list(fitted.covariates), args.sample, args.seed)
    bills = bill_count(args.folder)
    print(
        f"{len(fitted.frame):,} subscribers, {bills:,} bills: features {features_s:.1f} s, "
        f"churn_outlook {outlook_s:.1f} s ("
        + ", ".join(f"{phase} {clocks[phase]:.1f} s" for phase in PHASES)
        + f"); factor_gains {gains_s:.1f} s apart (--factor-gains)"
    )
    print(sample_line)
    print(unlooked)
    for goal, figure, unit in ((GOAL_SECONDS, wall, "s wall"), (GOAL_GB, peak, "GB peak")):
        verdict = "met" if figure <= goal else "NOT met"
        print(f"goal: <= {goal} {unit}: {figure:.2f} ({verdict})")
    print(
        f"peak memory: {peak:.2f} GB after the scores, {peak_gb():.2f} GB at the end; "
        f"CPU time of steps 1-2 {cpu:.1f} s (user + system, all threads: {cpu / wall:.2f} "
        f"of the machine's {os.cpu_count()} cores on average)"
    )
    print(f"wall s: {wall:.1f}")


def describe(fitted: Any) -> None:
    """The covariates, the hazard ratios against the generator's truth, and the scores."""
    import numpy as np

    cox, scores = fitted.cox, fitted.scores
    print(f"  covariates chosen: {', '.join(fitted.covariates)}")
    truth = true_hazard_ratios(cox.design_.reference)
    print(f"  Cox: {cox.iterations_} Newton steps; hazard ratio [95 %] vs the generator's truth")
    for row in cox.hazard_ratios_.itertuples():
        true = truth.get(str(row.covariate), 1.0)
        inside = "in" if row.lower_95 <= true <= row.upper_95 else "OUT"
        print(
            f"    {row.covariate:<22}{row.hazard_ratio:8.4f} [{row.lower_95:.4f}, "
            f"{row.upper_95:.4f}]  truth {true:.4f} ({inside})"
        )
    print(f"  Weibull: shape {fitted.weibull.shape_:.3f} (truth {SHAPE})")
    finite = {
        column: int(np.isfinite(scores[column].to_numpy(np.float64)).sum())
        for column in ("cancel_probability_30d", "cancel_probability_90d", "median_residual_days")
    }
    models = scores["model"].value_counts().to_dict()
    print(
        f"  scores: {len(scores):,} active subscribers; finite P(30 d) "
        f"{finite['cancel_probability_30d']:,}, P(90 d) {finite['cancel_probability_90d']:,}, "
        f"median residual days {finite['median_residual_days']:,}; by model {models} "
        f"(Cox follow-up {cox.follow_up_:.0f} days); mean P(30 d) "
        f"{scores['cancel_probability_30d'].mean():.4f}, P(90 d) "
        f"{scores['cancel_probability_90d'].mean():.4f}; loyalty index for "
        f"{int(scores['loyalty_index'].notna().sum()):,}"
    )


def compare(frame: Any, covariates: list[str], size: int, seed: int) -> tuple[str, str]:
    """regulars' Cox fit and statsmodels' PHReg on the same sample of the product's model
    frame, with the product's covariates, on the same design matrix; and, on that sample,
    regulars' Cox fit without ``committed`` against the generator's truth (``committed`` is
    measured on the end day, so a contract still committed then is one that ended early)."""
    import numpy as np
    from bench.bench_churn_models import against_statsmodels

    from regulars.analytics.churn import CoxPHModel

    size = min(size, len(frame))
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), size, replace=False))
    sample = frame.iloc[rows]
    print(f"{size:,}-subscriber sample: regulars vs statsmodels PHReg (Efron)", flush=True)
    method = "newton"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = against_statsmodels(sample, "duration_days", "cancelled", covariates, method)
        if not np.isfinite(found["gap"]):
            print("  statsmodels' Newton steps from zero diverged (NaN): again with its BFGS")
            method = "bfgs"
            found = against_statsmodels(sample, "duration_days", "cancelled", covariates, method)
    line = (
        f"sample of {size:,}: regulars' Cox fit {found['ours_s']:.2f} s vs statsmodels PHReg "
        f"({method}) {found['theirs_s']:.2f} s: {found['theirs_s'] / found['ours_s']:.1f}x faster; "
        f"coefficients agree to {found['gap']:.1e} (max abs diff), standard errors to "
        f"{found['se_gap']:.1e} (relative)"
    )
    others = [c for c in covariates if c != "committed"]
    cox = CoxPHModel().fit(sample, "duration_days", "cancelled", others)
    truth = true_hazard_ratios(cox.design_.reference)
    ratios = cox.hazard_ratios_
    inside = [
        row.lower_95 <= truth.get(str(row.covariate), 1.0) <= row.upper_95
        for row in ratios.itertuples()
    ]
    gap = max(
        abs(np.log(row.hazard_ratio) - np.log(truth.get(str(row.covariate), 1.0)))
        for row in ratios.itertuples()
    )
    print(
        f"  the sample without committed: {sum(inside)} of {len(inside)} intervals hold the truth"
    )
    for row, held in zip(ratios.itertuples(), inside, strict=True):
        print(
            f"    {row.covariate:<22}{row.hazard_ratio:8.4f} [{row.lower_95:.4f}, "
            f"{row.upper_95:.4f}]  truth {truth.get(str(row.covariate), 1.0):.4f}"
            f" ({'in' if held else 'OUT'})"
        )
    return line, (
        f"sample of {size:,} without committed: {sum(inside)} of {len(inside)} hazard ratios' "
        f"95 % intervals hold the generator's truth; largest |log HR - log truth| {gap:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5_000_000)
    parser.add_argument("--months", type=int, default=MONTHS, help="the window of starts")
    parser.add_argument("--folder", type=Path, help="where the Parquet files are (or go)")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--sample", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, help="DuckDB's threads (default: every core)")
    parser.add_argument("--memory-limit", help="DuckDB's memory limit (default: 80 %% of RAM)")
    parser.add_argument(
        "--factor-gains", action="store_true", help="time factor_gains too (apart; slow)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.subscribers < 1 or args.months < 1 or args.sample < 2:
        parser.error("--subscribers and --months must be at least 1, --sample at least 2")
    if args.worker:
        worker(args)
        return
    args.folder = prepare(args.folder, args.subscribers, args.months, args.regenerate)
    command = [sys.executable, __file__, "--worker", *sys.argv[1:], "--folder", str(args.folder)]
    command = [c for c in command if c != "--regenerate"]
    sys.stdout.flush()
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the measured process failed (exit {done.returncode})")


if __name__ == "__main__":
    main()
