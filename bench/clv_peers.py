"""The peers of the CLV benchmarks, each in its own environment, run side by side with regulars.

* lifetimes 0.11.3 — in ``bench/.venv-lifetimes`` (Python 3.11; setuptools < 81 because it
  imports ``pkg_resources``; pandas < 3 because its helpers fail under pandas 3). Created here
  with pip if it is missing.
* PyMC-Marketing — in ``bench/.venv-pymc`` (it needs Python >= 3.12). Created if a Python 3.12
  is found; when it will not install, the benchmarks say so and go on without it.

Every side runs ``bench/clv_worker.py`` in a process of its own on the same data file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
WORKER = BENCH / "clv_worker.py"
LIFETIMES_VENV = BENCH / ".venv-lifetimes"
PYMC_VENV = BENCH / ".venv-pymc"
LIFETIMES_REQUIREMENTS = ["lifetimes==0.11.3", "setuptools<81", "pandas<3", "numpy<2.3"]


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _create(venv: Path, python: str, packages: list[str]) -> bool:
    print(f"creating {venv.name} with {python}: pip install {' '.join(packages)}", flush=True)
    try:
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(_venv_python(venv)), "-m", "pip", "install", "-q", *packages],
            check=True,
            timeout=1800,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        print(f"  could not create {venv.name}: {error}", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        return False
    return True


def lifetimes_python() -> Path:
    python = _venv_python(LIFETIMES_VENV)
    probe = [str(python), "-c", "import lifetimes, pkg_resources"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    shutil.rmtree(LIFETIMES_VENV, ignore_errors=True)
    interpreter = shutil.which("python3.11") or sys.executable
    if not _create(LIFETIMES_VENV, interpreter, LIFETIMES_REQUIREMENTS):
        raise SystemExit("lifetimes could not be installed: no peer to compare with")
    return python


def pymc_python() -> Path | None:
    """PyMC-Marketing's interpreter, or None (with the reason printed) if it does not install."""
    python = _venv_python(PYMC_VENV)
    probe = [str(python), "-c", "import pymc_marketing.clv"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    pyenv = sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"))
    candidates = [shutil.which("python3.12"), *pyenv]
    interpreter = next((str(c) for c in candidates if c and _runs(str(c))), None)
    if interpreter is None:
        print("PyMC-Marketing: skipped — no Python >= 3.12 found (PyMC-Marketing 1.x needs it)")
        return None
    shutil.rmtree(PYMC_VENV, ignore_errors=True)
    if not _create(PYMC_VENV, interpreter, ["pymc-marketing"]):
        print("PyMC-Marketing: skipped — it did not install")
        return None
    return python


def _runs(python: str) -> bool:
    try:
        return subprocess.run([python, "--version"], capture_output=True).returncode == 0
    except OSError:
        return False


def run_worker(
    python: Path | str,
    task: str,
    engine: str,
    data: Path,
    timeout: float | None = None,
    repeat: int = 1,
) -> dict[str, Any]:
    """Run one side; return its JSON result (``{"error": …}`` if it failed or timed out).
    With ``repeat`` the measured call runs that many times in the process; the best counts."""
    out = data.with_name(f"{task}-{engine}.json")
    try:
        done = subprocess.run(
            [str(python), str(WORKER), task, engine, str(data), str(out), str(repeat)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="regulars-clv-bench-"))


def memory(result: dict[str, Any]) -> str:
    if "peak_rss_mb" not in result:
        return "-"
    grown = result["peak_rss_mb"] - result["peak_rss_before_mb"]
    return f"peak RSS {result['peak_rss_mb']:,.0f} MB ({grown:+,.0f} MB during the call)"
