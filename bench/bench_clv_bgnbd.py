"""BG/NBD + Gamma-Gamma fit on 1,000,000 members: regulars vs lifetimes 0.11.3 (and PyMC).

PyMC-Marketing runs its MAP fit with default priors where it installs (not the MLE).

Members are simulated from the model itself (whole days, T between 30 and 730 days), so the
true parameters are known; each side fits the same file in its own process. Printed: true and
fitted parameters, seconds, peak memory, both parameter sets' log-likelihood under regulars'
likelihood (the same maximum), and the ratio as the last line.

Each side fits ``--repeat`` times (default 3) in its process and the best time counts; every
run is printed, and the first runs' ratio beside it.

    .venv/bin/python bench/bench_clv_bgnbd.py [--customers 1000000] [--repeat 3] [--no-pymc]
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.clv_fit_bench import run

if __name__ == "__main__":
    run("bgnbd_gg", __doc__.splitlines()[0], repeat=3)
