"""``regulars demo``: generate the demo coffee chain, load it like a user would, run its
loyalty programs and surveys, score its members, and write the report a person opens."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from regulars.cli.root import console, progress_bar, wired

if TYPE_CHECKING:
    from datetime import date, datetime

    import pandas as pd

    from regulars.bootstrap import App
    from regulars.demo.business import DemoBusiness
    from regulars.services.imports.files import Kind


class Business(StrEnum):
    """The demo businesses ``--business`` chooses among."""

    COFFEE = "coffee"
    TELECOM = "telecom"


def demo(
    business_kind: Annotated[
        Business,
        typer.Option(
            "--business",
            help="Which business: the coffee chain, or a telecom operator with subscriptions",
        ),
    ] = Business.COFFEE,
    members: Annotated[int, typer.Option(help="How many members to generate")] = 5_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same business")] = 7,
    out: Annotated[Path, typer.Option(help="Where to write the files and ground truth")] = Path(
        "demo-output"
    ),
) -> None:
    """Generate a coffee chain (members, two years of purchases), import it, run its loyalty
    programs and surveys, score every member, and write the loyalty report. With
    ``--business telecom``: an operator's contracts, bills and surveys, and its churn models
    recovering their ground truth."""
    if business_kind is Business.TELECOM:
        from regulars.cli.demo_telecom import telecom_demo

        telecom_demo(members=members, seed=seed, out=out)
        return
    from regulars.demo import campaigns as demo_campaigns
    from regulars.demo.business import generate
    from regulars.demo.loyalty import as_of

    started = time.monotonic()
    app = wired()
    with console.status(f"generating {members:,} members (seed {seed})…"):
        business = generate(members=members, seed=seed)
    start = demo_campaigns.start_of(demo_campaigns.definitions())
    load(app, write_files(business, out, until=start), out)
    with console.status("running the campaigns day by day…"):
        visits, _ = demo_campaigns.run(app, business, seed=seed)
    load(app, write_rest(business, visits, out, start), out)
    console.print(f"wrote the demo files and ground truth to [bold]{out}/[/]")
    show(app, business)
    activity = run_activity(app, business, seed)
    show_activity(activity)
    show_campaigns(demo_campaigns.measure(app, business, as_of(business, app.settings.timezone)))
    paths = report(app, out / "report")
    show_deliveries(app, business, out / "mailbox")
    console.print(
        f"done in {time.monotonic() - started:.1f} s — store: "
        f"{app.engine.url.render_as_string(hide_password=True)}"
    )
    console.print(f"open the report: [bold]{paths['html'].resolve()}[/]")


def run_activity(app: App, business: DemoBusiness, seed: int) -> dict[str, Any]:
    """Loyalty programs, survey answers and member scores, as of the day after the demo."""
    from regulars.demo.feedback import load_survey_answers, survey_answers
    from regulars.demo.loyalty import as_of, run_programs
    from regulars.services import scores as score_service

    timezone = app.settings.timezone
    now = as_of(business, timezone)
    with progress_bar("accruing points and stamps") as advance:
        programs = run_programs(
            app.unit_of_work, business, seed=seed, timezone=timezone, progress=advance
        )
    with console.status("answering surveys…"):
        answers = load_survey_answers(
            app.unit_of_work, survey_answers(business, seed), timezone=timezone, now=now
        )
    with (
        console.status("fitting BG/NBD and Gamma-Gamma, scoring members…"),
        app.unit_of_work() as uow,
    ):
        scores = score_service.compute_scores(uow, now, timezone=timezone)
        uow.commit()
    return {"programs": programs, "answers": answers, "scores": scores}


def show_deliveries(app: App, business: DemoBusiness, mailbox: Path) -> None:
    """Send what the demo decided (events to a local webhook receiver, member messages to a
    mailbox folder) through the delivery worker, and show what arrived by kind."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from regulars.demo.delivery import deliver_everything
    from regulars.demo.loyalty import as_of

    zone = ZoneInfo(app.settings.timezone)
    day = as_of(business, app.settings.timezone).astimezone(zone).date()
    with console.status("delivering events and member messages…"):
        sent = deliver_everything(app, mailbox, datetime.combine(day, time(12), zone))
    table = Table(title="delivered (a local webhook receiver; member messages in a folder)")
    table.add_column("event type")
    table.add_column("webhook", justify="right")
    for topic, count in sorted(sent["webhook"].items(), key=lambda item: -item[1]):
        table.add_row(topic, f"{count:,}")
    console.print(table)
    states = ", ".join(
        f"{channel} {counts['sent']:,} sent / {counts['dead'] + counts['failed']:,} failed"
        for channel, counts in sorted(sent["status"]["channels"].items())
    )
    console.print(
        f"member messages: {sent['mailbox']['email']:,} e-mails and {sent['mailbox']['sms']:,} "
        f"SMS written to [bold]{mailbox}/[/]; deliveries: {states}"
    )


