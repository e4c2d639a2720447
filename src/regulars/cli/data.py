"""``regulars import …`` and ``regulars export …``: members and purchases, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from regulars.cli.root import console, fail, progress_bar, wired

if TYPE_CHECKING:
    from regulars.services.imports.files import Kind

import_app = typer.Typer(
    help="Import members or purchases from a CSV or Parquet file.", no_args_is_help=True
)
export_app = typer.Typer(
    help="Export members or purchases to CSV or Parquet (by suffix).", no_args_is_help=True
)

FileArg = Annotated[Path, typer.Argument(help="A .csv or .parquet file")]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="Write rejected rows here, with _row, _field, _value and "
        "_reason columns (default: FILE.rejects.csv beside the file)",
    ),
]


def _run(kind: Kind, path: Path, rejects: Path | None) -> None:
    from regulars.services.imports.files import import_file
    from regulars.services.imports.tabular import UnreadableFile

    app = wired()
    rejects = rejects or path.with_name(path.stem + ".rejects.csv")
    with progress_bar(f"importing {kind}") as advance:
        try:
            report = import_file(
                kind,
                path,
                app.unit_of_work,
                timezone=app.settings.timezone,
                rejects=rejects,
                progress=advance,
            )
        except UnreadableFile as unreadable:
            raise fail(str(unreadable), 2) from None
    console.print(report.summary())
    if report.errors:
        shown = report.sorted_errors()
        for row_error in shown[:20]:
            console.print(f"  [yellow]{row_error}[/]")
        if len(shown) > 20:
            console.print(f"  … and {len(shown) - 20:,} more")
        console.print(f"rejected rows written to {rejects}")


@import_app.command("members")
def import_members(path: FileArg, rejects: RejectsOpt = None) -> None:
    """Import members; re-importing updates changed members and adds nothing twice."""
    _run("members", path, rejects)


@import_app.command("purchases")
def import_purchases(path: FileArg, rejects: RejectsOpt = None) -> None:
    """Import purchases (one row per line); purchases already present are skipped."""
    _run("purchases", path, rejects)


@import_app.command("stores")
def import_stores(path: FileArg, rejects: RejectsOpt = None) -> None:
    """Import stores and touchpoints: code, name, kind (store|web|app|phone), region."""
    _run("stores", path, rejects)


@import_app.command("departments")
def import_departments(path: FileArg, rejects: RejectsOpt = None) -> None:
    """Import departments: code, name."""
    _run("departments", path, rejects)


@import_app.command("employees")
def import_employees(path: FileArg, rejects: RejectsOpt = None) -> None:
    """Import employees: code, name, store, department."""
    _run("employees", path, rejects)


@import_app.command("products")
def import_products(path: FileArg, rejects: RejectsOpt = None) -> None:
    """Import products: code, name, category."""
    _run("products", path, rejects)


@export_app.command("members")
def export_members(path: FileArg) -> None:
    """Export members with the consent in force, in the import format."""
    from regulars.services.imports import export as exporting

    with wired().unit_of_work() as uow:
        console.print(f"{exporting.export(uow, 'members', path):,} members written to {path}")


@export_app.command("purchases")
def export_purchases(path: FileArg) -> None:
    """Export purchases, one row per line, in the import format."""
    from regulars.services.imports import export as exporting

    with wired().unit_of_work() as uow:
        console.print(f"{exporting.export(uow, 'purchases', path):,} rows written to {path}")
