"""``regulars demo --business telecom``: generate the demo operator, load it like a user
would, run its exit survey, fit the churn models on what the product computes, show each
recovered figure beside its ground truth, and write the report a person opens."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.table import Table

from regulars.cli.root import console, wired


def telecom_demo(*, members: int, seed: int, out: Path) -> None:
    """The telecom demo end to end (see :mod:`regulars.demo.telecom`)."""
    from regulars.cli.demo import report
    from regulars.demo import telecom, telecom_run

    started = time.monotonic()
    app = wired()
    with console.status(f"generating {members:,} subscribers (seed {seed})…"):
        operator = telecom.generate(members=members, seed=seed)
    files = telecom_run.write_files(operator, out)
    console.print(f"wrote the operator's files and ground truth to [bold]{out}/[/]")
    with console.status("importing members, plans, contracts, plan changes, bills, answers…"):
        loaded = telecom_run.load(app, files, out)
    for kind, imported in loaded.items():
        if imported.errors:
            console.print(f"[yellow]{kind}: {imported.summary()}[/]")
    with console.status("inviting the leavers to the exit survey and answering…"):
        exits = telecom_run.run_exit_survey(app, operator)
    console.print(
        f"exit survey: {exits.invitations.invited:,} invited, {exits.answered:,} answered "
        f"“why are you leaving?” on the answer page"
    )
    with console.status("computing churn features, fitting Cox and sBG…"):
        found = telecom_run.recover(app, operator)
    show(found, operator.ground_truth())
    with console.status("scoring every active contract (subscriptions score)…"):
        scored = telecom_run.score(app)
    console.print(
        f"churn scores of {scored.scored:,} active contracts as of {scored.as_of} written"
    )
    paths = report(
        app,
        out / "report",
        now=telecom_run.as_of_moment(app.settings.timezone),
        as_of=telecom.AS_OF,
    )
    console.print(
        f"done in {time.monotonic() - started:.1f} s — store: "
        f"{app.engine.url.render_as_string(hide_password=True)}"
    )
    console.print(f"open the report: [bold]{paths['html'].resolve()}[/]")


def show(found: dict[str, Any], truth: dict[str, Any]) -> None:
    """The recovered figures beside the truth."""
    console.print(
        f"{truth['operator']}: {found['subscribers']:,} contracts, {found['cancelled']:,} "
        f"cancelled by {truth['as_of']}"
    )
    hazards = Table(
        "covariate",
        "true HR",
        "estimated HR",
        "95% interval",
        "covers",
        title="Cox hazard ratios of cancelling (contracts after the launch month)",
    )
    for name, row in found["hazard_ratios"].items():
        covers = row["lower_95"] <= row["true"] <= row["upper_95"]
        hazards.add_row(
            name,
            f"{row['true']:.2f}",
            f"{row['estimate']:.2f}",
            f"{row['lower_95']:.2f}–{row['upper_95']:.2f}",
            "yes" if covers else "[red]no[/]",
        )
    console.print(hazards)
    sbg = found["sbg"]
    cohort = Table(
        "parameter",
        "true",
        "estimate ± SE",
        "95% interval",
        title=f"sBG of the launch cohort ({sbg['contracts']:,} contracts, "
        f"{sbg['periods']} renewals)",
    )
    for name in ("alpha", "beta"):
        row = sbg[name]
        cohort.add_row(
            name,
            f"{row['true']:.2f}",
            f"{row['estimate']:.2f} ± {row['se']:.2f}",
            f"{row['lower_95']:.2f}–{row['upper_95']:.2f}",
        )
    console.print(cohort)
    wave = found["wave"]
    console.print(
        f"churn wave: most left for a competitor in [bold]{wave['month']}[/] "
        f"({wave['competitor_cancellations']:,} of {wave['cancellations']:,} cancellations; "
        f"the next month at most {wave['next_month_count']:,}), competitor named most "
        f"[bold]{wave['competitor']}[/] — truth: {wave['true_month']}, "
        f"{wave['true_competitor']}"
    )
    worst = min(
        (n for n in found["hazard_ratios"] if n.startswith("driver_")),
        key=lambda n: found["hazard_ratios"][n]["upper_95"],
    )
    console.print(
        f"fix first: [bold]{worst.removeprefix('driver_')}[/] (each point of its rating "
        f"cuts the hazard to {found['hazard_ratios'][worst]['estimate']:.2f}×)"
    )
    calls = Table(
        "member",
        "plan",
        "fee (₩)",
        "network rating",
        "segment",
        "P(cancel in 30 days)",
        title="call this week",
    )
    for row in found["to_call"]:
        calls.add_row(
            str(row["member_id"]),
            str(row["plan"]),
            f"{int(row['fee']):,}",
            f"{row['driver_network']:.0f}",
            str(row["segment"]),
            f"{row['p_cancel_30d']:.1%}",
        )
    console.print(calls)
