"""``regulars programs …`` (definitions from YAML/JSON files) and ``regulars loyalty …``
(the jobs — accrue, release/expire/tiers, bonuses — and a member's balances)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from regulars.cli.root import console, fail, progress_bar, wired
from regulars.domain.times import as_utc

programs_app = typer.Typer(
    help="Loyalty programs defined as data (YAML or JSON files).", no_args_is_help=True
)
loyalty_app = typer.Typer(help="Loyalty jobs and member balances.", no_args_is_help=True)

NowOpt = Annotated[
    datetime | None, typer.Option(help="Run as of this UTC time (default: now)", formats=None)
]


def _now(value: datetime | None) -> datetime:
    return datetime.now(UTC) if value is None else as_utc(value)


def _definitions(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise fail(f"{path}: cannot read the program file: {error}", 2) from None
    if isinstance(data, dict) and "programs" in data:
        data = data["programs"]
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise fail(f"{path}: expected a program mapping or a list of them", 2)
    return items


@programs_app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON program definitions")],
) -> None:
    """Install programs from files (a changed definition becomes a new version)."""
    from regulars.services.errors import ServiceError
    from regulars.services.loyalty import programs as loyalty_programs

    app = wired()
    with app.unit_of_work() as uow:
        for path in files:
            for definition in _definitions(path):
                try:
                    result = loyalty_programs.install_program(uow, definition)
                except ServiceError as error:
                    raise fail(f"{path}: {error.message}", 2) from None
                state = "installed" if result["changed"] else "unchanged"
                console.print(f"{result['code']} ({result['kind']}) v{result['version']}: {state}")
        uow.commit()


@programs_app.command("demo")
def demo_programs() -> None:
    """Install the demo coffee chain's programs (cashback + tiers, stamp card, discount)."""
    from regulars.demo.programs import install_demo_programs

    app = wired()
    with app.unit_of_work() as uow:
        for result in install_demo_programs(uow):
            console.print(f"{result['code']} ({result['kind']}) v{result['version']}")
        uow.commit()


@programs_app.command("list")
def list_programs() -> None:
    """The programs, their kind, version and budget."""
    from regulars.services.loyalty import programs as loyalty_programs

    with wired().unit_of_work() as uow:
        rows = loyalty_programs.list_programs(uow)
    table = Table("code", "name", "kind", "version", "active", "budget", "issued")
    for r in rows:
        table.add_row(
            r["code"],
            r["name"],
            r["kind"],
            str(r["version"]),
            "yes" if r["active"] else "no",
            "" if r["budget"] is None else f"{r['budget']:,}",
            f"{r['issued']:,}",
        )
    console.print(table)


@loyalty_app.command("accrue")
def accrue(batch: Annotated[int, typer.Option(help="Purchases per transaction")] = 500) -> None:
    """Award points and stamps for every purchase not accrued yet (idempotent)."""
    from regulars.services.loyalty import accrual as loyalty_accrual

    app = wired()
    with progress_bar("accruing purchases") as advance:
        done = loyalty_accrual.accrue_all(app.run_committed, batch, advance)
    console.print(f"accrued {done:,} purchases")


@loyalty_app.command("jobs")
def jobs(now: NowOpt = None) -> None:
    """Release pending points, expire points and vouchers, warn of expiry, evaluate tiers."""
    from regulars.services.loyalty import jobs as loyalty_jobs

    app = wired()
    with app.unit_of_work() as uow:
        result = loyalty_jobs.run_all(uow, _now(now))
        uow.commit()
    console.print_json(json.dumps(result))


@loyalty_app.command("bonuses")
def bonuses(now: NowOpt = None) -> None:
    """Grant signup bonuses and today's birthday bonuses (today in REGULARS_TIMEZONE;
    idempotent)."""
    from regulars.services.loyalty import accrual as loyalty_accrual

    app = wired()
    with app.unit_of_work() as uow:
        result = loyalty_accrual.grant_bonuses(uow, _now(now), timezone=app.settings.timezone)
        uow.commit()
    console.print(f"signup bonuses: {result['signup']:,}, birthday bonuses: {result['birthday']:,}")


@loyalty_app.command("balance")
def balance(member: Annotated[str, typer.Argument(help="The member's id")]) -> None:
    """A member's balances, pending points, stamps and tier in each program."""
    from regulars.services.errors import ServiceError
    from regulars.services.loyalty import accounts as loyalty

    with wired().unit_of_work() as uow:
        try:
            view = loyalty.balances(uow, member)
        except ServiceError as error:
            raise fail(error.message, 2) from None
    table = Table("program", "balance", "pending", "debt", "stamps", "tier")
    for p in view["programs"]:
        table.add_row(
            p["program"],
            f"{p['balance']:,}",
            f"{p['pending']:,}",
            f"{p['debt']:,}",
            str(p["stamps"]),
            p["tier"] or "",
        )
    console.print(table)


@loyalty_app.command("adjust")
def adjust(
    member: Annotated[str, typer.Argument(help="The member's id")],
    program: Annotated[str, typer.Argument(help="The program's code")],
    points: Annotated[int, typer.Argument(help="Points to add (negative: to remove)")],
    reason: Annotated[str, typer.Option(help="Why (required, kept in the ledger)")],
    actor: Annotated[str, typer.Option(help="Who makes the correction")] = "cli",
) -> None:
    """A manual correction with its reason (audited)."""
    from regulars.services.errors import ServiceError
    from regulars.services.loyalty import accounts as loyalty

    app = wired()
    with app.unit_of_work() as uow:
        try:
            result = loyalty.adjust(uow, member, program, points, reason, actor)
        except ServiceError as error:
            raise fail(error.message, 2) from None
        uow.commit()
    console.print(f"{member} in {program}: balance {result['balance']:,}")
