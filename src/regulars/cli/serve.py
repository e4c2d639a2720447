"""``regulars serve`` and ``regulars migrate``."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.root import console, wired


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    wired()  # migrate once, before the workers start
    console.print(f"regulars API on http://{host}:{port}  (docs: /docs)")
    uvicorn.run("regulars.api.asgi:api", host=host, port=port, workers=workers, log_level="warning")


def migrate() -> None:
    """Bring the store's schema up to date (every command does this by itself too)."""
    app = wired()
    console.print(f"schema up to date at {app.engine.url.render_as_string(hide_password=True)}")
