"""``regulars subscriptions …``: a member's contracts, why members leave, the exit survey's
invitations, and the churn features and survival table (from the store or from files).

The files themselves come in with ``regulars import plans|subscriptions|plan-changes|bills``
(:mod:`regulars.cli.data`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from regulars.cli.root import EXIT_USAGE, console, errors, fail, iso_date, wired

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    help="Contracts, why members leave, the exit survey, churn features and survival.",
    no_args_is_help=True,
)

OUT_SUFFIXES = (".csv", ".parquet", ".pq")
AsOf = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        parser=iso_date,
        help="The observation day, YYYY-MM-DD (default: today in REGULARS_TIMEZONE)",
    ),
]
FromDir = Annotated[
    Path | None,
    typer.Option(
        "--from",
        help="A folder of Parquet/CSV files (subscriptions, bills, plan_changes, members, "
        "answers, cases) read by DuckDB instead of the store",
    ),
]
Out = Annotated[Path, typer.Option("--out", help="Write the table here (.csv or .parquet)")]


def _money(amount: Any) -> str:
    return "" if amount is None else f"{int(amount):,}"


@app.command("show")
def show(
    member: Annotated[str, typer.Argument(help="The member's id")],
    bills: Annotated[int, typer.Option(min=0, max=24, help="Latest bills to list")] = 6,
    as_json: Annotated[bool, typer.Option("--json", help="Everything, as JSON")] = False,
) -> None:
    """A member's contracts: plan, fee, commitment, cancellation, plan changes, latest bills
    and exit-survey answers."""
    from regulars.services.subscriptions import recording

    with wired().unit_of_work() as uow:
        found = recording.member_subscriptions(uow, member)
    if as_json:
        console.print_json(json.dumps(found, default=str, ensure_ascii=False))
        return
    if not found["subscriptions"]:
        console.print(f"{escape(member)} has no contracts")
        return
    for contract in found["subscriptions"]:
        ended = contract["cancelled_on"]
        status = (
            f"cancelled {ended} ({contract['cancel_reason'] or 'no reason given'})"
            if ended
            else "active"
        )
        console.print(
            f"[bold]{escape(contract['subscription_id'])}[/] {escape(contract['plan'])} "
            f"at {_money(contract['monthly_fee'])} a month since {contract['started_on']}"
            + (
                f", committed until {contract['committed_until']}"
                if contract["committed_until"]
                else ""
            )
            + f" — {status}"
        )
        for change in contract["plan_changes"]:
            console.print(
                f"  {change['changed_on']}: {escape(change['from_plan'])} "
                f"({_money(change['fee_before'])}) → {escape(change['to_plan'])} "
                f"({_money(change['fee_after'])})"
            )
        if contract["bills"][:bills]:
            table = Table("month", "billed", "data GB", "voice min", "usage")
            for bill in contract["bills"][:bills]:
                table.add_row(
                    str(bill["month"])[:7],
                    _money(bill["amount"]),
                    *(
                        "" if bill[k] is None else f"{bill[k]:g}"
                        for k in ("data_gb", "voice_minutes", "usage")
                    ),
                )
            console.print(table)
        for answer in contract["exit_answers"]:
            named = f", to {answer['competitor']}" if answer["competitor"] else ""
            said = f": “{answer['comment']}”" if answer["comment"] else ""
            console.print(f"  left for {answer['reason']}{escape(named)}{escape(said)}")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


@app.command("reasons")
def reasons(
    by: Annotated[
        str | None, typer.Option(help="Break down by plan, segment or month of cancellation")
    ] = None,
    since: Annotated[
        date | None, typer.Option(parser=iso_date, help="Cancelled on or after (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        date | None, typer.Option(parser=iso_date, help="Cancelled on or before (YYYY-MM-DD)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON")] = False,
) -> None:
    """Why members leave: each reason's share of cancellations with a 95 % interval, and the
    competitor named most — overall and by plan, segment or month."""
    from regulars.services.subscriptions import analysis

    with wired().unit_of_work() as uow:
        found = analysis.reasons(uow, by=by, since=since, until=until)
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    if not found["cancellations"]:
        console.print("no cancelled contracts in that period")
        return
    table = Table("group", "reason", "count", "share", "95% interval")
    for group in found["groups"]:
        label = f"{group['group']} ({group['with_reason']:,} of {group['cancellations']:,})"
        for reason in group["reasons"]:
            interval = f"{_pct(reason['low'])}–{_pct(reason['high'])}"
            table.add_row(
                label, reason["reason"], f"{reason['count']:,}", _pct(reason["share"]), interval
            )
            label = ""
        rival = group["competitor"]
        if rival:
            interval = f"{_pct(rival['low'])}–{_pct(rival['high'])}"
            table.add_row(
                "",
                f"[bold]competitor named most: {escape(rival['name'])}[/]",
                f"{rival['count']:,} of {rival['named']:,}",
                _pct(rival["share"]),
                interval,
            )
        table.add_section()
    console.print(table)


@app.command("invite-exits")
def invite_exits(
    survey: Annotated[
        str | None, typer.Option(help="The exit survey's code (default: every active one)")
    ] = None,
    lookback_days: Annotated[
        int, typer.Option(min=0, max=3650, help="Contracts cancelled this many days back")
    ] = 30,
    base_url: Annotated[
        str, typer.Option(envvar="REGULARS_PUBLIC_URL", help="Where the answer page is served")
    ] = "http://127.0.0.1:8000",
    show_links: Annotated[bool, typer.Option(help="Print the links made")] = False,
) -> None:
    """Invite the members of recently cancelled contracts to the exit survey ("why are you
    leaving?"); once per contract, so cron may run it daily. Messages go to the outbox."""
    from regulars.services.subscriptions import exits

    application = wired()
    if application.settings.secret_key == "change-me":
        errors.print(
            "[yellow]warning:[/] REGULARS_SECRET_KEY is the default: anyone who knows it can "
            "forge survey links. Set a long random value before inviting real customers."
        )
    with application.unit_of_work() as uow:
        report = exits.invite_after_cancellations(
            uow,
            datetime.now(UTC),
            secret=application.settings.secret_key,
            base_url=base_url,
            timezone=application.settings.timezone,
            survey=survey,
            lookback_days=lookback_days,
        )
        uow.commit()
    skipped = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in report.skipped.items())
    console.print(f"{report.invited:,} invited" + (f"; skipped: {skipped}" if skipped else ""))
    if show_links:
        for link in report.links:
            console.print(link, soft_wrap=True)


