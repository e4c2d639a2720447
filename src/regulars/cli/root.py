"""The root Typer app and what every command shares: the wired app, the console and the
progress bar.

Nothing heavy is imported here or at the top of any ``cli`` module: registering the commands
must not load the store, the services or the analytics (pandas, scipy, plotly), so that
``regulars --help`` and a small command start at once. Each command imports what it uses;
``tests/e2e/test_cli_startup.py`` keeps it so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from regulars.cli.boundary import EXIT_FAILURE, EXIT_REJECTED, EXIT_USAGE, GuardedGroup

if TYPE_CHECKING:
    from regulars.bootstrap import App

app = typer.Typer(
    name="regulars",
    help="regulars — loyalty program, feedback and loyalty analytics for a business that "
    "lives on returning customers. Configure with REGULARS_* environment variables "
    "(REGULARS_DATABASE_URL: default a SQLite file regulars.db here).",
    no_args_is_help=True,
    cls=GuardedGroup,  # the one error boundary: see cli/boundary.py
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def wired() -> App:
    """The app with its store migrated (every command calls this first)."""
    from regulars.bootstrap import build

    return build()


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def iso_time(value: str | datetime) -> datetime:
    """Parse a time in ISO 8601 (``2026-10-31``, ``2026-10-31T09:00:00+09:00``) as the command
    line is read (``typer.Option(parser=iso_time)``): a wrong value is a usage error (exit 2)
    that names the option."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time; write e.g. 2026-10-31 or 2026-10-31T09:00:00+09:00"
        ) from None


def iso_date(value: str | date) -> date:
    """Parse a calendar date ``YYYY-MM-DD`` as the command line is read."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write e.g. 2026-10-31") from None


__all__ = [
    "EXIT_FAILURE",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "app",
    "console",
    "errors",
    "fail",
    "iso_date",
    "iso_time",
    "progress_bar",
    "wired",
]


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for one long step; yields the ``progress(done, total)`` callback the
    services take."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)
