"""The page's charts: plotly figures with their axes, units and legends in the page's
language, and a caption that says what a mark means.

Each chart is built from a report section (a data frame) and the
:class:`~regulars.services.briefing.formatting.Formatter`; codes are shown as names, catalogue
words as words. Plotly's JavaScript is inlined once by the page (no CDN).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.sections import Names

FONT = "system-ui, -apple-system, 'Noto Sans KR', 'Malgun Gothic', sans-serif"
CHART_HEIGHT = "380px"


@dataclass(frozen=True)
class Chart:
    """A figure and the catalogue key of its caption (what a bar, dot or cell means)."""

    figure: go.Figure
    caption: str


def _layout(f: Formatter, name: str, x: str | None, y: str | None, **more: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": f.t(f"chart.{name}.title"), "font": {"size": 15}},
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 56, "r": 16, "t": 48, "b": 56},
        "autosize": True,
        **more,
    }
    if x is not None:
        layout.setdefault("xaxis", {})["title"] = {"text": f.t(x)}
    if y is not None:
        layout.setdefault("yaxis", {})["title"] = {"text": f.t(y)}
    return layout


def _errors(
    frame: pd.DataFrame, value: str = "nps", low: str = "low", high: str = "high"
) -> dict[str, Any]:
    return {
        "type": "data",
        "symmetric": False,
        "array": (frame[high] - frame[value]).tolist(),
        "arrayminus": (frame[value] - frame[low]).tolist(),
    }


def _labels(values: pd.Series, lookup: Callable[[Any], str]) -> list[str]:
    return [lookup(v) for v in values]


def _group_label(by: str, f: Formatter, names: Names) -> Callable[[Any], str]:
    if by in ("store", "department", "employee"):
        own = names.get(by, {})
        return lambda v: own.get(str(v), str(v))
    if by in ("segment", "channel", "driver"):
        return lambda v: f.format_term(f"{by}.{v}")
    return str


def nps_trend(frame: pd.DataFrame, f: Formatter, name: str) -> Chart:
    periods = [f.month(p) if name == "nps_by_month" else f.day(p) for p in frame["period"]]
    figure = go.Figure(
        go.Scatter(
            x=periods,
            y=frame["nps"],
            error_y=_errors(frame),
            mode="lines+markers",
            name=f.t("column.nps"),
            hovertemplate="%{x}: NPS %{y:.0f}<extra></extra>",
        ),
        layout=_layout(f, name, "axis.period", "axis.nps", yaxis={"range": [-100, 100]}),
    )
    return Chart(figure, "chart.nps_trend.caption")


def nps_bars(frame: pd.DataFrame, f: Formatter, name: str, names: Names) -> Chart:
    by = name.removeprefix("nps_by_")
    top = frame.head(30)
    labels = _labels(top[by] if by in top else top.iloc[:, 0], _group_label(by, f, names))
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=top["nps"],
            error_y=_errors(top),
            name=f.t("column.nps"),
            hovertemplate="%{x}: NPS %{y:.0f}<extra></extra>",
        ),
        layout=_layout(f, name, f"column.{by}", "axis.nps"),
    )
    return Chart(figure, "chart.nps_bars.caption")


def drivers(frame: pd.DataFrame, f: Formatter) -> Chart:
    labels = [f.format_term(f"driver.{d}") for d in frame["driver"]]
    quadrants = [f.format_term(f"quadrant.{q}") for q in frame["quadrant"]]
    figure = go.Figure(
        go.Scatter(
            x=frame["satisfaction"],
            y=frame["share"],
            text=labels,
            customdata=quadrants,
            mode="markers+text",
            textposition="top center",
            marker={"size": 14},
            cliponaxis=False,
            hovertemplate="%{text}: %{customdata}<extra></extra>",
        ),
        layout=_layout(f, "drivers", "axis.satisfaction", "axis.importance"),
    )
    low, high = float(frame["satisfaction"].min()), float(frame["satisfaction"].max())
    pad = max(0.25, (high - low) * 0.2)
    figure.update_xaxes(range=[low - pad, high + pad])
    figure.update_yaxes(rangemode="tozero")
    figure.add_hline(y=float(frame["importance_cut"].iloc[0]), line_dash="dot")
    figure.add_vline(x=float(frame["satisfaction_cut"].iloc[0]), line_dash="dot")
    return Chart(figure, "chart.drivers.caption")


def themes(frame: pd.DataFrame, f: Formatter) -> Chart:
    shown = frame.sort_values("z").tail(20)
    figure = go.Figure(
        go.Bar(
            x=shown["z"],
            y=[f"{t} ({lang})" for t, lang in zip(shown["term"], shown["language"], strict=True)],
            orientation="h",
            customdata=shown[["detractors", "impact"]].to_numpy(),
            hovertemplate=f.t("chart.themes.hover"),
        ),
        layout=_layout(
            f,
            "themes",
            "axis.themes_z",
            None,
            height=max(320, 90 + 24 * len(shown)),
            margin={"l": 8, "r": 16, "t": 48, "b": 56},
        ),
    )
    figure.update_yaxes(automargin=True, dtick=1)
    return Chart(figure, "chart.themes.caption")


def leaderboard(frame: pd.DataFrame, f: Formatter, names: Names) -> Chart | None:
    eligible = frame[frame["eligible"]]
    if eligible.empty:
        return None
    chart = nps_bars(eligible, f, "nps_by_employee", names)
    chart.figure.update_layout(title={"text": f.t("chart.staff_leaderboard.title")})
    return Chart(chart.figure, "chart.staff_leaderboard.caption")


def funnel(frame: pd.DataFrame, f: Formatter) -> Chart:
    figure = go.Figure(
        go.Funnel(y=[f.format_term(f"stage.{s}") for s in frame["stage"]], x=frame["reached"]),
        layout=_layout(f, "stage_funnel", None, None),
    )
    return Chart(figure, "chart.stage_funnel.caption")


def cohorts(frame: pd.DataFrame, f: Formatter) -> Chart:
    ages = [c for c in frame.columns if c not in ("cohort", "size")]
    figure = go.Figure(
        go.Heatmap(
            z=frame[ages].to_numpy(),
            x=[str(a) for a in ages],
            y=[f.month(c) for c in frame["cohort"]],
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": {"text": "%"}},
            hovertemplate=f.t("chart.cohorts.hover"),
        ),
        layout=_layout(f, "cohorts", "axis.months_since_first", "axis.cohort"),
    )
    return Chart(figure, "chart.cohorts.caption")


def average_check(frame: pd.DataFrame, f: Formatter) -> Chart:
    symbol = f.symbol
    figure = go.Figure(
        go.Scatter(
            x=[f.month(p) for p in frame["period"]],
            y=frame["average_check"],
            mode="lines+markers",
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        ),
        layout=_layout(
            f,
            "average_check",
            "axis.month",
            "axis.average_check",
            yaxis={"tickprefix": symbol, "tickformat": ",d"},
        ),
    )
    return Chart(figure, "chart.average_check.caption")


def returning(frame: pd.DataFrame, f: Formatter) -> Chart:
    months = [f.month(p) for p in frame["period"]]
    figure = go.Figure(
        [
            go.Bar(x=months, y=frame["customers"], name=f.t("column.buyers")),
            go.Bar(x=months, y=frame["returning"], name=f.t("column.returning")),
        ],
        layout=_layout(f, "returning_by_month", "axis.month", "axis.members", barmode="overlay"),
    )
    return Chart(figure, "chart.returning_by_month.caption")


def counts(frame: pd.DataFrame, f: Formatter, name: str, key: str, prefix: str) -> Chart:
    figure = go.Figure(
        go.Bar(x=[f.format_term(f"{prefix}.{v}") for v in frame[key]], y=frame["members"]),
        layout=_layout(f, name, None, "axis.members"),
    )
    return Chart(figure, "chart.members_bars.caption")


def acquisition(frame: pd.DataFrame, f: Formatter) -> Chart:
    symbol = f.symbol
    channel = frame["acquisition_channel"].astype(str)
    figure = go.Figure(
        [
            go.Bar(x=channel, y=frame["cost_per_member"], name=f.t("column.cost_per_member")),
            go.Bar(x=channel, y=frame["spend_to_date"], name=f.t("column.spend_per_member")),
            go.Bar(x=channel, y=frame["clv"], name=f.t("column.clv_per_member")),
        ],
        layout=_layout(
            f,
            "acquisition",
            "column.acquisition_channel",
            "axis.money_per_member",
            yaxis={"tickprefix": symbol, "tickformat": ",d"},
        ),
    )
    return Chart(figure, "chart.acquisition.caption")


def charts(report: Mapping[str, Any], f: Formatter, names: Names) -> dict[str, Chart]:
    """One chart per section that has a natural one."""
    found: dict[str, Chart | None] = {}

    def frame(name: str) -> pd.DataFrame | None:
        section = report.get(name)
        return section if isinstance(section, pd.DataFrame) and not section.empty else None

    for name in ("nps_by_month", "nps_by_week"):
        if (data := frame(name)) is not None:
            found[name] = nps_trend(data, f, name)
    for name in (
        "nps_by_store",
        "nps_by_department",
        "nps_by_employee",
        "nps_by_channel",
        "nps_by_segment",
        "nps_by_region",
    ):
        if (data := frame(name)) is not None:
            found[name] = nps_bars(data, f, name, names)
    if (data := frame("drivers")) is not None:
        found["drivers"] = drivers(data, f)
    if (data := frame("themes")) is not None:
        found["themes"] = themes(data, f)
    if (data := frame("staff_leaderboard")) is not None:
        found["staff_leaderboard"] = leaderboard(data, f, names)
    if (data := frame("stage_funnel")) is not None:
        found["stage_funnel"] = funnel(data, f)
    if (data := frame("cohorts")) is not None:
        found["cohorts"] = cohorts(data, f)
    if (data := frame("average_check")) is not None:
        found["average_check"] = average_check(data, f)
    if (data := frame("returning_by_month")) is not None:
        found["returning_by_month"] = returning(data, f)
    for name, key, prefix in (
        ("rfm_segments", "rfm_segment", "rfm"),
        ("loyalty_types", "loyalty_type", "loyalty_type"),
        ("wallet_bands", "wallet_band", "wallet"),
    ):
        if (data := frame(name)) is not None:
            found[name] = counts(data, f, name, key, prefix)
    if (data := frame("acquisition")) is not None:
        found["acquisition"] = acquisition(data, f)
    return {k: v for k, v in found.items() if v is not None}
