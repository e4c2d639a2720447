"""``regulars keys …``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from regulars.cli.root import console, fail, wired

app = typer.Typer(
    help="API keys with scopes admin, pos, analyst (stored hashed).", no_args_is_help=True
)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key, e.g. 'till-3'")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: admin, pos, analyst")] = "pos",
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    from regulars.services import api_keys

    with wired().unit_of_work() as uow:
        try:
            token, key = api_keys.create(uow, name, scopes)
        except ValueError as error:
            raise fail(str(error), 2) from None
        uow.commit()
    console.print(f"created key {key.prefix} ({', '.join(sorted(key.scopes))}) for {name}:")
    print(token)


@app.command("list")
def list_keys() -> None:
    """List keys (never their secrets)."""
    from regulars.services import api_keys

    with wired().unit_of_work() as uow:
        keys = api_keys.list_keys(uow)
    table = Table("prefix", "name", "scopes", "created", "revoked")
    for key in keys:
        table.add_row(
            key.prefix,
            key.name,
            ",".join(sorted(key.scopes)),
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix, from 'keys list'")],
) -> None:
    """Revoke a key: every later call with it gets 401."""
    from regulars.services import api_keys

    with wired().unit_of_work() as uow:
        try:
            key = api_keys.revoke(uow, prefix)
        except api_keys.InvalidApiKey as error:
            raise fail(str(error), 2) from None
        uow.commit()
    console.print(f"revoked key {key.prefix} ({key.name})")
