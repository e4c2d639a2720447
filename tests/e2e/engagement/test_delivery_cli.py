"""``regulars webhooks`` and ``regulars deliver`` run as a user runs them: real processes,
a real receiver, stopped by SIGTERM and killed with SIGKILL mid-batch."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tests.e2e.test_cli import regulars
from tests.integration.channels.peers import Answer, HttpReceiver
from tests.integration.channels.test_webhook_delivery import verify

from regulars.bootstrap import App
from regulars.store import outbox

EVENTS = 200
BATCH = 25


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGULARS_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("REGULARS_DELIVERY_BATCH", str(BATCH))
    monkeypatch.setenv("REGULARS_DELIVERY_LEASE_SECONDS", "2")
    monkeypatch.setenv("REGULARS_DELIVERY_POLL_SECONDS", "0.2")


def _enqueue(app: App, count: int) -> None:
    with app.unit_of_work() as uow:
        for number in range(count):
            outbox.enqueue(uow.connection, "points.earned", {"n": number})
        uow.commit()


def _add_webhook(store_url: str, url: str, tmp_path: Path) -> str:
    added = regulars(store_url, "webhooks", "add", url, "--events", "points.*", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    found = re.search(r"^secret: (whsec_\S+)$", added.stdout, re.MULTILINE)
    assert found, added.stdout
    return found.group(1)


def _worker(store_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "REGULARS_DATABASE_URL": store_url, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "regulars.cli", "deliver"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for(receiver: HttpReceiver, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.requests)} requests arrived"
        time.sleep(0.01)


def test_webhooks_commands_and_deliver_once(
    app: App, store_url: str, receiver: HttpReceiver, tmp_path: Path
) -> None:
    secret = _add_webhook(store_url, receiver.url, tmp_path)
    listed = regulars(store_url, "webhooks", "list", cwd=tmp_path)
    assert receiver.url in listed.stdout
    assert "whsec_" not in listed.stdout
    ping = regulars(store_url, "webhooks", "ping", "1", cwd=tmp_path)
    assert ping.returncode == 0, ping.stderr
    assert "delivered (HTTP 200)" in ping.stdout
    rotated = regulars(store_url, "webhooks", "rotate", "1", cwd=tmp_path)
    assert "old one is valid until" in rotated.stdout
    assert regulars(store_url, "webhooks", "disable", "1", cwd=tmp_path).returncode == 0
    assert regulars(store_url, "webhooks", "enable", "1", cwd=tmp_path).returncode == 0
    missing = regulars(store_url, "webhooks", "ping", "9", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no webhook endpoint 9" in missing.stderr

    _enqueue(app, 3)
    receiver.answer_next(200, 200, 400)
    once = regulars(store_url, "deliver", "--once", cwd=tmp_path)
    assert once.returncode == 0, once.stderr
    assert "2 delivered, 0 to retry, 1 dead" in once.stdout
    assert verify(secret, receiver.requests[-1])  # the old secret, still in its window
    status = regulars(store_url, "deliver", "status", cwd=tmp_path)
    assert re.search(r"webhook\s+│\s+0\s+│\s+2\s+│\s+0\s+│\s+1", status.stdout), status.stdout
    failed = regulars(store_url, "deliver", "failed", cwd=tmp_path)
    assert "HTTP 400" in failed.stdout
    dead_id = re.search(r"│\s+(\d+)\s+│\s+\d+\s+│\s+points\.earned", failed.stdout)
    assert dead_id, failed.stdout
    replay = regulars(store_url, "deliver", "replay", dead_id.group(1), cwd=tmp_path)
    assert "queued again" in replay.stdout
    again = regulars(store_url, "deliver", "--once", cwd=tmp_path)
    assert "1 delivered" in again.stdout
    assert "no dead deliveries" in regulars(store_url, "deliver", "failed", cwd=tmp_path).stdout
    assert regulars(store_url, "deliver", "replay", "999", cwd=tmp_path).returncode == 2


def test_sigterm_finishes_the_batch_in_flight_and_exits_cleanly(
    app: App, store_url: str, receiver: HttpReceiver, tmp_path: Path
) -> None:
    _add_webhook(store_url, receiver.url, tmp_path)
    _enqueue(app, EVENTS)
    receiver.answer_next(*[Answer(200, delay=0.02)] * EVENTS)
    worker = _worker(store_url, tmp_path)
    _wait_for(receiver, BATCH + 5)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    sent = len(receiver.requests)
    assert sent < EVENTS
    assert f"{sent} delivered" in out  # every request sent was booked before it stopped


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_same_ids(
    app: App, store_url: str, receiver: HttpReceiver, tmp_path: Path
) -> None:
    _add_webhook(store_url, receiver.url, tmp_path)
    _enqueue(app, EVENTS)
    receiver.answer_next(*[Answer(200, delay=0.01)] * EVENTS)
    worker = _worker(store_url, tmp_path)
    _wait_for(receiver, BATCH + BATCH // 2)  # in the middle of the second batch
    worker.kill()
    worker.communicate(timeout=10)
    before = len(receiver.requests)
    time.sleep(2.2)  # the killed worker's lease ends
    rerun = regulars(store_url, "deliver", "--once", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(ids) == EVENTS  # nothing lost
    repeated = [key for key, count in ids.items() if count > 1]
    assert len(repeated) <= 2 * BATCH  # at most the batches in flight (one sending, one booking)
    assert all(count <= 2 for count in ids.values())
    assert len(receiver.requests) == before + EVENTS - (before - len(repeated))
    status = regulars(store_url, "deliver", "status", cwd=tmp_path)
    assert re.search(rf"webhook\s+│\s+0\s+│\s+{EVENTS}\s+│", status.stdout), status.stdout
