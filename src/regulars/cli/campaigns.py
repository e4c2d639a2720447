"""``regulars campaigns …``: define campaigns from YAML/JSON, preview their audience, launch,
pause and end them, run the daily job, and read their measured effect."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from regulars.cli.root import console, fail, iso_time, wired
from regulars.domain.engagement.channels import channel_order
from regulars.domain.times import as_utc

app = typer.Typer(
    help="Campaigns: targeted by scores, stages and answers; capped, consented, measured.",
    no_args_is_help=True,
)

NowOpt = Annotated[
    datetime | None,
    typer.Option(parser=iso_time, help="Run as of this time (ISO 8601, UTC if naive); now"),
]


def _now(value: datetime | None) -> datetime:
    return datetime.now(UTC) if value is None else as_utc(value)


def _definitions(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise fail(f"{path}: cannot read the campaign file: {error}", 2) from None
    if isinstance(data, dict) and "campaigns" in data:
        data = data["campaigns"]
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise fail(f"{path}: expected a campaign mapping or a list of them", 2)
    return items


def _service_error(error: Any) -> typer.Exit:
    """A business error (a ``ServiceError``) as the CLI says it: its message, exit 2."""
    return fail(str(error.message), 2)


@app.command("load")
def load(files: Annotated[list[Path], typer.Argument(help="YAML or JSON campaign files")]) -> None:
    """Define campaigns (a changed definition becomes a new version; a new one is a draft)."""
    from regulars.services.engagement import campaigns
    from regulars.services.errors import ServiceError

    application = wired()
    with application.unit_of_work() as uow:
        for path in files:
            for definition in _definitions(path):
                try:
                    result = campaigns.install(uow, definition)
                except ServiceError as error:
                    raise fail(f"{path}: {error.message}", 2) from None
                state = "defined" if result["changed"] else "unchanged"
                console.print(f"{result['code']} v{result['version']} ({result['state']}): {state}")
        uow.commit()


@app.command("list")
def list_campaigns(
    state: Annotated[str | None, typer.Option(help="draft, running, paused or ended")] = None,
) -> None:
    """The campaigns, highest priority first."""
    from regulars.services.engagement import campaigns
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            rows = campaigns.list_campaigns(uow, state)
        except ServiceError as error:
            raise _service_error(error) from None
    table = Table("code", "name", "state", "version", "priority", "trigger", "holdout %",
                  "points issued")  # fmt: skip
    for r in rows:
        trigger = r["trigger"] + (f" ({r['event']})" if r["event"] else "")
        budget = f"{r['points_issued']:,}" + (
            f" / {r['budget_points']:,}" if r["budget_points"] is not None else ""
        )
        table.add_row(r["code"], r["name"], r["state"], str(r["version"]), str(r["priority"]),
                      trigger, str(r["holdout_percent"]), budget)  # fmt: skip
    console.print(table)


@app.command("show")
def show(code: Annotated[str, typer.Argument(help="The campaign's code")]) -> None:
    """A campaign's definition, state, seed and versions (JSON)."""
    from regulars.services.engagement import campaigns
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            found = campaigns.show(uow, code)
        except ServiceError as error:
            raise _service_error(error) from None
    console.print_json(json.dumps(found, ensure_ascii=False, default=str))


@app.command("preview")
def preview(
    code_or_file: Annotated[str, typer.Argument(help="A campaign's code, or a YAML/JSON file")],
    sample: Annotated[int, typer.Option(help="How many members to show")] = 10,
    now: NowOpt = None,
) -> None:
    """How many members the campaign would take now, with a sample and their arms."""
    from regulars.services.engagement import campaigns
    from regulars.services.errors import ServiceError

    application = wired()
    path = Path(code_or_file)
    target: str | dict[str, Any] = code_or_file
    if path.suffix in (".yaml", ".yml", ".json"):
        items = _definitions(path)
        if len(items) != 1:
            raise fail(f"{path}: preview takes a file with one campaign", 2)
        target = items[0]
    with application.unit_of_work() as uow:
        try:
            found = campaigns.preview(
                uow, target, now=_now(now), timezone=application.settings.timezone,
                sample=sample, channel_order=channel_order(application.settings.channel_order),
            )  # fmt: skip
        except ServiceError as error:
            raise _service_error(error) from None
    console.print(
        f"{found['code']}: {found['size']:,} members now (about {found['expected_holdout']:,} "
        f"kept in the {found['holdout_percent']} % holdout)"
    )
    for row in found["sample"]:
        console.print(f"  {row['member_id']}  {row['arm']}")


def _move(code: str, state: str) -> None:
    from regulars.domain.engagement.campaigns import State
    from regulars.services.engagement import campaigns
    from regulars.services.errors import ServiceError

    application = wired()
    with application.unit_of_work() as uow:
        try:
            result = campaigns.move(uow, code, State(state))
        except ServiceError as error:
            raise _service_error(error) from None
        uow.commit()
    console.print(f"{code}: {result['state']}" + ("" if result["changed"] else " (already)"))


@app.command("launch")
def launch(code: Annotated[str, typer.Argument(help="The campaign's code")]) -> None:
    """Start (or resume) a campaign: the daily job acts on it from its next run."""
    _move(code, "running")


@app.command("pause")
def pause(code: Annotated[str, typer.Argument(help="The campaign's code")]) -> None:
    """Stop acting for now: nobody enters, no step runs, planned messages are not sent."""
    _move(code, "paused")


@app.command("end")
def end(code: Annotated[str, typer.Argument(help="The campaign's code")]) -> None:
    """End a campaign for good (its results stay readable)."""
    _move(code, "ended")


