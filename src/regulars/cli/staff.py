"""``regulars staff …``: the console's staff users — add (the first owner), list, disable.

Passwords are typed twice at a hidden prompt, or read from standard input with
``--password-stdin`` (one line: for scripts and provisioning tools). Every change is written
to the audit log as done by the command line's operating-system user.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from regulars.cli.root import console, fail, wired

if TYPE_CHECKING:
    from regulars.services.audit import Actor

app = typer.Typer(
    help="Staff users of the console (/console): roles owner, manager, staff, analyst.",
    no_args_is_help=True,
)

Email = Annotated[str, typer.Argument(help="The staff user's e-mail (they sign in with it)")]


def _actor() -> Actor:
    import getpass

    from regulars.services.audit import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        who = "unknown"
    return Actor("cli", None, who)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise fail("no password on standard input (one line expected)", 2)
        return password
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise fail("the two passwords differ; nothing was changed", 2)
    return str(first)


@app.command("add")
def add(
    email: Email,
    role: Annotated[str, typer.Option(help="owner, manager, staff or analyst")],
    store: Annotated[
        str | None, typer.Option(help="Limit the user to one store (its code); default: all")
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="Limit the user to one department (its code)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="The name shown in the console")] = None,
    language: Annotated[str, typer.Option(help="The console's language: ko or en")] = "ko",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a staff user (the first owner: ``regulars staff add you@example.com --role
    owner``)."""
    from datetime import UTC, datetime

    from regulars.services.errors import ServiceError
    from regulars.services.staff import accounts

    app_ = wired()  # a store that cannot be opened is said before the password is asked
    password = _password(password_stdin)
    with app_.unit_of_work() as uow:
        try:
            user = accounts.add_staff(
                uow, email, role, password, datetime.now(UTC), _actor(), name=name,
                store=store, department=department, language=language,
            )  # fmt: skip
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    where = f"store {user.scope.store}" if user.scope.store else "all stores"
    console.print(f"staff user {user.email}: {user.role.value}, {where}; sign in at /console")


@app.command("list")
def list_staff() -> None:
    """List staff users (never their passwords)."""
    from regulars.services.staff import accounts

    with wired().unit_of_work() as uow:
        users = accounts.list_staff(uow)
    table = Table("id", "e-mail", "name", "role", "store", "department", "language", "active")
    for user in users:
        table.add_row(
            str(user.id),
            user.email,
            user.name or "",
            user.role.value,
            user.scope.store or "all",
            user.scope.department or "",
            user.language,
            "yes" if user.active else "no",
        )
    console.print(table)


def _change(email: str, password_stdin: bool | None = None, **changes: object) -> None:
    """Change the user; with ``password_stdin`` given, ask for a new password (after the
    store opened)."""
    from datetime import UTC, datetime

    from regulars.services.errors import ServiceError
    from regulars.services.staff import accounts

    app_ = wired()
    if password_stdin is not None:
        changes["password"] = _password(password_stdin)
    with app_.unit_of_work() as uow:
        try:
            user = accounts.find_staff(uow, email)
            user = accounts.change_staff(
                uow,
                user.id,
                datetime.now(UTC),
                _actor(),
                **changes,  # type: ignore[arg-type]
            )
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    state = "active" if user.active else "disabled (their sessions ended)"
    console.print(f"staff user {user.email}: {user.role.value}, {state}")


@app.command("disable")
def disable(email: Email) -> None:
    """Stop a staff user from signing in; their open sessions end at once."""
    _change(email, active=False)


@app.command("enable")
def enable(email: Email) -> None:
    """Let a disabled staff user sign in again."""
    _change(email, active=True)


@app.command("password")
def password(
    email: Email,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Set a new password (the user's sessions end)."""
    _change(email, password_stdin=password_stdin)
