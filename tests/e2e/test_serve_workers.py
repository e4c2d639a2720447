"""``regulars serve --workers 2`` survives slow reports (issue 12, "Serving").

A demo-sized store makes the loyalty report take many seconds, much of it in native code
that holds the interpreter lock (the Korean tokenizer). Served from the request's own
process, that starved uvicorn's 5-second health ping and the supervisor killed the worker.
Here the real command serves the real store: while reports run, plain requests keep
answering quickly, and the workers that answer them are the ones that started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REGULARS = [sys.executable, "-m", "regulars.cli"]
PLAIN_ANSWER_WITHIN = 3.0
"""Seconds a plain request may take while reports run (the health ping allows 5)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> set[int]:
    """The uvicorn workers of the server ``pid``: its children that serve (spawned), read
    from the process table."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    """A demo store big enough that one report takes well over five seconds of CPU."""
    folder = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "REGULARS_DATABASE_URL": f"sqlite:///{folder / 'regulars.db'}"}
    demo = [*REGULARS, "demo", "--members", "2000", "--out", str(folder / "demo")]
    subprocess.run(demo, env=env, check=True, capture_output=True, timeout=600)
    created = subprocess.run(
        [*REGULARS, "keys", "create", "serve-test", "--scopes", "analyst"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = next(w for w in created.stdout.split() if w.startswith("rg_"))
    return env, key


@pytest.fixture
def server(
    demo_store: tuple[dict[str, str], str], tmp_path: Path
) -> Iterator[tuple[str, int, str]]:
    env, key = demo_store
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*REGULARS, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while len(_children(process.pid)) < 2 or not _answers(url):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "regulars serve did not start two workers"
            time.sleep(0.5)
        for _ in range(10):  # both workers up and answering
            assert _answers(url)
        yield url, process.pid, key
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck shutdown
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_workers_keep_answering_and_survive_slow_reports(server: tuple[str, int, str]) -> None:
    url, pid, key = server
    headers = {"Authorization": f"Bearer {key}"}
    workers = _children(pid)
    assert len(workers) == 2
    reports: list[httpx.Response] = []

    def report() -> None:
        reports.append(httpx.get(f"{url}/v1/analytics/report", headers=headers, timeout=300))

    running = [threading.Thread(target=report) for _ in range(2)]
    for thread in running:
        thread.start()
    slow: list[tuple[str, float, int]] = []
    plain = 0
    while any(thread.is_alive() for thread in running):
        for path in ("/health", "/v1/members?limit=1", "/v1/cases?limit=1"):
            started = time.monotonic()
            answer = httpx.get(f"{url}{path}", headers=headers, timeout=30)
            took = time.monotonic() - started
            plain += 1
            if answer.status_code != 200 or took > PLAIN_ANSWER_WITHIN:
                slow.append((path, round(took, 2), answer.status_code))
        time.sleep(0.3)
    for thread in running:
        thread.join()

    assert plain >= 10, "the reports finished too fast to test anything"
    assert not slow, f"plain requests answered late or wrong while reports ran: {slow}"
    assert [r.status_code for r in reports] == [200, 200]
    assert all(r.json()["meta"]["members"] == 2000 for r in reports)
    assert _children(pid) == workers, "a worker was replaced while it was busy"
    for _ in range(5):
        assert _answers(url)
