"""``regulars scores …``: compute members' predictive scores, list those at risk, validate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from regulars.cli.root import console, fail, iso_time, wired
from regulars.domain.times import as_utc

app = typer.Typer(
    help="Lifetime value, P(alive), value at risk and expected loss date per member.",
    no_args_is_help=True,
)


def _when(value: datetime | None) -> datetime:
    return datetime.now(UTC) if value is None else as_utc(value)


@app.command("compute")
def compute(
    model: Annotated[str, typer.Option(help="bgnbd (BG/NBD) or pareto (Pareto/NBD)")] = "bgnbd",
    horizon_days: Annotated[int, typer.Option(help="Days of future value counted")] = 365,
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate")] = 0.10,
    as_of: Annotated[
        datetime | None,
        typer.Option(parser=iso_time, help="End of the observation (ISO time, UTC if naive); now"),
    ] = None,
    expiring_within_days: Annotated[
        int, typer.Option(help="Points expiring within this many days count as expiring")
    ] = 30,
) -> None:
    """Fit the models on every purchase and replace the stored scores; recompute every
    member's analytics (stage, type, RFM, NPS class, share of wallet, days since the last
    purchase, expiring points, home store) with the same time. The analytics are kept even
    when the models cannot be fitted yet (the command then says why and exits 2)."""
    from regulars.services import member_analytics
    from regulars.services import scores as score_service
    from regulars.services.errors import ServiceError

    application = wired()
    when = _when(as_of)
    with application.unit_of_work() as uow:
        try:
            with console.status("computing members' analytics…"):
                written = member_analytics.compute_member_analytics(
                    uow,
                    when,
                    timezone=application.settings.timezone,
                    expiring_within_days=expiring_within_days,
                )
        except ServiceError as error:
            raise fail(error.message, 2) from None
        stages = ", ".join(f"{k} {v:,}" for k, v in sorted(written.stages.items()))
        console.print(f"analytics of {written.members:,} members ({stages})")
        _churn_scores(uow, when, application.settings.timezone)
        try:
            with console.status("fitting the models…"):
                run = score_service.compute_scores(
                    uow,
                    when,
                    model=model,
                    horizon_days=horizon_days,
                    annual_discount_rate=discount_rate,
                    timezone=application.settings.timezone,
                )
        except ServiceError as error:
            uow.commit()  # the analytics stand on their own
            raise fail(f"scores not computed: {error.message}", 2) from None
        uow.commit()
    shown = ", ".join(
        f"{k}={v:.4g} (se {run.standard_errors[k]:.2g})" for k, v in run.params.items()
    )
    console.print(f"{run.model}: {shown}; log-likelihood {run.log_likelihood:.2f}")
    console.print(
        "spend (Gamma-Gamma): " + ", ".join(f"{k}={v:.4g}" for k, v in run.spend_params.items())
    )
    console.print(
        f"scored {run.members} members: total CLV {run.total_clv:,}, "
        f"value at risk {run.total_value_at_risk:,} (minor units)"
    )


def _churn_scores(uow: Any, when: datetime, timezone: str) -> None:
    """Score the contracts too when the store has any (a model that cannot be fitted yet is
    said, and the other scores go on)."""
    from zoneinfo import ZoneInfo

    from regulars.cli.subscriptions import print_scoring
    from regulars.services.errors import ServiceError
    from regulars.services.subscriptions import scoring

    if not scoring.has_contracts(uow):
        return
    day = when.astimezone(ZoneInfo(timezone)).date()
    try:
        with console.status("fitting the churn model…"):
            run = scoring.score_subscriptions(uow, day, when, timezone=timezone)
    except ServiceError as error:
        console.print(f"churn scores not computed: {error.message}")
        return
    print_scoring(run)


@app.command("at-risk")
def at_risk(
    limit: Annotated[int, typer.Option(help="How many members")] = 20,
    min_probability_lost: Annotated[
        float, typer.Option(help="Only members at least this likely to be lost")
    ] = 0.0,
    view: Annotated[
        str, typer.Option(help="value: by value at risk; lost: recently lost, by past value")
    ] = "value",
) -> None:
    """Members ranked by value at risk (CLV × P(lost)), most first; ``--view lost``: the
    recently lost (P(alive) < 0.05, last purchase within the horizon) by past value."""
    from regulars.services import scores as score_service
    from regulars.services.errors import ServiceError

    with wired().unit_of_work() as uow:
        try:
            rows = score_service.at_risk_view(uow, view, limit, min_probability_lost)
        except ServiceError as error:
            raise fail(error.message, 2) from None
    table = Table("member", "name", "P(alive)", "CLV", "value at risk", "expected loss", "computed")
    if view == "lost":
        table.add_column("past value")
    for row in rows:
        loss = row["expected_loss_at"]
        table.add_row(
            row["member"],
            row["name"] or "",
            f"{row['probability_alive']:.3f}",
            f"{row['clv']:,}",
            f"{row['value_at_risk']:,}",
            loss[:10] if loss else "",  # ISO 8601 in UTC, as the API answers
            row["computed_at"][:16].replace("T", " "),
            *([f"{row['past_value']:,}"] if view == "lost" else []),
        )
    console.print(table)


@app.command("validate")
def validate(
    calibration_end: Annotated[
        datetime,
        typer.Argument(
            parser=iso_time, metavar="CALIBRATION_END", help="End of the calibration period (ISO)"
        ),
    ],
    observation_end: Annotated[
        datetime | None,
        typer.Option(parser=iso_time, help="End of the holdout period (ISO); now"),
    ] = None,
    model: Annotated[str, typer.Option(help="bgnbd or pareto")] = "bgnbd",
    plot: Annotated[Path | None, typer.Option(help="Write the holdout figure as HTML here")] = None,
) -> None:
    """Fit on purchases up to CALIBRATION_END and compare with what members did after."""
    from regulars.services import scores as score_service
    from regulars.services.errors import ServiceError

    application = wired()
    with application.unit_of_work() as uow:
        try:
            result = score_service.validate_holdout(
                uow,
                _when(calibration_end),
                _when(observation_end),
                model=model,
                timezone=application.settings.timezone,
            )
        except ServiceError as error:
            raise fail(error.message, 2) from None
    table = Table("repeat purchases (calibration)", "members", "actual (holdout)", "model")
    for row in result.table.itertuples():
        table.add_row(
            str(row.calibration_frequency),
            str(row.members),
            f"{row.actual:.3f}",
            f"{row.predicted:.3f}",
        )
    console.print(table)
    f = result.figures
    console.print(
        f"{f.members} members over {f.duration} days: actual {f.actual_purchases:,.0f}, "
        f"predicted {f.predicted_purchases:,.1f} ({f.total_error:+.1%}); "
        f"MAE {f.mean_absolute_error:.3f}, correlation {f.correlation:.3f}"
    )
    if plot is not None:
        result.figure.write_html(str(plot), include_plotlyjs=True)  # opens offline
        console.print(f"figure written to {plot}")
