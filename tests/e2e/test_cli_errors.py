"""No input shows a user a traceback: every command, with bad arguments and with a broken
database URL, answers with a message naming the problem and a non-zero exit code.

The walk over every command runs in-process (Typer's runner; the error boundary is the root
group itself, so it is the code that runs for ``regulars``): a command added later is covered
without touching this file. The real entry point (``python -m regulars.cli``) is run as a
subprocess for the cases a user meets first.
"""

from __future__ import annotations

import re
import socket
import typing
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from regulars.cli import app
from regulars.cli.boundary import EXIT_FAILURE, EXIT_REJECTED, EXIT_USAGE
from tests.e2e.test_cli import regulars

TRACEBACK = re.compile(r"Traceback|File \"[^\"]+\", line \d+|\.py:\d+ in \w+")
"""A Python traceback, or a frame of Rich's ("│ /…/x.py:12 in run")."""


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    children = getattr(command, "commands", None)
    if not children:
        yield path, command
        return
    for name, child in children.items():
        yield from _leaves(child, (*path, name))


COMMANDS = dict(_leaves(typer.main.get_command(app)))

NO_STORE: set[str] = {"campaigns fields", "campaigns playbooks"}
"""Commands that never open the store (the audience fields are a list in the code): a broken
database URL cannot stop them."""


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"report", "import members", "export members", "keys create", "scores validate"} <= (
        names
    )
    assert len(names) >= 30


def _sample(annotation: Any, file: Path) -> str | None:
    """A well-formed value for a parameter of this type (None: a flag, left out)."""
    if typing.get_origin(annotation) in (list, tuple):
        annotation = typing.get_args(annotation)[0]
    if annotation is bool:
        return None
    if annotation in (datetime, date):
        return "2026-01-01"
    if annotation is int:
        return "1"
    if annotation is float:
        return "0.5"
    if annotation is Path:
        return str(file)
    return "x"


def well_formed(command: Any, file: Path) -> list[str]:
    """Arguments and required options with well-formed values: the command gets as far as
    opening the store."""
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        value = _sample(param.type_descriptor.annotation, file)
        if value is None:
            continue
        is_option = param.opts[0].startswith("-")
        args += [param.opts[0], value] if is_option else [value]
    return args


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # what a command writes by default lands here


