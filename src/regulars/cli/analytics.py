"""``regulars report``, ``nps``, ``drivers``, ``themes``, ``staff``: loyalty analytics."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from regulars.cli.root import EXIT_FAILURE, EXIT_USAGE, console, fail, iso_date, wired

BenchmarkOpt = Annotated[
    float | None,
    typer.Option(help="Your niche's NPS benchmark: the report says whether you are above it"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def register(app: typer.Typer) -> None:
    """Add the analytics commands to the root app."""
    app.command("report")(report)
    app.command("nps")(nps)
    app.command("drivers")(drivers)
    app.command("themes")(themes)
    app.command("staff")(staff)


def report(
    out: Annotated[Path, typer.Option(help="Folder for report.html and report.json")] = Path(
        "report"
    ),
    benchmark: BenchmarkOpt = None,
    min_answers: Annotated[
        int, typer.Option(min=1, help="Answers an employee needs to be ranked on the leaderboard")
    ] = 30,
    as_of: Annotated[
        date | None,
        typer.Option(
            parser=iso_date, help="Date the report is as of (default: the latest purchase)"
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            help="ko or en (default: REGULARS_REPORT_LANGUAGE, else REGULARS_ALERT_LANGUAGE, "
            "else ko)"
        ),
    ] = None,
    period_days: Annotated[
        int,
        typer.Option(
            min=1, max=366, help="Days of the period the summary compares with the one before"
        ),
    ] = 30,
    at_risk: Annotated[
        int, typer.Option(min=1, max=1000, help="Members each list of members to call names")
    ] = 20,
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="A folder of subscription files (Parquet/CSV: subscriptions, bills, "
            "plan_changes, members, answers, cases): the churn part computed from them by "
            "DuckDB, without the store",
        ),
    ] = None,
    spark: Annotated[
        bool, typer.Option("--spark", help="With --from: read the files with Spark (local)")
    ] = False,
) -> None:
    """Write the loyalty briefing: a self-contained HTML page (works offline) and its JSON."""
    from datetime import UTC, datetime

    from regulars.analytics.report import ReportOptions
    from regulars.config import Settings
    from regulars.services.briefing.build import BriefingOptions, briefing
    from regulars.services.briefing.files import write_briefing
    from regulars.services.briefing.formatting import Formatter

    started = time.monotonic()
    settings = Settings.from_env()
    try:
        formatter = Formatter(
            language or settings.report_language, settings.timezone, settings.currency
        )
    except ValueError as error:  # before the store is opened: a usage error leaves no trace
        raise fail(str(error), EXIT_USAGE) from None
    options = BriefingOptions(
        ReportOptions(benchmark=benchmark, min_answers=min_answers), period_days, at_risk
    )
    if spark and source is None:
        raise fail("--spark reads the files of --from DIR: give --from too", EXIT_USAGE)
    if source is not None:
        found = _report_from_files(source, spark, settings, as_of, options)
    else:
        app = wired()
        with console.status("computing the loyalty report…"), app.unit_of_work() as uow:
            found = briefing(
                uow,
                datetime.now(UTC),
                timezone=app.settings.timezone,
                as_of=as_of,
                options=options,
            )
    paths = write_briefing(found, formatter, out)
    if found.empty:
        raise fail(
            "the store holds no purchases or answers yet — import data first "
            "(regulars import members/purchases, regulars feedback import); "
            f"{paths['html']} says how",
            EXIT_FAILURE,
        )
    headline = found.report["nps"]
    if headline.get("n"):
        console.print(
            f"NPS {headline['nps']:.1f} ± {headline['margin']:.1f} "
            f"(95 %: {headline['low']:.1f} to {headline['high']:.1f}, "
            f"n = {headline['n']:,}), {headline['band']}"
        )
    for sentence in found.summary.moved:
        console.print(formatter.say(sentence))
    console.print(
        f"wrote {paths['html']} and {paths['json']} in {time.monotonic() - started:.1f} s"
    )


def _report_from_files(
    folder: Path, spark: bool, settings: Any, as_of: date | None, options: Any
) -> Any:
    """The briefing of a folder of subscription files: its churn part computed where the
    files are (DuckDB, or Spark); the other parts read an empty store, since the files hold
    no purchases or answers of the store's kind."""
    import dataclasses
    import tempfile
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from regulars.analytics.subscriptions.engines import SparkSubscriptions, SubscriptionFiles
    from regulars.bootstrap import build
    from regulars.config import Settings
    from regulars.services.briefing.build import briefing
    from regulars.services.briefing.churn import FileChurn, churn_view_of

    day = as_of or datetime.now(ZoneInfo(settings.timezone)).date()
    try:
        if spark:
            from regulars.analytics.clv.engines import local_spark

            engine: Any = SparkSubscriptions.from_folder(local_spark("regulars-report"), folder)
        else:
            engine = SubscriptionFiles(folder)
    except FileNotFoundError as error:
        raise fail(str(error), EXIT_USAGE) from None
    with console.status("computing the churn part from the files…"):
        try:
            view = churn_view_of(FileChurn(engine, settings.timezone), day)
        except ValueError as error:
            raise fail(f"{folder}: {error}", EXIT_USAGE) from None
    if view is None:
        raise fail(
            f"{folder}: no contract had been cancelled by {day.isoformat()}: there is no "
            "churn to report",
            EXIT_FAILURE,
        )
    with tempfile.TemporaryDirectory() as scratch:
        empty = build(Settings(database_url=f"sqlite:///{scratch}/empty.db"))
        try:
            with empty.unit_of_work() as uow:
                found = briefing(
                    uow, datetime.now(UTC), timezone=settings.timezone, as_of=day, options=options
                )
        finally:
            empty.engine.dispose()
    return dataclasses.replace(found, churn=view)


