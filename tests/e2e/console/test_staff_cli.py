"""``regulars staff``: the first owner from the command line, listed, disabled, enabled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from regulars.bootstrap import App
from regulars.services import audit
from regulars.services.staff import accounts

REGULARS = Path(sys.executable).with_name("regulars")


def run(store_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGULARS_DATABASE_URL": store_url, "COLUMNS": "200"}
    return subprocess.run(
        [str(REGULARS), "staff", *args], input=stdin, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_the_first_owner_and_the_others(app: App, store_url: str) -> None:
    made = run(
        store_url, "add", "Owner@Coffee.example", "--role", "owner", "--password-stdin",
        stdin="a long enough passphrase\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "owner@coffee.example: owner, all stores" in made.stdout
    scoped = run(
        store_url, "add", "mina@coffee.example", "--role", "manager", "--store", "S01",
        "--language", "en", "--password-stdin", stdin="another long passphrase\n",
    )  # fmt: skip
    assert scoped.returncode == 0, scoped.stderr
    listed = run(store_url, "list")
    assert listed.returncode == 0
    assert "mina@coffee.example" in listed.stdout
    assert "S01" in listed.stdout
    assert run(store_url, "disable", "mina@coffee.example").returncode == 0
    last = run(store_url, "disable", "owner@coffee.example")
    assert last.returncode == 2
    assert "last active owner" in last.stderr
    short = run(store_url, "add", "x@coffee.example", "--role", "staff", "--password-stdin",
                stdin="short\n")  # fmt: skip
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr
    wrong = run(store_url, "add", "y@coffee.example", "--role", "boss", "--password-stdin",
                stdin="a long enough passphrase\n")  # fmt: skip
    assert wrong.returncode == 2
    assert "choose one of owner, manager, staff, analyst" in wrong.stderr
    with app.unit_of_work() as uow:
        users = {u.email: u for u in accounts.list_staff(uow)}
        entries = audit.entries(uow)
    assert users["owner@coffee.example"].active
    assert not users["mina@coffee.example"].active
    assert users["mina@coffee.example"].scope.store == "S01"
    assert [e["action"] for e in entries] == ["staff.change", "staff.add", "staff.add"]
    assert {e["actor_kind"] for e in entries} == {"cli"}
