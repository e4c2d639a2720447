"""``regulars ledger …``: checks on the points ledger (``verify``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from regulars.cli.root import console, errors, wired

app = typer.Typer(help="Checks on the points ledger.", no_args_is_help=True)


@app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON")] = False,
) -> None:
    """Recompute every balance, pending points, debt and lot from the ledger's entries and
    report any drift (exit 1 if there is one)."""
    from regulars.services.loyalty.verify import verify_ledger

    with wired().unit_of_work() as uow:
        report = verify_ledger(uow)
    if as_json:
        console.print_json(json.dumps(report))
    elif not report["clean"]:
        _print_drift(report)
    checked = (
        f"{report['accounts']:,} accounts, {report['lots']:,} lots, {report['entries']:,} entries"
    )
    if report["clean"]:
        if not as_json:
            console.print(f"ledger clean: {checked}, no drift")
        return
    drifted = len(
        {d["account_id"] for d in report["account_drift"]}
        | {d["account_id"] for d in report["lot_drift"]}
    )
    errors.print(
        f"[bold red]ledger drift:[/] {drifted:,} account(s), "
        f"{len(report['lot_drift']):,} lot(s), {len(report['unbalanced']):,} unbalanced "
        f"transaction(s) in {checked}"
    )
    raise typer.Exit(1)


def _print_drift(report: dict[str, object]) -> None:
    account_drift = report["account_drift"]
    assert isinstance(account_drift, list)
    if account_drift:
        table = Table("account", "member", "program", "field", "cached", "ledger", "lots")
        for d in account_drift:
            table.add_row(
                str(d["account_id"]),
                d["member"],
                d["program"],
                d["field"],
                f"{d['cached']:,}",
                f"{d['ledger']:,}",
                "" if d["lots"] is None else f"{d['lots']:,}",
            )
        console.print(table)
    lot_drift = report["lot_drift"]
    assert isinstance(lot_drift, list)
    if lot_drift:
        table = Table("lot", "account", "remaining", "ledger", "closed")
        for d in lot_drift:
            table.add_row(
                str(d["lot_id"]),
                str(d["account_id"]),
                f"{d['remaining']:,}",
                f"{d['ledger']:,}",
                "yes" if d["closed"] else "no",
            )
        console.print(table)
    unbalanced = report["unbalanced"]
    assert isinstance(unbalanced, list)
    for u in unbalanced:
        console.print(f"transaction {u['transaction_id']}: entries sum to {u['sum']:,}")
