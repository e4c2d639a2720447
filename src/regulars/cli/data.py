"""``regulars import …`` and ``regulars export …``: members, purchases, the catalogue and
subscriptions (plans, contracts, plan changes, bills), CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from regulars.cli.root import EXIT_REJECTED, EXIT_USAGE, console, fail, progress_bar, wired

if TYPE_CHECKING:
    from regulars.services.imports.checks import RowError
    from regulars.services.imports.files import Kind

import_app = typer.Typer(
    help="Import members, purchases, the catalogue or subscriptions from a CSV or Parquet file.",
    no_args_is_help=True,
)
export_app = typer.Typer(
    help="Export members or purchases to CSV or Parquet (by suffix).", no_args_is_help=True
)

EXPORT_SUFFIXES = (".csv", ".parquet", ".pq")

FileArg = Annotated[Path, typer.Argument(help="A .csv or .parquet file")]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="Write rejected rows here, with _row, _field, _value and "
        "_reason columns (default: FILE.rejects.csv beside the file)",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="The CSV file's character encoding, e.g. utf-8, cp949 (Korean Excel), euc-kr, "
        "utf-16 (default: detected)",
    ),
]
DelimiterOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="What separates the CSV file's columns: , ; tab or | (default: detected from "
        "the header)",
    ),
]


def _run(
    kind: Kind,
    path: Path,
    rejects: Path | None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> None:
    """Read the file, then open the store and import it. A file that cannot be read fails
    (exit 2) before the store is opened, so that no store file is created for it; rows that
    were rejected end the run with exit 3 once the good ones are in."""
    from regulars.services.imports.files import import_source, read_source

    with console.status(f"reading {path}…"):
        source = read_source(kind, path, encoding=encoding, delimiter=delimiter)
    app = wired()
    rejects = rejects or path.with_name(path.stem + ".rejects.csv")
    with progress_bar(f"importing {kind}") as advance:
        report = import_source(
            kind,
            source,
            app.run_committed,
            timezone=app.settings.timezone,
            rejects=rejects,
            progress=advance,
        )
    console.print(report.summary())
    if report.errors:
        shown = report.sorted_errors()
        for row_error in shown[:20]:
            console.print(f"  [yellow]{escape(_shown(row_error))}[/]")
        if len(shown) > 20:
            console.print(f"  … and {len(shown) - 20:,} more")
        console.print(f"rejected rows written to {rejects}")
        raise typer.Exit(EXIT_REJECTED)


def _shown(row_error: RowError, longest: int = 80) -> str:
    """The error as one line: a long value (a 50 MB cell) is cut, its length said."""
    value = row_error.value
    if value is None or len(value) <= longest:
        return str(row_error)
    cut = f"{value[: longest - 20]!r}… ({len(value):,} characters)"
    return f"row {row_error.row}, {row_error.field} = {cut}: {row_error.reason}"


@import_app.command("members")
def import_members(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import members; re-importing updates changed members and adds nothing twice."""
    _run("members", path, rejects, encoding, delimiter)


@import_app.command("purchases")
def import_purchases(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import purchases (one row per line); purchases already present are skipped."""
    _run("purchases", path, rejects, encoding, delimiter)


@import_app.command("stores")
def import_stores(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import stores and touchpoints: code, name, kind (store|web|app|phone), region."""
    _run("stores", path, rejects, encoding, delimiter)


@import_app.command("departments")
def import_departments(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import departments: code, name."""
    _run("departments", path, rejects, encoding, delimiter)


@import_app.command("employees")
def import_employees(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import employees: code, name, store, department."""
    _run("employees", path, rejects, encoding, delimiter)


@import_app.command("products")
def import_products(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import products: code, name, category."""
    _run("products", path, rejects, encoding, delimiter)


@import_app.command("plans")
def import_plans(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import subscription plans: code, name, monthly_fee, category, commitment_months."""
    _run("plans", path, rejects, encoding, delimiter)


@import_app.command("subscriptions")
def import_subscriptions(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import contracts (one row each); re-importing updates changed ones. A blank
    cancelled_on keeps a stored cancellation. Then `regulars subscriptions invite-exits`."""
    _run("subscriptions", path, rejects, encoding, delimiter)


@import_app.command("plan-changes")
def import_plan_changes(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import plan changes (from plan and fee to plan and fee, on a day); known ones are
    skipped."""
    _run("plan-changes", path, rejects, encoding, delimiter)


@import_app.command("bills")
def import_bills(
    path: FileArg,
    rejects: RejectsOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
) -> None:
    """Import monthly bills and usage (one row per contract and month); months already
    billed are skipped."""
    _run("bills", path, rejects, encoding, delimiter)


def _export_to(path: Path) -> None:
    """Refuse a file type the export cannot write (exit 2) before the store is opened."""
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise fail(
            f"{path}: cannot write {path.suffix or 'a file without a suffix'!r}; export "
            f"writes {', '.join(EXPORT_SUFFIXES)} (CSV opens in Excel)",
            EXIT_USAGE,
        )


@export_app.command("members")
def export_members(path: FileArg) -> None:
    """Export members with the consent in force, in the import format."""
    from regulars.services.imports import export as exporting

    _export_to(path)
    with wired().unit_of_work() as uow:
        console.print(f"{exporting.export(uow, 'members', path):,} members written to {path}")


@export_app.command("purchases")
def export_purchases(path: FileArg) -> None:
    """Export purchases, one row per line, in the import format."""
    from regulars.services.imports import export as exporting

    _export_to(path)
    with wired().unit_of_work() as uow:
        console.print(f"{exporting.export(uow, 'purchases', path):,} rows written to {path}")