def report(
    app: App, out: Path, *, now: datetime | None = None, as_of: date | None = None
) -> dict[str, Path]:
    """The loyalty briefing (HTML that works offline, and JSON), headline on the console;
    built at ``now`` (default: the clock) as of ``as_of`` (default: the latest purchase)."""
    from datetime import UTC, datetime

    from regulars.services.briefing.build import briefing
    from regulars.services.briefing.files import write_briefing
    from regulars.services.briefing.formatting import Formatter

    settings = app.settings
    with console.status("computing the loyalty report…"), app.unit_of_work() as uow:
        found = briefing(uow, now or datetime.now(UTC), timezone=settings.timezone, as_of=as_of)
    formatter = Formatter(settings.report_language, settings.timezone, settings.currency)
    headline = found.report["nps"]
    if headline.get("n"):
        console.print(
            f"NPS {headline['nps']:.1f} ± {headline['margin']:.1f} "
            f"(95 %: {headline['low']:.1f} to {headline['high']:.1f}, "
            f"n = {headline['n']:,}), {headline['band']}"
        )
    for sentence in found.summary.moved:
        console.print(formatter.say(sentence))
    return write_briefing(found, formatter, out)


def write_files(
    business: DemoBusiness, out: Path, until: datetime | None = None
) -> dict[str, Path]:
    """The business as import files, plus ``truth.parquet`` and ``ground_truth.json``; with
    ``until``, only the members who joined and the purchases made before it."""
    from regulars.demo.campaigns import split

    out.mkdir(parents=True, exist_ok=True)
    parts = split(business, until) if until is not None else {}
    files = {}
    for kind in ("stores", "departments", "employees", "members", "purchases"):
        path = out / f"{kind}.csv"
        frame = parts[kind][0] if kind in parts else getattr(business, kind)
        frame.to_csv(path, index=False)
        files[kind] = path
    write_truth(business, out)
    return files


def write_rest(
    business: DemoBusiness, visits: pd.DataFrame, out: Path, since: datetime
) -> dict[str, Path]:
    """After the campaigns: their visits join the business's purchases, and the members and
    purchases from ``since`` on are written as a second pair of import files."""
    import pandas as pd

    from regulars.demo.campaigns import split

    parts = split(business, since)
    business.purchases = pd.concat([business.purchases, visits], ignore_index=True)
    day = since.date().isoformat()
    later = {
        "members": parts["members"][1],
        "purchases": pd.concat([parts["purchases"][1], visits], ignore_index=True),
    }
    files = {}
    for kind, frame in later.items():
        path = out / f"{kind}-from-{day}.csv"
        frame.to_csv(path, index=False)
        files[kind] = path
    write_truth(business, out)
    return files


def write_truth(business: DemoBusiness, out: Path) -> None:
    business.truth.to_parquet(out / "truth.parquet", index=False)
    (out / "ground_truth.json").write_text(
        json.dumps(business.ground_truth(), indent=2, ensure_ascii=False), encoding="utf-8"
    )