def run(args: list[str], url: str) -> tuple[int, str]:
    """Run ``regulars ARGS`` in-process; the exit code and everything it printed."""
    result = CliRunner().invoke(
        app, args, env={"REGULARS_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    )
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    assert escaped is None, f"regulars {' '.join(args)} let {escaped!r} escape"
    return result.exit_code, result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def broken_urls(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """A broken ``REGULARS_DATABASE_URL`` each, with what its message must say."""
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    return {
        "wrong port": (
            f"postgresql://postgres@127.0.0.1:{_free_port()}/regulars",
            "cannot open the store at postgresql",
        ),
        "mysql": ("mysql://user@localhost/regulars", "'mysql' databases are not supported"),
        "bare file name": ("regulars.db", "for a SQLite file write sqlite:///regulars.db"),
        "unwritable path": (
            f"sqlite:///{tmp_path}/a-file/regulars.db",
            "cannot open the store at sqlite",
        ),
    }


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    """A CSV with the columns of every import: a command given it reaches the store."""
    path = tmp_path / "sample.csv"
    path.write_text(
        "member_id,purchase_id,occurred_at,product,amount,code,name,subscription_id,plan,"
        "monthly_fee,started_on,changed_on,from_plan,to_plan,fee_before,fee_after,month\n"
        "M1,P1,2026-01-01T09:00:00,latte,5000,S1,Kim,L1,5G,55000,2026-01-01,2026-02-01,5G,"
        "LTE,55000,33000,2026-01\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("broken", ["wrong port", "mysql", "bare file name", "unwritable path"])
def test_every_command_on_a_broken_database_url_says_so_without_a_traceback(
    broken: str, tmp_path: Path, sample_file: Path
) -> None:
    url, expected = broken_urls(tmp_path)[broken]
    problems = []
    for path, command in COMMANDS.items():
        if " ".join(path) in NO_STORE:
            continue
        args = [*path, *well_formed(command, sample_file)]
        code, output = run(args, url)
        shown = " ".join(args)
        if code == 0:
            problems.append(f"{shown}: exit 0\n{output}")
        elif TRACEBACK.search(output):
            problems.append(f"{shown}: traceback\n{output}")
        elif expected not in output:
            problems.append(f"{shown}: exit {code} without {expected!r}\n{output}")
    assert problems == []


def test_every_command_with_bad_arguments_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/never-created.db"
    problems = []
    for path, command in COMMANDS.items():
        cases = [[*path, "--no-such-option"]]
        if any(param.required for param in command.params):
            cases.append(list(path))  # a required argument or option left out
        for args in cases:
            code, output = run(args, url)
            if code != EXIT_USAGE or TRACEBACK.search(output):
                problems.append(f"{' '.join(args)}: exit {code}\n{output}")
            elif not re.search(r"No such option|Missing (argument|option)", output):
                problems.append(f"{' '.join(args)}: no message naming the problem\n{output}")
    assert problems == []
    assert not (tmp_path / "never-created.db").exists()


def test_an_unexpected_error_names_itself_and_how_to_see_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regulars.services import api_keys

    def broken(*_: object) -> None:
        raise RuntimeError("the disk said no")

    monkeypatch.setattr(api_keys, "list_keys", broken)
    code, output = run(["keys", "list"], f"sqlite:///{tmp_path}/x.db")
    assert code == EXIT_FAILURE
    assert "unexpected RuntimeError: the disk said no" in output
    assert "REGULARS_DEBUG=1" in output
    assert not TRACEBACK.search(output)


# The real entry point, as a user runs it.


def _no_traceback(result: Any) -> None:
    assert not TRACEBACK.search(result.stdout + result.stderr), result.stderr


@pytest.mark.parametrize("broken", ["wrong port", "mysql", "bare file name", "unwritable path"])
def test_a_broken_database_url_is_one_or_two_lines(broken: str, tmp_path: Path) -> None:
    url, expected = broken_urls(tmp_path)[broken]
    result = regulars(url, "keys", "list", cwd=tmp_path)
    assert result.returncode == EXIT_FAILURE
    _no_traceback(result)
    assert expected in result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) <= 2
    if broken == "mysql":
        assert "SQLite (sqlite:///" in result.stderr
        assert "PostgreSQL (postgresql://" in result.stderr


def test_regulars_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = regulars("regulars.db", "keys", "list", cwd=tmp_path, env={"REGULARS_DEBUG": "1"})
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "DatabaseUrlError" in result.stderr


def test_a_date_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    for args in (
        ("scores", "validate", "notadate"),
        ("scores", "compute", "--as-of", "notadate"),
        ("scores", "validate", "2026-01-01", "--observation-end", "soon"),
        ("report", "--as-of", "31/10/2026"),
    ):
        result = regulars(url, *args, cwd=tmp_path)
        assert result.returncode == EXIT_USAGE, args
        _no_traceback(result)
        assert "is not a date" in result.stderr, result.stderr
        assert "2026-10-31" in result.stderr  # what to write instead
    assert not (tmp_path / "x.db").exists()


def test_a_report_of_an_empty_store_says_to_import_first(store_url: str, tmp_path: Path) -> None:
    """It fails (nothing to report), and the page it leaves says how to import data."""
    result = regulars(store_url, "report", "--out", "out", "--language", "en", cwd=tmp_path)
    assert result.returncode == EXIT_FAILURE
    _no_traceback(result)
    assert "the store holds no purchases or answers yet — import data first" in result.stderr
    assert "NPS" not in result.stdout
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Import data first" in page
    assert "regulars import purchases" in page
    assert "Plotly" not in page


def test_a_report_in_a_language_it_does_not_speak_is_a_usage_error(tmp_path: Path) -> None:
    result = regulars(f"sqlite:///{tmp_path}/x.db", "report", "--language", "fr", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    _no_traceback(result)
    assert "must be one of ko, en, not 'fr'" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_file_that_cannot_be_read_creates_no_store_and_shows_no_progress(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/regulars.db"
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 8)
    for name in ("missing.csv", "binary.csv"):
        result = regulars(url, "import", "members", name, cwd=tmp_path)
        assert result.returncode == EXIT_USAGE
        _no_traceback(result)
        assert name in result.stderr
        assert "importing" not in result.stdout
        assert "0/?" not in result.stdout
    assert not (tmp_path / "regulars.db").exists()


def test_an_excel_file_from_korea_is_imported_and_a_wrong_encoding_says_what_to_pass(
    store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "excel.csv").write_bytes("member_id;name\nM1;김민준\nM2;윤지호\n".encode("cp949"))
    result = regulars(store_url, "import", "members", "excel.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 members added" in result.stdout
    wrong = regulars(
        store_url, "import", "members", "excel.csv", "--encoding", "utf-8", cwd=tmp_path
    )
    assert wrong.returncode == EXIT_USAGE
    assert "line 2, column 'name'" in wrong.stderr
    assert "--encoding cp949" in wrong.stderr


def test_an_export_to_a_type_it_cannot_write_is_refused(tmp_path: Path) -> None:
    result = regulars(f"sqlite:///{tmp_path}/x.db", "export", "members", "x.xlsx", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert ".csv, .parquet" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_an_import_with_a_huge_cell_keeps_the_row_beside_it_and_exits_3(tmp_path: Path) -> None:
    with (tmp_path / "huge.csv").open("wb") as handle:  # one line longer than Arrow's block
        handle.write(b"member_id,name\nM1," + b"x" * (17 << 20) + b"\nM2,Lee\n")
    result = regulars(f"sqlite:///{tmp_path}/x.db", "import", "members", "huge.csv", cwd=tmp_path)
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert "1 members added" in result.stdout
    assert "(17,825,792 characters): is longer than 200 characters" in result.stdout
    assert len(result.stdout) < 2_000  # the cell is not printed
