"""What the two fit benchmarks share: simulated members, the runs, the comparison, the report."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import numpy as np
import pandas as pd
from bench.clv_peers import lifetimes_python, memory, pymc_python, run_worker, workdir

from regulars.analytics.clv import BetaGeoModel, ParetoNBDModel
from regulars.analytics.clv.simulation import simulate_bgnbd, simulate_pareto_nbd

TRUE_BGNBD = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}
TRUE_PARETO = {"r": 0.6, "alpha": 25.0, "s": 0.7, "beta": 60.0}
TRUE_SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}


def arguments(description: str, repeat: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--repeat",
        type=int,
        default=repeat,
        help="fits of regulars and lifetimes, each in its own process; the best counts "
        "(a first call swings with how fast the kernel hands out fresh memory)",
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--peer-timeout", type=float, default=3 * 3600, help="seconds before a peer is given up"
    )
    parser.add_argument("--no-pymc", action="store_true", help="skip PyMC-Marketing")
    return parser.parse_args()


def members(task: str, n: int, seed: int) -> pd.DataFrame:
    """Summaries in whole days, as a store produces them: T uniform over 30–730 days."""
    rng = np.random.default_rng(seed)
    age = rng.integers(30, 731, n).astype(np.float64)
    if task == "bgnbd_gg":
        data = simulate_bgnbd(n, **TRUE_BGNBD, T=age, seed=rng)
    else:
        data = simulate_pareto_nbd(n, **TRUE_PARETO, T=age, seed=rng)
    x = data["frequency"].to_numpy()
    recency = np.where(x > 0, np.clip(np.ceil(data["recency"].to_numpy()), 1, age), 0.0)
    # Gamma-Gamma spend: ν ~ Gamma(q, v), each purchase ~ Gamma(p, ν); the mean of x of them.
    nu = rng.gamma(TRUE_SPEND["q"], 1 / TRUE_SPEND["v"], n)
    spend = rng.gamma(TRUE_SPEND["p"] * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1)
    return pd.DataFrame(
        {
            "frequency": x.astype(np.float64),
            "recency": recency,
            "T": age,
            "monetary_value": np.where(x > 0, np.round(spend, 2), 0.0),
        }
    )


def run(task: str, description: str, repeat: int = 1) -> None:
    args = arguments(description, repeat)
    folder = workdir()
    data = members(task, args.customers, args.seed)
    distinct = len(data[["frequency", "recency", "T"]].drop_duplicates())
    path = folder / f"{task}.npz"
    np.savez(path, **{c: data[c].to_numpy() for c in data.columns})
    print(
        f"{args.customers:,} simulated members, {distinct:,} distinct (x, t_x, T), "
        f"{int((data['frequency'] > 0).sum()):,} with repeat purchases ({folder})",
        flush=True,
    )
    truth = TRUE_BGNBD | TRUE_SPEND if task == "bgnbd_gg" else TRUE_PARETO
    ours = run_worker(sys.executable, task, "regulars", path, repeat=args.repeat)
    if "error" in ours:
        raise SystemExit(f"regulars failed: {ours['error']}")
    theirs = run_worker(
        lifetimes_python(), task, "lifetimes", path, timeout=args.peer_timeout, repeat=args.repeat
    )
    pymc: dict[str, Any] | None = None
    if not args.no_pymc:
        python = pymc_python()
        if python is not None:
            pymc = run_worker(python, task, "pymc", path, timeout=args.peer_timeout)

    names = list(truth)
    print(f"{'':12}" + "".join(f"{n:>12}" for n in names) + f"{'seconds':>12}")
    print(f"{'true':12}" + "".join(f"{truth[n]:12.4f}" for n in names))
    for label, result in (("regulars", ours), ("lifetimes", theirs), ("pymc MAP", pymc)):
        if result is None:
            continue
        if "error" in result:
            print(f"{label:12}failed: {result['error']}")
            continue
        values = "".join(f"{result['params'].get(n, math.nan):12.4f}" for n in names)
        print(f"{label:12}{values}{result['seconds']:12.2f}")
    for label, result in (("regulars", ours), ("lifetimes", theirs)):
        if "runs" in result:
            runs = ", ".join(f"{r:.2f}" for r in result["runs"])
            print(f"{label} runs (best counts): {runs} s")
    print(f"regulars:  {memory(ours)}")
    if "error" not in theirs:
        print(f"lifetimes: {memory(theirs)}")
        _same_maximum(task, data, ours, theirs)
    if pymc is not None and "error" not in pymc:
        print(f"pymc:      {memory(pymc)} ({pymc.get('note', '')}: not the MLE)")
        print(f"PyMC-Marketing MAP / regulars: {pymc['seconds'] / ours['seconds']:.1f}x")
    if "error" not in theirs:
        print(
            f"CPU seconds: regulars {ours['cpu_seconds']:.2f}, lifetimes "
            f"{theirs['cpu_seconds']:.2f} ({theirs['cpu_seconds'] / ours['cpu_seconds']:.1f}x)"
        )
    if "error" in theirs:
        print(
            f"ratio: lifetimes did not finish ({theirs['error']}); regulars {ours['seconds']:.2f} s"
        )
    else:
        first = theirs["runs"][0] / ours["runs"][0]
        print(f"first runs alone: {first:.1f}x")
        print(f"ratio: {theirs['seconds'] / ours['seconds']:.1f}x faster than lifetimes")


def _same_maximum(
    task: str, data: pd.DataFrame, ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    """Evaluate both parameter sets under regulars' likelihood: the same maximum, or whose."""
    model = BetaGeoModel() if task == "bgnbd_gg" else ParetoNBDModel()
    names = list(model.parameter_names)
    x, t_x, age = data["frequency"], data["recency"], data["T"]
    model.params_ = pd.Series({n: theirs["params"][n] for n in names})
    their_ll = float(model.log_likelihood(x, t_x, age).sum())
    print(
        f"log-likelihood: regulars {ours['log_likelihood']:.4f}, at lifetimes' parameters "
        f"{their_ll:.4f} (difference {ours['log_likelihood'] - their_ll:+.4f})"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run bench_clv_bgnbd.py or bench_clv_paretonbd.py")
