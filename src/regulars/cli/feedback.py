"""``regulars feedback …``: surveys, invitations, answer imports and follow-up cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from regulars.cli.root import EXIT_REJECTED, console, errors, fail, progress_bar, wired
from regulars.domain.feedback.surveys import DEFAULT_COOLDOWN

app = typer.Typer(
    help="Surveys (NPS, CSAT, drivers), invitations, answer imports and detractor follow-up.",
    no_args_is_help=True,
)


@app.command("define")
def define(
    path: Annotated[Path, typer.Argument(help="A YAML or JSON file: one survey or a list")],
) -> None:
    """Create or replace surveys from a file (fields: code, name, nps, csat, drivers,
    ask_importance, wallet_category, intent_rebuy, test_opt_in, after_purchase_delay_hours,
    sampling, link_validity_days, active, kind: feedback or exit)."""
    from regulars.services.errors import ServiceError
    from regulars.services.feedback import surveys as survey_service

    application = wired()
    try:
        with application.unit_of_work() as uow:
            for data in survey_service.load_definitions(path):
                shown, new = survey_service.define_survey(uow, data, datetime.now(UTC))
                verb = "created" if new else "updated"
                console.print(f"{shown['code']}: {verb}, asks {', '.join(shown['questions'])}")
            uow.commit()
    except ServiceError as error:
        raise fail(error.message) from None


@app.command("surveys")
def list_surveys() -> None:
    """The surveys and what each asks."""
    from regulars.services.feedback import surveys as survey_service

    with wired().unit_of_work() as uow:
        found = survey_service.list_surveys(uow)
    table = Table("code", "name", "active", "sampling", "questions")
    for s in found:
        table.add_row(
            s["code"], s["name"], str(s["active"]), f"{s['sampling']:.0%}", str(len(s["questions"]))
        )
    console.print(table)


@app.command("invite")
def invite(
    survey: Annotated[str, typer.Argument(help="The survey's code")],
    wave: Annotated[
        str | None, typer.Option(help="Invite a periodic wave of this name (e.g. 2026-Q4)")
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Wave: only this segment")] = None,
    lookback_days: Annotated[float, typer.Option(help="After purchase: how far back")] = 7,
    cooldown_days: Annotated[
        float, typer.Option(help="Ask nobody more often than this (all surveys)")
    ] = DEFAULT_COOLDOWN.days,
    base_url: Annotated[
        str, typer.Option(envvar="REGULARS_PUBLIC_URL", help="Where the answer page is served")
    ] = "http://127.0.0.1:8000",
    show_links: Annotated[bool, typer.Option(help="Print the links made")] = False,
) -> None:
    """Invite members who bought recently (default) or a wave; messages go to the outbox."""
    from regulars.services.errors import ServiceError
    from regulars.services.feedback import dispatch as surveys_dispatch

    application = wired()
    now = datetime.now(UTC)
    secret = application.settings.secret_key
    if secret == "change-me":
        errors.print(
            "[yellow]warning:[/] REGULARS_SECRET_KEY is the default: anyone who knows it can "
            "forge survey links. Set a long random value before inviting real customers."
        )
    try:
        with application.unit_of_work() as uow:
            if wave:
                report = surveys_dispatch.invite_wave(
                    uow,
                    survey,
                    wave,
                    now,
                    secret=secret,
                    base_url=base_url,
                    segment=segment,
                    cooldown=timedelta(days=cooldown_days),
                )
            else:
                report = surveys_dispatch.invite_after_purchases(
                    uow,
                    survey,
                    now,
                    secret=secret,
                    base_url=base_url,
                    lookback=timedelta(days=lookback_days),
                    cooldown=timedelta(days=cooldown_days),
                )
            uow.commit()
    except ServiceError as error:
        raise fail(error.message) from None
    skipped = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in report.skipped.items())
    console.print(f"{report.invited:,} invited" + (f"; skipped: {skipped}" if skipped else ""))
    if show_links:
        for link in report.links:
            console.print(link, soft_wrap=True)


@app.command("import")
def import_answers(
    path: Annotated[Path, typer.Argument(help="A .csv or .parquet file of answers")],
    rejects: Annotated[
        Path | None, typer.Option(help="Rejected rows (default: FILE.rejects.csv)")
    ] = None,
) -> None:
    """Import answers (phone or SMS surveys), one row per answered question; re-importing
    adds nothing twice, and every new detractor opens a case."""
    from regulars.services.imports import answers as feedback_import
    from regulars.services.imports.tabular import UnreadableFile

    application = wired()
    rejects = rejects or path.with_name(path.stem + ".rejects.csv")
    with progress_bar("importing answers") as advance:
        try:
            report = feedback_import.import_answers_file(
                path,
                application.run_committed,
                timezone=application.settings.timezone,
                rejects=rejects,
                progress=advance,
            )
        except UnreadableFile as unreadable:
            raise fail(str(unreadable), 2) from None
    console.print(feedback_import.summary(report))
    if report.errors:
        shown = report.sorted_errors()
        for row_error in shown[:20]:
            console.print(f"  [yellow]{row_error}[/]")
        if len(shown) > 20:
            console.print(f"  … and {len(shown) - 20:,} more")
        console.print(f"rejected rows written to {rejects}")
        raise typer.Exit(EXIT_REJECTED)  # good rows kept, some refused: like the other imports
    if rejects.exists():
        rejects.unlink()


@app.command("cases")
def list_cases(
    status: Annotated[
        list[str] | None, typer.Option(help="open, in_progress, resolved, closed (repeatable)")
    ] = None,
    store: Annotated[str | None, typer.Option(help="Only this store's")] = None,
    department: Annotated[str | None, typer.Option(help="Only this department's")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open cases past their due time")] = False,
    limit: Annotated[int, typer.Option(help="At most this many")] = 50,
) -> None:
    """Follow-up cases opened by detractors, oldest first."""
    from regulars.services.feedback import cases as case_service

    try:
        with wired().unit_of_work() as uow:
            found = case_service.list_cases(
                uow,
                status=status or [],
                store=store,
                department=department,
                overdue_at=datetime.now(UTC) if overdue else None,
                limit=limit,
            )
    except ValueError as error:
        raise fail(str(error)) from None
    table = Table("id", "score", "status", "store", "dept", "member", "due", "owner", "reason")
    for c in found:
        table.add_row(
            str(c["id"]),
            str(c["score"]),
            c["status"],
            c["store"] or "",
            c["department"] or "",
            c["member_id"] or "",
            c["due_at"].strftime("%Y-%m-%d %H:%M"),
            c["owner"] or "",
            (c["reason"] or "")[:40],
        )
    console.print(table)
    console.print(f"{len(found):,} case(s)")


@app.command("case")
def case(
    case_id: Annotated[int, typer.Argument(help="The case's id")],
    status: Annotated[
        str | None, typer.Option(help="Move to open, in_progress, resolved or closed")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Who handles it")] = None,
    note: Annotated[str | None, typer.Option(help="Add a note")] = None,
    author: Annotated[str, typer.Option(help="Who writes the note")] = "staff",
) -> None:
    """Show a case; with options, update it."""
    from regulars.services.errors import ServiceError
    from regulars.services.feedback import cases as case_service

    application = wired()
    try:
        with application.unit_of_work() as uow:
            if status is None and owner is None and note is None:
                shown = case_service.get_case(uow, case_id)
            else:
                shown = case_service.update_case(
                    uow,
                    case_id,
                    datetime.now(UTC),
                    status=status,
                    owner=owner,
                    note=note,
                    author=author,
                )
                uow.commit()
    except ServiceError as error:
        raise fail(error.message) from None
    for key in ("id", "score", "status", "owner", "store", "department", "employee", "member_id"):
        console.print(f"{key:>10}: {shown[key] if shown[key] is not None else ''}")
    console.print(f"{'reason':>10}: {shown['reason'] or ''}")
    console.print(f"{'due':>10}: {shown['due_at']:%Y-%m-%d %H:%M} UTC")
    for n in shown["notes"]:
        console.print(f"  {n['at']:%Y-%m-%d %H:%M} {n['author']}: {n['text']}")