def nps(
    by: Annotated[
        str | None,
        typer.Option(
            help="Break down by segment, region, store, channel, department, employee, "
            "month or week"
        ),
    ] = None,
    trend: Annotated[str | None, typer.Option(help="week or month")] = None,
    benchmark: BenchmarkOpt = None,
    compare: Annotated[
        str | None,
        typer.Option(
            help="Two groups of --by to test against each other: vip,individual or "
            "2026-09,2026-10 (with --by month)"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The NPS with its margin of error and 95 % interval; optionally a breakdown or trend."""
    from regulars.services import analytics as analytics_service

    if compare is not None:
        _compare(by, compare, as_json)
        return
    with wired().unit_of_work() as uow:
        result = _call(analytics_service.nps_summary, uow, by, trend, benchmark)
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
        return
    if not result["n"]:
        console.print("no NPS answers yet")
        return
    console.print(
        f"NPS [bold]{result['nps']:.1f}[/] ± {result['margin']:.1f} "
        f"(95 %: {result['low']:.1f} to {result['high']:.1f}), n = {result['n']:,}: "
        f"{result['promoters']:,} promoters, {result['passives']:,} passives, "
        f"{result['detractors']:,} detractors — {result['band']}"
    )
    if benchmark is not None:
        console.print(f"against the benchmark {benchmark:g}: {result['against_benchmark']}")
    for key in ("by", "trend"):
        if result.get(key):
            _print(result[key], ["n", "nps", "low", "high"])


def _compare(by: str | None, compare: str, as_json: bool) -> None:
    from regulars.services import analytics as analytics_service

    groups = [g.strip() for g in compare.split(",")]
    if by is None or len(groups) != 2:
        raise fail("--compare needs --by and two groups: --by segment --compare vip,individual", 2)
    with wired().unit_of_work() as uow:
        result = _call(analytics_service.nps_comparison, uow, by, groups[0], groups[1])
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
        return
    for side in ("first", "second"):
        g = result[side]
        console.print(
            f"{by} {g['group']}: NPS {g['nps']:.1f} (95 %: {g['low']:.1f} to {g['high']:.1f}), "
            f"n = {g['n']:,}"
        )
    verdict = "they differ" if result["significant"] else "no significant difference"
    console.print(
        f"difference {result['difference']:.1f} points (95 %: {result['low']:.1f} to "
        f"{result['high']:.1f}), z = {result['z']:.2f}, p = {result['p_value']:.3g}: {verdict}"
    )


def drivers(as_json: JsonOpt = False) -> None:
    """Driver importance (relative weights, LMG), the IPA matrix and what to fix first."""
    from regulars.services import analytics as analytics_service

    with wired().unit_of_work() as uow:
        rows = _call(analytics_service.driver_analysis, uow)
    _show(
        rows,
        as_json,
        "no driver ratings yet",
        ["fix_rank", "driver", "share", "lmg_share", "satisfaction", "quadrant"],
    )


def themes(
    top: Annotated[int, typer.Option(help="How many themes per language")] = 10,
    min_answers: Annotated[int, typer.Option(help="Answers a term needs to be shown")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """What detractors say that promoters do not (Korean and English), with NPS impact."""
    from regulars.services import analytics as analytics_service

    with wired().unit_of_work() as uow:
        rows = _call(analytics_service.comment_themes, uow, top, min_answers)
    _show(
        rows,
        as_json,
        "no comments yet",
        ["language", "term", "detractors", "promoters", "z", "impact", "examples"],
    )


def staff(
    by: Annotated[str, typer.Option(help="employee, department, store or channel")] = "employee",
    min_answers: Annotated[int, typer.Option(help="Answers needed to be ranked")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Per-employee (or department) NPS and CSAT with intervals: the bonus leaderboard."""
    from regulars.services import analytics as analytics_service

    with wired().unit_of_work() as uow:
        rows = _call(analytics_service.staff_leaderboard, uow, by, min_answers)
    _show(
        rows,
        as_json,
        "no answers naming staff yet",
        ["rank", by, "n", "nps", "low", "high", "csat", "eligible"],
    )


def _show(rows: list[dict[str, Any]], as_json: bool, empty: str, columns: list[str]) -> None:
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
    elif not rows:
        console.print(empty)
    else:
        _print(rows, columns)


def _call(function: Any, *args: Any) -> Any:
    from regulars.services.errors import ServiceError

    try:
        return function(*args)
    except ServiceError as error:
        raise fail(str(error), 2) from None


def _print(rows: list[dict[str, Any]], columns: list[str]) -> None:
    columns = [c for c in columns if c in rows[0]] or list(rows[0])
    extra = [
        c
        for c in rows[0]
        if c not in columns
        and c in ("period", "segment", "region", "store", "channel", "department", "employee")
    ]
    table = Table(*extra, *columns)
    for row in rows:
        table.add_row(*(_text(row.get(c)) for c in (*extra, *columns)))
    console.print(table)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list):
        return " / ".join(map(str, value))[:80]
    return str(value)