def load(app: App, files: dict[str, Path], out: Path) -> None:
    """Import the files through the same path ``regulars import`` uses."""
    from regulars.services.imports.files import import_file

    for kind, path in files.items():
        with progress_bar(f"importing {kind}") as advance:
            kind_name: Kind = kind  # type: ignore[assignment]
            report = import_file(
                kind_name,
                path,
                app.run_committed,
                timezone=app.settings.timezone,
                rejects=out / f"{kind}.rejects.csv",
                progress=advance,
            )
        if report.errors:
            console.print(f"[yellow]{kind}: {report.summary()}[/]")


def show(app: App, business: DemoBusiness) -> None:
    from regulars.services import overview as overview_service

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
        "period", f"{figures['first_purchase'][:10]} … {figures['last_purchase'][:10]}"
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
    for month, sales, active, revenue in months[
        ["month", "sales", "active_members", "net_revenue"]
    ].itertuples(index=False):
        bar = "█" * round(24 * int(revenue) / peak)
        trend.add_row(str(month), f"{sales:,}", f"{active:,}", f"{bar} ₩{int(revenue):,}")
    console.print(trend)
    console.print(
        f"ground truth: true driver weights {business.weights}; "
        f"the weak spot is {business.complaint_driver}"
    )


def show_activity(activity: dict[str, Any]) -> None:
    programs = activity["programs"]
    table = Table(
        "program",
        "accounts",
        "earned",
        "redeemed",
        "expired",
        "outstanding",
        title=f"loyalty as of {programs['as_of']:%Y-%m-%d %H:%M} UTC (points)",
    )
    notes = []
    for p in programs["programs"]:
        moved = p["points_by_kind"]
        if p["kind"] == "discount":
            notes.append(f"{p['program']}: discount from 12-month spend, applied at checkout")
            continue
        if p["tiers"]:
            notes.append(
                f"{p['program']} tiers: "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(p["tiers"].items()))
            )
        if p["rewards"]:
            notes.append(
                f"{p['program']} vouchers: "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(p["rewards"].items()))
            )
        if p["kind"] != "points":
            continue
        table.add_row(
            p["program"],
            f"{p['accounts']:,}",
            f"{sum(v for v in moved.values() if v > 0):,}",
            f"{-moved.get('redeem', 0):,}",
            f"{-moved.get('expire', 0):,}",
            f"{p['available']:,} + {p['pending']:,} pending",
        )
    console.print(table)
    for note in notes:
        console.print(note)
    bonuses = programs["bonuses"]
    console.print(
        f"bonuses: {bonuses['signup']:,} signup, {bonuses['referral']:,} referral; "
        f"{programs['redemptions']['redemptions']:,} members spent "
        f"{programs['redemptions']['points']:,} points; "
        f"{programs['vouchers_used']:,} free coffees used"
    )
    answers = activity["answers"]
    console.print(f"survey answers: {answers.summary()}")
    scores = activity["scores"]
    console.print(
        f"scores ({scores.model}, {scores.members:,} members): expected value next year "
        f"₩{scores.total_clv:,}, of which at risk ₩{scores.total_value_at_risk:,}"
    )


def show_campaigns(found: list[dict[str, Any]]) -> None:
    """Each campaign's measured uplift of conversion beside the true effect it was given."""
    table = Table(
        "campaign",
        "treated (converted)",
        "holdout (converted)",
        "uplift, 95 % interval",
        "true effect",
        title="campaigns: a purchase within the attribution window (recovered vs built in)",
    )
    for result in found:
        arms, uplift, truth = result["arms"], result["uplift"]["conversion"], result["truth"]
        cells = [
            f"{arms[arm]['assigned']:,} ({arms[arm]['conversion_rate']:.1%})"
            if arms[arm]["conversion_rate"] is not None
            else "0"
            for arm in ("treated", "holdout")
        ]
        shown = (
            f"{100 * uplift['estimate']:+.1f} pp ({100 * uplift['lower']:+.1f} to "
            f"{100 * uplift['upper']:+.1f})"
            if uplift is not None
            else "—"
        )
        true = truth.get("true_uplift")
        table.add_row(
            result["code"], *cells, shown, "—" if true is None else f"{100 * float(true):+.1f} pp"
        )
    console.print(table)
