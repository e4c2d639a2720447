"""``regulars webhooks …``: register endpoints, rotate their secrets, ping, disable, enable."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from regulars.cli.root import console, fail, wired

app = typer.Typer(
    help="Webhook endpoints (Standard Webhooks, signed; secrets shown once).",
    no_args_is_help=True,
)

EndpointId = Annotated[int, typer.Argument(help="The endpoint's id, from 'webhooks list'")]


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST events (http or https)")],
    events: Annotated[
        str, typer.Option(help="Event types wanted, comma-separated: points.*,case.opened")
    ] = "*",
    description: Annotated[str | None, typer.Option(help="What the endpoint is for")] = None,
) -> None:
    """Register an endpoint and print its id and signing secret (shown only now)."""
    from datetime import UTC, datetime

    from regulars.services.engagement import webhooks
    from regulars.services.errors import ServiceError

    app_ = wired()
    with app_.unit_of_work() as uow:
        try:
            endpoint, secret = webhooks.add(
                uow, app_.sealer, url, datetime.now(UTC), events=events,
                description=description, allow_private=app_.settings.webhook_allow_private,
            )  # fmt: skip
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    console.print(
        f"endpoint {endpoint.id} for {', '.join(endpoint.events)} at {endpoint.url}; "
        "its signing secret (shown only now):"
    )
    print(f"id: {endpoint.id}")
    print(f"secret: {secret}")


@app.command("list")
def list_endpoints() -> None:
    """List endpoints (never their secrets)."""
    from datetime import UTC, datetime

    from regulars.services.engagement import webhooks

    with wired().unit_of_work() as uow:
        endpoints = webhooks.list_endpoints(uow, datetime.now(UTC))
    table = Table("id", "url", "events", "enabled", "failures", "note")
    for endpoint in endpoints:
        note = endpoint.disabled_reason or ""
        if endpoint.rotating_until:
            note = f"old secret valid until {endpoint.rotating_until:%Y-%m-%d %H:%M} UTC"
        table.add_row(
            str(endpoint.id), endpoint.url, ",".join(endpoint.events),
            "yes" if endpoint.enabled else "no", str(endpoint.consecutive_failures), note,
        )  # fmt: skip
    console.print(table)


@app.command("rotate")
def rotate(endpoint_id: EndpointId) -> None:
    """Give an endpoint a new secret (printed once); the old one stays valid for a window."""
    from datetime import UTC, datetime

    from regulars.services.engagement import webhooks
    from regulars.services.errors import ServiceError

    app_ = wired()
    with app_.unit_of_work() as uow:
        try:
            endpoint, secret = webhooks.rotate(
                uow, app_.sealer, endpoint_id, datetime.now(UTC),
                window_hours=app_.settings.webhook_rotation_hours,
            )  # fmt: skip
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    until = endpoint.rotating_until
    console.print(
        f"endpoint {endpoint.id} has a new secret; the old one is valid until "
        f"{until:%Y-%m-%d %H:%M} UTC (shown only now):"
        if until
        else f"endpoint {endpoint.id} has a new secret (shown only now):"
    )
    print(f"secret: {secret}")


@app.command("ping")
def ping(endpoint_id: EndpointId) -> None:
    """Send a signed test event (webhook.ping) now and say what the receiver answered."""
    from datetime import UTC, datetime

    from regulars.services.engagement import webhooks
    from regulars.services.errors import ServiceError

    app_ = wired()
    book = webhooks.EndpointBook(app_.sealer)
    with app_.webhook_channel(book) as channel, app_.unit_of_work() as uow:
        try:
            outcome = webhooks.ping(uow, book, channel, endpoint_id, datetime.now(UTC))
        except ServiceError as error:
            raise fail(error.message, 2) from None
    if not outcome.ok:
        raise fail(f"ping to endpoint {endpoint_id} failed: {outcome.reason}", 1)
    console.print(f"ping to endpoint {endpoint_id} delivered (HTTP {outcome.peer_status})")


@app.command("disable")
def disable(endpoint_id: EndpointId) -> None:
    """Stop sending to an endpoint; its deliveries wait until it is enabled."""
    _switch(endpoint_id, enabled=False)


@app.command("enable")
def enable(endpoint_id: EndpointId) -> None:
    """Send to an endpoint again (its count of failures starts over)."""
    _switch(endpoint_id, enabled=True)


def _switch(endpoint_id: int, *, enabled: bool) -> None:
    from datetime import UTC, datetime

    from regulars.services.engagement import webhooks
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            change = webhooks.enable if enabled else webhooks.disable
            endpoint = change(uow, endpoint_id, datetime.now(UTC))
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    console.print(f"endpoint {endpoint.id} {'enabled' if endpoint.enabled else 'disabled'}")
