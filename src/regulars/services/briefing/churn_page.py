"""The churn section's sentences, tables and charts (:mod:`regulars.services.briefing.churn`
computes the figures; words are ``section.churn.*`` in the catalogues; every value goes
through the page's Formatter)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from regulars.analytics.churn.outlook import FactorGain
from regulars.services.briefing.charts import FONT, Chart
from regulars.services.briefing.churn import ChurnView
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.values import (
    MISSING,
    Column,
    Count,
    Day,
    Listing,
    Money,
    Name,
    Number,
    Percent,
    PValue,
    Range,
    Sentence,
    Table,
    Term,
    Value,
)

W = "section.churn"
LEVELS = ("plan", "segment", "age_band")
CALLED_IN_SENTENCE = 5


def factor(name: str) -> Value:
    """A covariate's words: a driver's catalogue name, or the section's term for it."""
    if name.startswith("driver_"):
        return Term(f"driver.{name.removeprefix('driver_')}")
    return Term(f"{W}.factor.{name}")


def _interval(low: float, high: float) -> Range:
    return Range(Number(low, 2), Number(high, 2))


def hazard_sentences(view: ChurnView) -> list[Sentence]:
    """Each clear hazard ratio (95 % interval excluding 1) in words, strongest first."""
    table = view.hazard_ratios
    clear = table[(table["lower_95"] > 1) | (table["upper_95"] < 1)]
    clear = clear.reindex(np.log(clear["hazard_ratio"]).abs().sort_values(ascending=False).index)
    sentences = []
    for row in clear.to_dict(orient="records"):
        values: dict[str, Value] = {
            "ratio": Number(float(row["hazard_ratio"]), 2),
            "interval": _interval(float(row["lower_95"]), float(row["upper_95"])),
            "p": PValue(float(row["p"])),
        }
        name = str(row["covariate"])
        if "=" in name:
            column, level = name.split("=", 1)
            values |= {"factor": Term(f"{W}.factor.{column}"), "level": Name(level)}
            sentences.append(Sentence(f"{W}.hazards.level", values))
        elif name == "committed":
            sentences.append(Sentence(f"{W}.hazards.committed", values))
        else:
            values["factor"] = factor(name)
            kind = "driver" if name.startswith("driver_") else "numeric"
            sentences.append(Sentence(f"{W}.hazards.{kind}", values))
    if not sentences:
        sentences.append(Sentence(f"{W}.hazards.none"))
    return sentences


def fix_first_sentence(gain: FactorGain | None) -> Sentence:
    if gain is None:
        return Sentence(f"{W}.fix.none")
    return Sentence(
        f"{W}.fix.first",
        {
            "factor": factor(gain.covariate),
            "step": Number(abs(gain.step), 2),
            "months": Number(gain.subscriber_months, 0),
            "ratio": Number(gain.hazard_ratio, 2),
            "interval": _interval(gain.lower_95, gain.upper_95),
        },
    )


def call_sentence(view: ChurnView) -> Sentence:
    if not view.to_call:
        return Sentence(f"{W}.call.none")
    first = view.to_call[:CALLED_IN_SENTENCE]
    return Sentence(
        f"{W}.call.first",
        {
            "names": Listing(
                tuple((Name(m.name or m.member), Money(round(m.fee_at_risk))) for m in first)
            ),
            "n": Count(len(view.to_call)),
            "fee": Money(round(sum(m.fee_at_risk for m in view.to_call))),
        },
    )


def retention_sentence(view: ChurnView) -> Sentence:
    if view.retention is None:
        return Sentence(f"{W}.retention.none")
    shares = dict(view.retention.projected)
    return Sentence(
        f"{W}.retention.projected",
        {
            "m12": Percent(100 * shares[12]),
            "m24": Percent(100 * shares[24]),
            "m36": Percent(100 * shares[36]),
            "alpha": Number(view.retention.alpha, 2),
            "beta": Number(view.retention.beta, 2),
        },
    )


def validation_sentence(view: ChurnView) -> Sentence:
    v = view.validation
    if v is None:
        return Sentence(f"{W}.validation.none", {"cutoff": Day(view.holdout_cutoff)})
    return Sentence(
        f"{W}.validation.held_out",
        {
            "cutoff": Day(view.holdout_cutoff),
            "days": Count(int(v.horizon)),
            "members": Count(v.members),
            "concordance": Number(v.concordance, 3),
            "expected": Number(v.expected_cancellations, 1),
            "observed": Count(v.observed_cancellations),
        },
    )


