"""Cox and Weibull fits of time to cancellation at telecom scale, against statsmodels' PHReg.

Subscribers are simulated with known hazard ratios (Weibull proportional hazards, whole days,
right-censored by when each joined over five years): fee, NPS, cases, usage trend, plan (3
levels) and age band (4 levels), eleven design columns. For each size in ``--sizes`` regulars
fits the Cox model (Efron ties) and the Weibull AFT model and scores every subscriber (P(cancel
within 30 and 90 days), median residual life); on a ``--sample`` of them statsmodels' PHReg
(Efron) fits the same Cox model, and regulars fits that sample too. Printed: seconds per
step, peak memory of the process, the largest difference in coefficients on the sample, the
recovered hazard ratios against the truth, and the ratio as the last line.

    .venv/bin/python bench/bench_churn_models.py \
        [--sizes 1000000,5000000] [--sample 200000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from regulars.analytics.churn import CoxPHModel, WeibullAFTModel

COVARIATES = ["fee", "nps", "cases", "usage_trend", "plan", "age_band"]
TRUE_LOG_HR = {
    "fee": 0.02,
    "nps": -0.10,
    "cases": 0.25,
    "usage_trend": -0.30,
    "plan=max": -0.35,
    "plan=plus": -0.20,
    "age_band=45-64": -0.15,
    "age_band=65+": -0.25,
}


def subscribers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plan = rng.choice(np.array(["basic", "plus", "max"]), n, p=[0.5, 0.3, 0.2])
    age_band = rng.choice(np.array(["18-29", "30-44", "45-64", "65+"]), n, p=[0.3, 0.3, 0.25, 0.15])
    frame = pd.DataFrame(
        {
            "fee": rng.normal(45, 12, n).round(),
            "nps": rng.integers(0, 11, n).astype(np.float64),
            "cases": rng.poisson(0.5, n).astype(np.float64),
            "usage_trend": rng.normal(0, 1, n),
            "plan": plan,
            "age_band": age_band,
        }
    )
    linear = (
        TRUE_LOG_HR["fee"] * (frame["fee"].to_numpy() - 45)
        + TRUE_LOG_HR["nps"] * (frame["nps"].to_numpy() - 5)
        + TRUE_LOG_HR["cases"] * frame["cases"].to_numpy()
        + TRUE_LOG_HR["usage_trend"] * frame["usage_trend"].to_numpy()
        + TRUE_LOG_HR["plan=max"] * (plan == "max")
        + TRUE_LOG_HR["plan=plus"] * (plan == "plus")
        + TRUE_LOG_HR["age_band=45-64"] * (age_band == "45-64")
        + TRUE_LOG_HR["age_band=65+"] * (age_band == "65+")
    )
    lifetime = 900.0 * (rng.exponential(size=n) * np.exp(-linear)) ** (1 / 1.3)
    joined = rng.uniform(1, 1800, n)
    frame["days"] = np.ceil(np.minimum(lifetime, joined))
    frame["cancelled"] = lifetime <= joined
    return frame


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def timed(label: str, step):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"  {label:<34}{seconds:9.2f} s   (peak {peak_gb():.2f} GB)", flush=True)
    return result, seconds


def against_statsmodels(
    sample: pd.DataFrame,
    duration: str,
    event: str,
    covariates: list[str],
    method: str = "newton",
) -> dict[str, float]:
    """regulars' Cox fit and statsmodels' PHReg (Efron; its optimiser ``method``) on the
    same rows and design matrix: their seconds, the largest coefficient difference and the
    largest relative difference of the standard errors (each printed as it comes)."""
    from statsmodels.duration.hazard_regression import PHReg

    ours, ours_s = timed(
        "regulars Cox fit", lambda: CoxPHModel().fit(sample, duration, event, covariates)
    )
    x = ours.design_.matrix(sample) + ours.design_.means
    theirs, theirs_s = timed(
        f"statsmodels PHReg fit ({method})",
        lambda: PHReg(
            sample[duration].to_numpy(float),
            x,
            status=sample[event].to_numpy(float),
            ties="efron",
        ).fit(method=method, disp=False),
    )
    gap = float(np.max(np.abs(ours.params_.to_numpy() - theirs.params)))
    se_gap = float(np.max(np.abs(ours.standard_errors_.to_numpy() / theirs.bse - 1)))
    print(f"  largest coefficient difference {gap:.2e}; standard errors within {se_gap:.1e}")
    print(f"  log-likelihood: regulars {ours.log_likelihood_:.4f}, statsmodels {theirs.llf:.4f}")
    return {"ours_s": ours_s, "theirs_s": theirs_s, "gap": gap, "se_gap": se_gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--sample", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        print(f"{n:,} subscribers", flush=True)
        frame, _ = timed("simulate", lambda n=n: subscribers(n, args.seed))
        cancelled = int(frame["cancelled"].sum())
        print(f"  {cancelled:,} cancelled, {frame['days'].nunique():,} distinct days")
        cox, cox_s = timed(
            "Cox (Efron) fit", lambda f=frame: CoxPHModel().fit(f, "days", "cancelled", COVARIATES)
        )
        weibull, weibull_s = timed(
            "Weibull AFT fit",
            lambda f=frame: WeibullAFTModel().fit(f, "days", "cancelled", COVARIATES),
        )
        active = frame[~frame["cancelled"]]
        _, score_s = timed(
            f"Cox scores ({len(active):,} active)", lambda a=active, m=cox: m.score(a, "days")
        )
        _, wscore_s = timed("Weibull scores", lambda a=active, m=weibull: m.score(a, "days"))
        table = cox.hazard_ratios_.set_index("covariate")
        inside = sum(
            table.loc[k, "lower_95"] < np.exp(v) < table.loc[k, "upper_95"]
            for k, v in TRUE_LOG_HR.items()
        )
        print(
            f"  Cox: {cox.iterations_} Newton steps; true hazard ratios inside their 95 % "
            f"intervals: {inside}/{len(TRUE_LOG_HR)}"
        )
        results[n] = {"cox": cox_s, "weibull": weibull_s, "score": score_s, "wscore": wscore_s}
        del frame, active, cox, weibull

    print(f"{args.sample:,}-subscriber sample: regulars vs statsmodels PHReg (Efron)", flush=True)
    sample = subscribers(args.sample, args.seed + 1)
    found = against_statsmodels(sample, "days", "cancelled", COVARIATES)
    ours_s, theirs_s = found["ours_s"], found["theirs_s"]
    largest = max(sizes)
    r = results[largest]
    print(
        f"{largest:,} subscribers: Cox fit {r['cox']:.1f} s, Weibull fit {r['weibull']:.1f} s, "
        f"scores {r['score']:.1f} s + {r['wscore']:.1f} s; peak {peak_gb():.2f} GB"
    )
    print(
        f"ratio: on {args.sample:,} subscribers regulars' Cox fit {ours_s:.2f} s vs statsmodels "
        f"{theirs_s:.2f} s: {theirs_s / ours_s:.1f}x faster"
    )


if __name__ == "__main__":
    main()
