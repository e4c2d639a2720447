"""Pareto/NBD fit on 1,000,000 members: regulars vs lifetimes 0.11.3 (and PyMC-Marketing).

PyMC-Marketing runs its MAP fit with default priors where it installs (not the MLE).

Members are simulated from the model itself (whole days, T between 30 and 730 days), so the
true parameters are known; each side fits the same file in its own process. Printed: true and
fitted parameters, seconds, peak memory, both parameter sets' log-likelihood under regulars'
likelihood (the same maximum), and the ratio as the last line.

One fit per side by default (lifetimes takes about eight minutes); ``--repeat N`` for more.

    .venv/bin/python bench/bench_clv_paretonbd.py [--customers 1000000] [--repeat 1] [--no-pymc]
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.clv_fit_bench import run

if __name__ == "__main__":
    run("pareto", __doc__.splitlines()[0])