def hazard_table(view: ChurnView) -> Table:
    columns = (
        Column(f"{W}.column.factor", text=True, field="covariate"),
        Column(f"{W}.column.hazard_ratio", field="hazard_ratio"),
        Column(f"{W}.column.interval", field="interval"),
        Column(f"{W}.column.p", field="p"),
    )
    rows = []
    for row in view.hazard_ratios.to_dict(orient="records"):
        name = str(row["covariate"])
        if "=" in name:  # a level: "plan (M)"
            column, level = name.split("=", 1)
            label: Value = Listing(((Term(f"{W}.factor.{column}"), Name(level)),))
        else:
            label = factor(name)
        rows.append(
            (
                label,
                Number(float(row["hazard_ratio"]), 2),
                _interval(float(row["lower_95"]), float(row["upper_95"])),
                PValue(float(row["p"])),
            )
        )
    return Table(columns, tuple(rows))


def bands_table(bands: pd.DataFrame) -> Table:
    columns = (
        Column(f"{W}.column.band", text=True, field="band"),
        Column(f"{W}.column.members", field="members"),
        Column(f"{W}.column.cancellations", field="cancellations"),
        Column(f"{W}.column.hazard_ratio", field="hazard_ratio"),
        Column(f"{W}.column.interval", field="interval"),
    )
    rows = tuple(
        (
            Name(str(row["band"])),
            Count(int(row["members"])),
            Count(int(row["cancellations"])),
            Number(float(row["hazard_ratio"]), 2),
            MISSING
            if pd.isna(row["lower_95"])
            else _interval(float(row["lower_95"]), float(row["upper_95"])),
        )
        for row in bands.to_dict(orient="records")
    )
    return Table(columns, rows)


def calibration_table(calibration: pd.DataFrame) -> Table:
    columns = (
        Column(f"{W}.column.decile", field="decile"),
        Column(f"{W}.column.members", field="members"),
        Column(f"{W}.column.predicted", field="mean_predicted"),
        Column(f"{W}.column.observed", field="observed_rate"),
    )
    rows = tuple(
        (
            Count(int(row["decile"])),
            Count(int(row["members"])),
            Percent(100 * float(row["mean_predicted"])),
            Percent(100 * float(row["observed_rate"])),
        )
        for row in calibration.to_dict(orient="records")
    )
    return Table(columns, rows)


def call_table(view: ChurnView) -> Table:
    columns = (
        Column("column.rank", field="rank"),
        Column("column.member_name", text=True, field="name"),
        Column("column.member_id", text=True, field="member"),
        Column(f"{W}.column.plan", text=True, field="plan"),
        Column(f"{W}.column.monthly_fee", field="monthly_fee"),
        Column(f"{W}.column.p_cancel_30d", field="cancel_probability_30d"),
        Column(f"{W}.column.fee_at_risk", field="fee_at_risk"),
    )
    rows = tuple(
        (
            Count(i),
            Name(m.name) if m.name else MISSING,
            Name(m.member),
            Name(m.plan),
            Money(m.monthly_fee),
            Percent(100 * m.cancel_probability_30d),
            Money(round(m.fee_at_risk)),
        )
        for i, m in enumerate(view.to_call, start=1)
    )
    return Table(columns, rows)


def _layout(f: Formatter, name: str, x: str, y: str) -> dict[str, object]:
    return {
        "title": {"text": f.t(f"{W}.chart.{name}.title"), "font": {"size": 15}},
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 56, "r": 16, "t": 48, "b": 56},
        "autosize": True,
        "xaxis": {"title": {"text": f.t(x)}},
        "yaxis": {"title": {"text": f.t(y)}, "tickformat": ".0%", "rangemode": "tozero"},
    }


def retention_chart(view: ChurnView, f: Formatter) -> Chart | None:
    r = view.retention
    if r is None:
        return None
    months = max(len(r.observed) - 1, 36)
    figure = go.Figure()
    figure.add_scatter(
        x=list(r.months), y=list(r.observed), mode="markers", name=f.t(f"{W}.chart.observed")
    )
    figure.add_scatter(
        x=list(range(months + 1)),
        y=r.curve(months).tolist(),
        mode="lines",
        name=f.t(f"{W}.chart.sbg"),
    )
    figure.update_layout(
        **_layout(f, "retention", f"{W}.chart.months", f"{W}.chart.share_subscribed")
    )
    return Chart(figure, f"{W}.chart.retention.caption")


def calibration_chart(view: ChurnView, f: Formatter) -> Chart | None:
    if view.validation is None:
        return None
    table = view.validation.calibration
    top = float(max(table["mean_predicted"].max(), table["observed_rate"].max())) * 1.05
    figure = go.Figure()
    figure.add_scatter(
        x=[0.0, top],
        y=[0.0, top],
        mode="lines",
        name=f.t(f"{W}.chart.calibrated"),
        line={"dash": "dash"},
    )
    figure.add_scatter(
        x=table["mean_predicted"].tolist(),
        y=table["observed_rate"].tolist(),
        mode="lines+markers",
        name=f.t(f"{W}.chart.model"),
    )
    figure.update_layout(
        **_layout(f, "calibration", f"{W}.chart.predicted", f"{W}.chart.observed_share")
    )
    figure.update_xaxes(tickformat=".0%")
    return Chart(figure, f"{W}.chart.calibration.caption")
