"""One side of a CLV benchmark, run in its own process so that its peak memory is its own.

    <python> bench/clv_worker.py TASK ENGINE DATA.npz OUT.json

TASK: summary | bgnbd_gg | pareto. ENGINE: regulars | lifetimes | pymc. Runs under the
interpreter of the engine's environment (lifetimes 0.11.3 and PyMC-Marketing live in their own
venvs, see bench/clv_peers.py), so it imports only what that engine needs. Writes the
seconds taken by the measured call (data loading excluded), the fitted parameters, and the
process's peak resident memory before and after the call.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPEAT = 1  # times the measured call runs in this process; the best is reported (argv[5])


def timed(call: Any) -> tuple[list[float], Any]:
    """Run ``call`` :data:`REPEAT` times; the wall seconds of each run and the last result."""
    runs, result = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = call()
        runs.append(time.perf_counter() - start)
    return runs, result


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def summary_frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": data["member_id"],
            "occurred_at": pd.to_datetime(data["occurred_ns"], unit="ns"),
            "amount": data["amount"],
        }
    )


def run_regulars(task: str, data: dict[str, np.ndarray], out: Path) -> dict[str, Any]:
    from datetime import UTC, datetime

    from regulars.analytics.clv import (
        BetaGeoModel,
        GammaGammaModel,
        ParetoNBDModel,
        rfm_summary,
        summarise,
    )
    from regulars.analytics.clv.engines import DuckDBEngine

    if task == "summary":
        frame = summary_frame(data)
        end = datetime.fromtimestamp(int(data["end_ns"]) / 1e9, tz=UTC)
        runs, cpus = [], []
        for _ in range(REPEAT):
            start, cpu = time.perf_counter(), time.process_time()
            result = rfm_summary(frame, end)
            runs.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        seconds = min(runs)
        extra: dict[str, Any] = {"call_cpu_seconds": min(cpus), "runs": runs}
        parquet = out.with_suffix(".parquet")
        if parquet.exists():
            duck_start = time.perf_counter()
            duck = summarise(DuckDBEngine(parquet), end)
            extra["duckdb_parquet_seconds"] = time.perf_counter() - duck_start
            extra["duckdb_equal"] = bool(duck.equals(result))
        np.savez(
            out.with_suffix(".result.npz"),
            **{c: result[c].to_numpy() for c in result.columns},
        )
        return {"seconds": seconds, "rows": len(result), **extra}
    x, t_x, age = data["frequency"], data["recency"], data["T"]
    if task == "bgnbd_gg":

        def fit() -> tuple[Any, Any]:
            model = BetaGeoModel().fit(x, t_x, age)
            repeat = x > 0
            return model, GammaGammaModel().fit(x[repeat], data["monetary_value"][repeat])

        runs, (model, spend) = timed(fit)
        return {
            "seconds": min(runs),
            "runs": runs,
            "params": {**model.params_.to_dict(), **spend.params_.to_dict()},
            "log_likelihood": model.log_likelihood_,
        }
    runs, pareto = timed(lambda: ParetoNBDModel().fit(x, t_x, age))
    return {
        "seconds": min(runs),
        "runs": runs,
        "params": pareto.params_.to_dict(),
        "log_likelihood": pareto.log_likelihood_,
    }


def run_lifetimes(task: str, data: dict[str, np.ndarray], out: Path) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data

    if task == "summary":
        frame = summary_frame(data)
        end = pd.Timestamp(int(data["end_ns"]), unit="ns")
        runs, cpus = [], []
        for _ in range(REPEAT):
            start, cpu = time.perf_counter(), time.process_time()
            result = summary_data_from_transaction_data(
                frame,
                "member_id",
                "occurred_at",
                monetary_value_col="amount",
                observation_period_end=end,
                freq="D",
            )
            runs.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        seconds = min(runs)
        result = result.reset_index().sort_values("member_id")
        np.savez(
            out.with_suffix(".result.npz"),
            **{c: result[c].to_numpy() for c in result.columns},
        )
        best_cpu = min(cpus)
        return {"seconds": seconds, "rows": len(result), "runs": runs, "call_cpu_seconds": best_cpu}
    x, t_x, age = (pd.Series(data[c]) for c in ("frequency", "recency", "T"))
    if task == "bgnbd_gg":

        def fit() -> tuple[Any, Any]:
            model = BetaGeoFitter().fit(x, t_x, age)
            repeat = x > 0
            spend = GammaGammaFitter().fit(x[repeat], pd.Series(data["monetary_value"])[repeat])
            return model, spend

        runs, (model, spend) = timed(fit)
        params = {**model.params_.to_dict(), **spend.params_.to_dict()}
        return {
            "seconds": min(runs),
            "runs": runs,
            "params": {k: float(v) for k, v in params.items()},
        }
    runs, pareto = timed(lambda: ParetoNBDFitter().fit(x, t_x, age))
    return {
        "seconds": min(runs),
        "runs": runs,
        "params": {k: float(v) for k, v in pareto.params_.items()},
    }


def run_pymc(task: str, data: dict[str, np.ndarray], out: Path) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    from pymc_marketing import clv

    frame = pd.DataFrame(
        {
            "customer_id": np.arange(len(data["frequency"])),
            "frequency": data["frequency"],
            "recency": data["recency"],
            "T": data["T"],
        }
    )
    model_type = clv.BetaGeoModel if task == "bgnbd_gg" else clv.ParetoNBDModel
    start = time.perf_counter()
    try:
        model = model_type(data=frame)
        model.fit(method="map")
    except TypeError:  # PyMC-Marketing 1.x: the data go to fit()
        model = model_type()
        model.fit(frame, method="map", progressbar=False)
    seconds = time.perf_counter() - start
    posterior = model.idata.posterior
    names = ["r", "alpha", "a", "b"] if task == "bgnbd_gg" else ["r", "alpha", "s", "beta"]
    params = {n: float(posterior[n].values.ravel()[0]) for n in names if n in posterior}
    return {"seconds": seconds, "params": params, "note": "MAP with the default priors"}


def main() -> None:
    global REPEAT
    task, engine, data_path, out_path = sys.argv[1:5]
    REPEAT = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    data = load(data_path)
    out = Path(out_path)
    before = peak_rss_mb()
    runner = {"regulars": run_regulars, "lifetimes": run_lifetimes, "pymc": run_pymc}[engine]
    cpu = cpu_seconds()
    result = runner(task, data, out)
    result["cpu_seconds"] = cpu_seconds() - cpu  # the whole call, setup within it included
    result["peak_rss_mb"] = peak_rss_mb()
    result["peak_rss_before_mb"] = before
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
