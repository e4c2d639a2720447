"""The report's page: plotly charts (JavaScript inlined, no CDN) and tables, via Jinja2."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

TITLES = {
    "nps_by_month": "NPS by month (95 % adjusted-Wald interval)",
    "nps_by_week": "NPS by week",
    "nps_by_segment": "NPS by segment",
    "nps_by_region": "NPS by region",
    "nps_by_store": "NPS by store",
    "nps_by_channel": "NPS by channel",
    "nps_by_department": "NPS by department",
    "nps_by_employee": "NPS by employee",
    "csat_by_department": "CSAT by department",
    "csat_by_store": "CSAT by store",
    "csat_by_channel": "CSAT by channel",
    "csat_by_employee": "CSAT by employee",
    "driver_ratings": "Satisfaction with each driver",
    "drivers": "Drivers: importance x satisfaction, and what to fix first",
    "themes": "What detractors say that promoters do not",
    "staff_leaderboard": "Staff leaderboard (ranked by the interval's lower bound)",
    "departments": "Departments",
    "rfm_segments": "RFM segments",
    "average_check": "Average check by month",
    "returning_by_month": "Returning customers by month",
    "cohorts": "Cohort retention (% of each first-purchase month buying again)",
    "stage_funnel": "Stages of loyalty: the funnel",
    "loyalty_types": "Loyalty types (attachment x repeat frequency)",
    "wallet_bands": "Share of wallet",
    "acquisition": "Acquisition cost beside customer value",
    "notes": "Why a section is missing or partial",
}

NOTES = {
    "drivers": "Importance: each driver's share of the explained variance of the 0-10 score "
    "(Johnson's relative weights; LMG beside it). Quadrants split at an equal share and at the "
    "drivers' mean satisfaction; fix_rank puts 'concentrate here' first.",
    "themes": "Weighted log-odds with an informative Dirichlet prior (Monroe et al. 2008), "
    "counted per answer. impact: NPS points gained if the answers mentioning the term were "
    "gone.",
    "staff_leaderboard": "Only those with at least the minimum number of answers are ranked, "
    "by the lower bound of their 95 % interval; the others are listed unranked.",
    "stage_funnel": "first visit: no purchase; first purchase: one; repeat visits: two or "
    "more; attachment: repeat visits and an attached attitude in the latest answers; "
    "loyalty: attached, frequent, recent and (where asked) share of wallet >= 70 %. Members "
    "who never answered cannot pass repeat visits (without_answers).",
    "loyalty_types": "Attachment (from the 0-10 score and intention to buy again) x repeat "
    "frequency. Members without answers are not guessed: they are counted as unknown and "
    "left out of the shares.",
    "wallet_bands": "Share of wallet: >= 70 % loyal, 50-70 % middle, < 50 % at risk.",
    "acquisition": "clv is filled once the predictive models have scored the members.",
}


def _errors(frame: pd.DataFrame, value: str = "nps") -> dict[str, Any]:
    return {
        "type": "data",
        "symmetric": False,
        "array": (frame["high"] - frame[value]).tolist(),
        "arrayminus": (frame[value] - frame["low"]).tolist(),
    }


def _bar_with_interval(frame: pd.DataFrame, key: str, title: str) -> go.Figure:
    top = frame.head(30)
    return go.Figure(
        go.Bar(x=top[key].astype(str), y=top["nps"], error_y=_errors(top), name="NPS"),
        layout={"title": title, "yaxis": {"title": "NPS"}},
    )


def charts(report: dict[str, Any]) -> dict[str, go.Figure]:
    """One figure per section that has a natural chart."""
    figures: dict[str, go.Figure] = {}
    for name in ("nps_by_month", "nps_by_week"):
        frame = report.get(name)
        if isinstance(frame, pd.DataFrame) and not frame.empty:
            figures[name] = go.Figure(
                go.Scatter(
                    x=frame["period"].astype(str),
                    y=frame["nps"],
                    error_y=_errors(frame),
                    mode="lines+markers",
                    name="NPS",
                ),
                layout={"title": TITLES[name], "yaxis": {"title": "NPS"}},
            )
    for name, section in report.items():
        if name.startswith("nps_by_") and name not in figures and isinstance(section, pd.DataFrame):
            figures[name] = _bar_with_interval(section, name.removeprefix("nps_by_"), TITLES[name])
    frame = report.get("drivers")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        figure = go.Figure(
            go.Scatter(
                x=frame["satisfaction"],
                y=frame["share"],
                text=frame["driver"],
                mode="markers+text",
                textposition="top center",
                marker={"size": 14},
                customdata=frame["quadrant"],
                hovertemplate="%{text}: %{customdata}<extra></extra>",
            ),
            layout={
                "title": TITLES["drivers"],
                "xaxis": {"title": "satisfaction (mean 1-5)"},
                "yaxis": {"title": "importance (% of R²)"},
            },
        )
        figure.add_hline(y=float(frame["importance_cut"].iloc[0]), line_dash="dot")
        figure.add_vline(x=float(frame["satisfaction_cut"].iloc[0]), line_dash="dot")
        figures["drivers"] = figure
    frame = report.get("themes")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        figures["themes"] = go.Figure(
            go.Bar(
                x=frame["z"][::-1],
                y=frame["term"][::-1],
                orientation="h",
                customdata=frame["impact"][::-1],
                hovertemplate="%{y}: z=%{x:.1f}, NPS +%{customdata:.1f} without it",
            ),
            layout={"title": TITLES["themes"], "xaxis": {"title": "log-odds z (detractors)"}},
        )
    frame = report.get("staff_leaderboard")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        eligible = frame[frame["eligible"]]
        if not eligible.empty:
            figures["staff_leaderboard"] = _bar_with_interval(
                eligible, "employee", TITLES["staff_leaderboard"]
            )
    frame = report.get("stage_funnel")
    if isinstance(frame, pd.DataFrame):
        figures["stage_funnel"] = go.Figure(
            go.Funnel(y=frame["stage"], x=frame["reached"]),
            layout={"title": TITLES["stage_funnel"]},
        )
    frame = report.get("cohorts")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        ages = [c for c in frame.columns if c not in ("cohort", "size")]
        figures["cohorts"] = go.Figure(
            go.Heatmap(
                z=frame[ages].to_numpy(),
                x=ages,
                y=frame["cohort"].astype(str),
                colorscale="Blues",
                zmin=0,
                zmax=100,
            ),
            layout={"title": TITLES["cohorts"], "xaxis": {"title": "months since first purchase"}},
        )
    frame = report.get("average_check")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        figures["average_check"] = go.Figure(
            go.Scatter(x=frame["period"].astype(str), y=frame["average_check"], mode="lines"),
            layout={"title": TITLES["average_check"], "yaxis": {"title": "won"}},
        )
    frame = report.get("returning_by_month")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        figures["returning_by_month"] = go.Figure(
            [
                go.Bar(x=frame["period"].astype(str), y=frame["customers"], name="customers"),
                go.Bar(x=frame["period"].astype(str), y=frame["returning"], name="returning"),
            ],
            layout={"title": TITLES["returning_by_month"], "barmode": "overlay"},
        )
    for name, key in (
        ("rfm_segments", "rfm_segment"),
        ("loyalty_types", "loyalty_type"),
        ("wallet_bands", "wallet_band"),
    ):
        frame = report.get(name)
        if isinstance(frame, pd.DataFrame) and not frame.empty:
            figures[name] = go.Figure(
                go.Bar(x=frame[key], y=frame["members"]), layout={"title": TITLES[name]}
            )
    frame = report.get("acquisition")
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        figures["acquisition"] = go.Figure(
            [
                go.Bar(x=frame["acquisition_channel"], y=frame["cost_per_member"], name="cost"),
                go.Bar(
                    x=frame["acquisition_channel"], y=frame["spend_to_date"], name="spend to date"
                ),
                go.Bar(x=frame["acquisition_channel"], y=frame["clv"], name="CLV"),
            ],
            layout={"title": TITLES["acquisition"], "yaxis": {"title": "won per member"}},
        )
    return figures


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if isinstance(value, list):
        return " / ".join(map(str, value))
    if value is None or value is pd.NA:
        return ""
    return str(value)


def _headline(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:.1f}"
    return _cell(value)


def _td(value: Any) -> str:
    text = Markup.escape(_cell(value))
    return f"<td class='t'>{text}</td>" if isinstance(value, str | list) else f"<td>{text}</td>"


def _table(frame: pd.DataFrame, limit: int = 60) -> Markup:
    shown = frame.head(limit)
    header = "".join(f"<th>{Markup.escape(c)}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in shown.itertuples(index=False)
    )
    more = (
        f"<p class='more'>{len(frame) - limit:,} more rows in report.json</p>"
        if len(frame) > limit
        else ""
    )
    return Markup(f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>{more}")


def render_page(report: dict[str, Any], template: str) -> str:
    """The HTML page: headline figures, one block per section with its chart and table."""
    figures = charts(report)
    sections = []
    for name, section in report.items():
        if name in ("meta", "nps") or (isinstance(section, dict) and not section):
            continue
        block: dict[str, Any] = {
            "name": name,
            "title": TITLES.get(name, name.replace("_", " ")),
            "note": NOTES.get(name),
        }
        if name in figures:
            block["chart"] = Markup(
                figures[name].to_html(
                    full_html=False, include_plotlyjs=False, default_height="420px"
                )
            )
        if isinstance(section, pd.DataFrame):
            block["table"] = _table(section)
        else:
            block["facts"] = {k: _cell(v) for k, v in section.items()}
        sections.append(block)
    environment = Environment(autoescape=select_autoescape(default=True))
    page = environment.from_string(template)
    return page.render(
        meta=report["meta"],
        nps={k: _headline(v) for k, v in report["nps"].items()},
        sections=sections,
        plotly_js=Markup(get_plotlyjs()),
    )