@app.command("run")
def run(now: NowOpt = None) -> None:
    """The daily job: evaluate triggers, admit under the cap, send, gift, create tasks,
    advance waits (idempotent; run it from cron after `regulars scores compute`)."""
    from regulars.services.engagement import campaign_runs
    from regulars.services.errors import ServiceError

    application = wired()
    settings = application.settings
    cap = campaign_runs.Cap(settings.campaign_cap_messages, settings.campaign_cap_days)
    with application.unit_of_work() as uow:
        try:
            summary = campaign_runs.run_campaigns(
                uow,
                _now(now),
                timezone=settings.timezone,
                cap=cap,
                secret=settings.secret_key,
                base_url=settings.public_url,
                channel_order=channel_order(settings.channel_order),
            )
        except ServiceError as error:
            raise _service_error(error) from None
        uow.commit()
    table = Table("campaign", "run", "candidates", "treated", "holdout", "capped", "messages",
                  "gifts", "points", "tasks", "postponed")  # fmt: skip
    for c in summary.campaigns:
        table.add_row(c.code, c.run or "-", *(f"{v:,}" for v in (
            c.candidates, c.treated, c.holdout, c.capped, c.messages, c.gifts, c.points,
            c.tasks, c.postponed)))  # fmt: skip
    console.print(table)


@app.command("results")
def results(
    code: Annotated[str, typer.Argument(help="The campaign's code")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
    now: NowOpt = None,
) -> None:
    """Treated against holdout: reached, conversion, revenue and points per member, and the
    uplift with its 95 % interval."""
    from regulars.services.engagement import campaign_results
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            found = campaign_results.results(uow, code, _now(now))
        except ServiceError as error:
            raise _service_error(error) from None
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False, default=str))
        return
    table = Table("arm", "assigned", "reached", "converted", "conversion", "revenue / member",
                  "points / member", "windows open")  # fmt: skip
    for arm, a in found["arms"].items():
        rate = "" if a["conversion_rate"] is None else f"{a['conversion_rate']:.1%}"
        revenue = "" if a["revenue_per_member"] is None else f"{a['revenue_per_member']:,.0f}"
        points = "" if a["points_per_member"] is None else f"{a['points_per_member']:,.1f}"
        table.add_row(arm, f"{a['assigned']:,}", f"{a['reached']:,}", f"{a['converted']:,}",
                      rate, revenue, points, f"{a['windows_open']:,}")  # fmt: skip
    console.print(table)
    for line in found["verdict"]:
        console.print(line)
    recovery = found.get("recovery")
    if recovery is not None:
        console.print(
            f"recovered: {recovery['recovered']:,} of {recovery['answered']:,} who answered "
            f"after the re-survey ({recovery['resurveyed']:,} re-surveyed)"
        )


@app.command("playbooks")
def list_playbooks(
    language: Annotated[str, typer.Option(help="ko or en: the summaries' language")] = "ko",
) -> None:
    """The campaigns shipped ready to switch on, one line each."""
    from regulars.services.engagement import playbooks

    if language not in ("ko", "en"):
        raise fail(f"--language must be ko or en, not {language!r}", 2)
    for p in playbooks.list_playbooks():
        needs = f" [needs {', '.join(p['needs'])}]" if p["needs"] else ""
        console.print(f"{p['code']:<22} {p['summary'][language]}{needs}", soft_wrap=True)


@app.command("playbook")
def from_playbook(
    code: Annotated[str, typer.Argument(help="The playbook's code (see `campaigns playbooks`)")],
    program: Annotated[
        str | None, typer.Option(help="The loyalty program of its gifts, tier and balance")
    ] = None,
    new_code: Annotated[
        str | None, typer.Option("--code", help="The campaign's code (default: the playbook's)")
    ] = None,
    survey: Annotated[str | None, typer.Option(help="The survey its survey steps use")] = None,
    gifts: Annotated[bool, typer.Option("--gifts/--no-gifts", help="Keep its gift steps")] = True,
) -> None:
    """Define a campaign from a playbook, as a draft (then `campaigns launch CODE`)."""
    from regulars.services.engagement import playbooks
    from regulars.services.errors import ServiceError

    application = wired()
    with application.unit_of_work() as uow:
        try:
            result = playbooks.create(
                uow, code, new_code=new_code, program=program, survey=survey, gifts=gifts
            )
        except ServiceError as error:
            raise _service_error(error) from None
        uow.commit()
    console.print(
        f"{result['code']} v{result['version']} ({result['state']}): defined from playbook "
        f"{code}; launch it with `regulars campaigns launch {result['code']}`"
    )


@app.command("fields")
def fields() -> None:
    """The fields an audience may name, with their type and operators."""
    from regulars.services.engagement import campaigns

    table = Table("field", "type", "source", "operators", "choices")
    for f in campaigns.audience_fields():
        table.add_row(f["name"], f["type"], f["source"], ", ".join(f["operators"]),
                      ", ".join(f.get("choices", [])))  # fmt: skip
    console.print(table)


@app.command("tasks")
def tasks(
    status: Annotated[str, typer.Option(help="open or done")] = "open",
    store: Annotated[str | None, typer.Option(help="Only this store's (its code)")] = None,
    limit: Annotated[int, typer.Option(help="How many")] = 50,
) -> None:
    """Staff tasks created by campaigns (a personal call, …), oldest due first."""
    from regulars.services.engagement import campaign_runs
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            rows = campaign_runs.staff_tasks(uow, status=status, store=store, limit=limit)
        except ServiceError as error:
            raise _service_error(error) from None
    table = Table("id", "due", "store", "member", "kind", "title", "campaign", "assignee")
    for r in rows:
        table.add_row(str(r["id"]), r["due_at"][:16].replace("T", " "), r["store"] or "",
                      r["member"], r["kind"], r["title"], r["campaign"] or "",
                      r["assignee"] or "")  # fmt: skip
    console.print(table)