def _writable(path: Path) -> None:
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise fail(
            f"{path}: cannot write {path.suffix or 'a file without a suffix'!r}; write "
            f"{', '.join(OUT_SUFFIXES)}",
            EXIT_USAGE,
        )


def _write(frame: pd.DataFrame, path: Path, what: str) -> None:
    from regulars.services.imports.tabular import write_table

    try:
        write_table(frame, path)
    except OSError as error:
        raise fail(f"{path}: cannot write it: {error.strerror or error}") from None
    console.print(f"{len(frame):,} {what} written to {path}")


def _today(timezone: str) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()


def _files(folder: Path) -> Any:
    from regulars.analytics.subscriptions.engines import SubscriptionFiles

    try:
        return SubscriptionFiles(folder)
    except FileNotFoundError as error:
        raise fail(str(error), EXIT_USAGE) from None


@app.command("features")
def features(
    out: Out,
    as_of: AsOf = None,
    source: FromDir = None,
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of usage trend")] = 6,
    usage: Annotated[
        str, typer.Option(help="The usage figure of the trend: data_gb, voice_minutes or usage")
    ] = "data_gb",
) -> None:
    """Every subscriber's churn features (one row per contract: tenure, plan, fee, usage and
    bill trends, plan changes, cases, latest NPS and driver ratings, survival time)."""
    from regulars.config import Settings

    _writable(out)
    if source is not None:
        from regulars.analytics.subscriptions import subscriber_features
        from regulars.services.subscriptions.analysis import local_offset_hours

        settings = Settings.from_env()
        day = as_of or _today(settings.timezone)
        try:
            frame = subscriber_features(
                _files(source),
                day,
                months=months,
                usage=usage,
                utc_offset_hours=local_offset_hours(settings.timezone, day),
            )
        except ValueError as error:
            raise fail(str(error), EXIT_USAGE) from None
    else:
        from regulars.services.subscriptions import analysis

        application = wired()
        day = as_of or _today(application.settings.timezone)
        with application.unit_of_work() as uow:
            frame = analysis.features(
                uow, day, timezone=application.settings.timezone, months=months, usage=usage
            )
    _write(frame, out, f"subscribers' features as of {day}")


@app.command("survival")
def survival(out: Out, as_of: AsOf = None, source: FromDir = None) -> None:
    """The monthly survival table per start cohort (active at month t), what the sBG and
    BdW cohort models are fitted on."""
    _writable(out)
    if source is not None:
        from regulars.analytics.subscriptions import cohort_survival
        from regulars.config import Settings

        day = as_of or _today(Settings.from_env().timezone)
        frame = cohort_survival(_files(source), day)
    else:
        from regulars.services.subscriptions import analysis

        application = wired()
        day = as_of or _today(application.settings.timezone)
        with application.unit_of_work() as uow:
            frame = analysis.survival(uow, day)
    _write(frame, out, f"cohort months as of {day}")


def print_scoring(run: Any) -> None:
    """What a churn scoring wrote, and the hazard ratios it found."""
    models = ", ".join(f"{n:,} by {m}" for m, n in sorted(run.models.items()))
    console.print(
        f"churn scores of {run.scored:,} active contracts as of {run.as_of} "
        f"(fitted on {run.contracts:,}; {models})"
    )
    table = Table("covariate", "hazard ratio", "95% interval", "p")
    for row in run.outlook.cox.hazard_ratios_.itertuples():
        table.add_row(
            escape(str(row.covariate)),
            f"{row.hazard_ratio:.3f}",
            f"{row.lower_95:.3f}–{row.upper_95:.3f}",
            f"{row.p:.3g}",
        )
    console.print(table)


@app.command("score")
def score(as_of: AsOf = None) -> None:
    """Fit the churn model (Cox on the churn features) and replace every active contract's
    stored scores: P(cancel in 30 and 90 days), median residual life in days, loyalty index
    and band."""
    from regulars.services.subscriptions import scoring

    application = wired()
    day = as_of or _today(application.settings.timezone)
    with application.unit_of_work() as uow:
        with console.status("fitting the churn model…"):
            run = scoring.score_subscriptions(
                uow, day, datetime.now(UTC), timezone=application.settings.timezone
            )
        uow.commit()
    print_scoring(run)
