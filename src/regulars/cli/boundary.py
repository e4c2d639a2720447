"""The one error boundary of the command line: no user ever sees a traceback.

Every command runs inside :class:`GuardedGroup` (the root app's click group). An exception
that leaves a command becomes one or two lines on stderr saying what went wrong and what to
do, and an exit code a script can test:

* ``0`` — done;
* ``1`` (:data:`EXIT_FAILURE`) — it failed (the store cannot be opened, a file cannot be
  written, or something unexpected);
* ``2`` (:data:`EXIT_USAGE`) — bad usage: an unknown option, an argument that is not a date,
  a file that cannot be read, input a service refused (click's usage errors already exit 2);
* ``3`` (:data:`EXIT_REJECTED`) — an import finished and kept its good rows, but rejected
  some (listed, and written to the rejects file).

``REGULARS_DEBUG=1`` lets the exception through, so that its traceback is shown.

Known errors are recognised without importing their modules: an exception can only be an
instance of a class whose module is already loaded (see :func:`_instance_of`), so that the
boundary itself never loads pandas or SQLAlchemy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3

DEBUG_VARIABLE = "REGULARS_DEBUG"

# (module, class, exit code): errors whose message is written for the user already.
_KNOWN = (
    ("regulars.config", "DatabaseUrlError", EXIT_FAILURE),
    ("regulars.store.database", "StoreUnavailable", EXIT_FAILURE),
    ("regulars.services.imports.tabular", "UnreadableFile", EXIT_USAGE),
    ("regulars.services.errors", "ServiceError", EXIT_USAGE),
)


def debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


class GuardedGroup(TyperGroup):
    """The root group: runs the chosen command and turns what it raises into a message."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors (exit 2), typer.Exit and Ctrl-C: Typer reports them
        except Exception as error:
            if debugging() or isinstance(error, BrokenPipeError):
                raise  # a closed pipe (regulars nps | head): Typer exits quietly
            code, message = explain(error)
            report(message)
            raise typer.Exit(code) from None


def report(message: str) -> None:
    """Print ``message`` on stderr as the one error line(s) of the run."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def explain(error: BaseException) -> tuple[int, str]:
    """The exit code and the message for ``error``."""
    for module, name, code in _KNOWN:
        if _instance_of(error, module, name):
            return code, _first_lines(getattr(error, "message", None) or str(error))
    if isinstance(error, MemoryError):
        return EXIT_FAILURE, "out of memory; try a smaller file or a machine with more memory"
    if isinstance(error, OSError) and error.filename is not None:
        return EXIT_FAILURE, (
            f"{error.filename}: {error.strerror or error}; check that the path exists and "
            "that you may read or write it"
        )
    return EXIT_FAILURE, (
        f"unexpected {type(error).__name__}: {_first_lines(str(error)) or '(no message)'}\n"
        f"This is a bug or an unforeseen situation; run again with {DEBUG_VARIABLE}=1 for "
        "the traceback."
    )


def _instance_of(error: BaseException, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(error, cls)


def _first_lines(text: str, lines: int = 2, width: int = 400) -> str:
    """At most ``lines`` lines of ``text`` (a driver error carries its SQL and parameters
    after the first line: those are for a developer, with REGULARS_DEBUG=1)."""
    kept = [line for line in text.strip().splitlines() if line.strip()][:lines]
    if kept and kept[-1].startswith("[SQL:"):
        kept.pop()
    shown = "\n".join(kept)
    return shown if len(shown) <= width else shown[: width - 1] + "…"
