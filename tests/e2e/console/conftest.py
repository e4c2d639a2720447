"""The console's browser tests: one ``regulars serve`` per database per module (a SQLite file,
then a PostgreSQL database of its own), seeded by :mod:`tests.e2e.console.seed`, and one
headless Chromium (Debian's ``/usr/bin/chromium``, never a browser download).

Screenshots and accessibility reports go to ``test-artifacts/console/<database>/`` (git
ignored); the path is printed at the end of the run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from regulars.bootstrap import App, build
from regulars.config import Settings
from tests.conftest import POSTGRES_URL
from tests.e2e.console.seed import Seeded, seed
from tests.e2e.feedback.test_answer_page_browser import ARGS, CHROMIUM  # the same browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
SECRET = "console-test-secret-" + uuid.uuid4().hex


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    app: App
    seeded: Seeded
    database: str
    artifacts: Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """``regulars serve`` on a seeded store of its own, on a free port."""
    database = str(request.param)
    admin = None
    if database == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'regulars.db'}"
    else:
        name = f"regulars_console_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(database_url=url, secret_key=SECRET)
    app = build(settings)
    seeded = seed(app)
    port = _free_port()
    env = {
        **os.environ,
        "REGULARS_DATABASE_URL": url,
        "REGULARS_SECRET_KEY": SECRET,
        "REGULARS_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    regulars = Path(sys.executable).with_name("regulars")
    server = subprocess.Popen(
        [str(regulars), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            output = server.stdout.read().decode() if server.stdout else ""
            server.kill()
            pytest.fail(f"regulars serve did not start: {output}")
        time.sleep(0.2)
    artifacts = ARTIFACTS / database
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        yield Served(base, app, seeded, database, artifacts)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        if server.stdout:
            server.stdout.close()
        app.engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does this)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ARTIFACTS.exists() and any(ARTIFACTS.rglob("*.png")):
        terminalreporter.write_line(f"console screenshots and axe reports: {ARTIFACTS}")
