"""``regulars demo``: generate the demo coffee chain, load it like a user would, show it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from regulars.bootstrap import App
from regulars.cli.root import console, wired
from regulars.demo.business import DemoBusiness, generate
from regulars.services import overview as overview_service
from regulars.services.importing import Kind, import_file


def demo(
    members: Annotated[int, typer.Option(help="How many members to generate")] = 5_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same business")] = 7,
    out: Annotated[Path, typer.Option(help="Where to write the files and ground truth")] = Path(
        "demo-output"
    ),
) -> None:
    """Generate a coffee chain (members, two years of purchases), import it, and show it."""
    started = time.monotonic()
    app = wired()
    with console.status(f"generating {members:,} members (seed {seed})…"):
        business = generate(members=members, seed=seed)
    files = write_files(business, out)
    console.print(f"wrote the demo files and ground truth to [bold]{out}/[/]")
    load(app, files, out)
    show(app, business, time.monotonic() - started)


def write_files(business: DemoBusiness, out: Path) -> dict[str, Path]:
    """The business as import files, plus ``truth.parquet`` and ``ground_truth.json``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind in ("stores", "departments", "employees", "members", "purchases"):
        path = out / f"{kind}.csv"
        getattr(business, kind).to_csv(path, index=False)
        files[kind] = path
    business.truth.to_parquet(out / "truth.parquet", index=False)
    (out / "ground_truth.json").write_text(
        json.dumps(business.ground_truth(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return files


def load(app: App, files: dict[str, Path], out: Path) -> None:
    """Import the files through the same path ``regulars import`` uses."""
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for kind, path in files.items():
            task = progress.add_task(f"importing {kind}", total=None)

            def advance(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            kind_name: Kind = kind  # type: ignore[assignment]
            report = import_file(
                kind_name,
                path,
                app.unit_of_work,
                timezone=app.settings.timezone,
                rejects=out / f"{kind}.rejects.csv",
                progress=advance,
            )
            if report.errors:
                console.print(f"[yellow]{kind}: {report.summary()}[/]")


def show(app: App, business: DemoBusiness, seconds: float) -> None:
    with app.unit_of_work() as uow:
        figures = overview_service.overview(uow)
        months = overview_service.monthly(uow)
    headline = Table.grid(padding=(0, 2))
    headline.add_row(
        "members",
        f"{figures['members']:,}  "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(figures["members_by_segment"].items())),
    )
    headline.add_row(
        "sales",
        f"{figures['sales']:,} ({figures['purchase_lines']:,} lines), "
        f"{figures['refunds_and_returns']:,} refunds",
    )
    headline.add_row(
        "net revenue", f"₩{figures['net_revenue']:,}  (average check ₩{figures['average_check']:,})"
    )
    headline.add_row(
        "returning customers",
        f"{figures['returning_customers']:,} of "
        f"{figures['buyers']:,} buyers ({figures['returning_share']:.0%})",
    )
    headline.add_row(
        "period", f"{figures['first_purchase']:%Y-%m-%d} … {figures['last_purchase']:%Y-%m-%d}"
    )
    console.print(Panel(headline, title="the demo coffee chain", expand=False))
    stores = Table("store", "name", "purchases", "net revenue (₩)", title="by store")
    for row in figures["by_store"]:
        stores.add_row(
            row["code"], row["name"], f"{row['purchases']:,}", f"{int(row['net_revenue']):,}"
        )
    console.print(stores)
    peak = max(int(months["net_revenue"].max()), 1)
    trend = Table("month", "sales", "active members", "net revenue", title="by month")
    for month, sales, active, revenue in months.itertuples(index=False):
        bar = "█" * round(24 * int(revenue) / peak)
        trend.add_row(str(month), f"{sales:,}", f"{active:,}", f"{bar} ₩{int(revenue):,}")
    console.print(trend)
    console.print(
        f"ground truth: true driver weights {business.weights}; "
        f"the weak spot is {business.complaint_driver}"
    )
    console.print(
        f"done in {seconds:.1f} s — store: {app.engine.url.render_as_string(hide_password=True)}"
    )
