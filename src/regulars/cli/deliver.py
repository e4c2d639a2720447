"""``regulars deliver …``: run the delivery worker; see and replay what could not be sent."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from regulars.cli.root import console, fail, wired

app = typer.Typer(
    help="Deliver outbox events (webhooks, the broker): run the worker, see counts, replay.",
    invoke_without_command=True,
)


@app.callback()
def deliver(
    context: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver everything due now, then exit")
    ] = False,
) -> None:
    """Run the delivery worker until SIGTERM or Ctrl-C (the batch in flight is finished)."""
    if context.invoked_subcommand is not None:
        return
    import signal
    import threading

    app_ = wired()
    worker = app_.delivery_worker()
    stop = threading.Event()
    try:
        if once:
            report = worker.drain()
            worker.prune()
        else:
            for name in (signal.SIGTERM, signal.SIGINT):
                signal.signal(name, lambda number, frame: stop.set())
            console.print("delivering; stop with Ctrl-C or SIGTERM")
            report = worker.run(stop, app_.settings.delivery_poll_seconds)
    finally:
        worker.close()
    console.print(
        f"{report.sent} delivered, {report.retrying} to retry, {report.dead} dead, "
        f"{report.held} events held"
    )


@app.command("status")
def status() -> None:
    """Deliveries pending / sent / failed / dead per channel."""
    from regulars.services.engagement import deliveries

    with wired().unit_of_work() as uow:
        found = deliveries.status(uow)
    table = Table("channel", *deliveries.STATES)
    for channel, counts in sorted(found["channels"].items()):
        table.add_row(channel, *(str(counts[state]) for state in deliveries.STATES))
    console.print(table)
    console.print(f"events not yet dispatched: {found['undispatched']}")


@app.command("failed")
def failed(
    limit: Annotated[int, typer.Option(help="How many to list")] = 100,
) -> None:
    """List dead deliveries (given up on): replay one with 'deliver replay ID'."""
    from regulars.services.engagement import deliveries

    with wired().unit_of_work() as uow:
        dead = deliveries.failed(uow, limit=limit)
    table = Table("id", "event", "topic", "channel", "target", "attempts", "last error")
    for row in dead:
        table.add_row(
            str(row["id"]), str(row["event_id"]), row["topic"] or "", row["channel"],
            row["target"], str(row["attempts"]), row["last_error"] or "",
        )  # fmt: skip
    console.print(table)
    if not dead:
        console.print("no dead deliveries")


@app.command("replay")
def replay(
    delivery_id: Annotated[int, typer.Argument(help="The delivery's id, from 'deliver failed'")],
) -> None:
    """Queue a dead delivery again, due now, with a fresh count of attempts."""
    from datetime import UTC, datetime

    from regulars.services.engagement import deliveries
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            row = deliveries.replay(uow, delivery_id, datetime.now(UTC))
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    console.print(f"delivery {row['id']} ({row['channel']} {row['target']}) queued again")
