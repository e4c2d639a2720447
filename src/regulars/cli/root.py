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
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from regulars.bootstrap import App

app = typer.Typer(
    name="regulars",
    help="regulars — loyalty program, feedback and loyalty analytics for a business that "
    "lives on returning customers. Configure with REGULARS_* environment variables "
    "(REGULARS_DATABASE_URL: default a SQLite file regulars.db here).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
errors = Console(stderr=True)


def wired() -> App:
    """The app with its store migrated (every command calls this first)."""
    from regulars.bootstrap import build

    return build()


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


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
