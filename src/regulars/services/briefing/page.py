"""The briefing as one self-contained HTML page (Jinja2; plotly's JavaScript inlined from the
installed package, so it opens offline; no CDN, no other request).

The page reads top-down like a briefing: the executive summary in sentences with a few
headline figures, the loyalty programs, the members to call, then feedback and customers
in detail, each section with a human title, a note on what it shows and how, a chart
(labelled axes and units, a caption that says what a mark means) and a table. A table of
contents leads to each part; the layout fits a phone. On an empty store the page says to
import data first, and how, instead of drawing empty charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from regulars.analytics.drivers import QUADRANTS
from regulars.services.briefing import at_risk as at_risk_views
from regulars.services.briefing import cases as case_views
from regulars.services.briefing import churn_page
from regulars.services.briefing import loyalty as loyalty_views
from regulars.services.briefing.build import Briefing
from regulars.services.briefing.charts import CHART_HEIGHT, Chart, charts
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.sections import SectionView
from regulars.services.briefing.values import (
    MISSING,
    Count,
    Money,
    Percent,
    Quotes,
    Range,
    Score,
    Sentence,
    Table,
    Value,
)


def _cell_class(text: bool, quotes: bool = False) -> str:
    if quotes:
        return " class='t q'"
    return " class='t'" if text else ""


def render_table(table: Table, f: Formatter) -> Markup:
    """A table with its headings, each cell formatted; wrapped to scroll sideways on phones."""
    quoting = [
        any(isinstance(row[i], Quotes) for row in table.rows) for i in range(len(table.columns))
    ]
    head = "".join(
        f"<th scope='col'{_cell_class(c.text, q)}>{Markup.escape(f.heading(c))}</th>"
        for c, q in zip(table.columns, quoting, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_cell_class(c.text, q)}>{Markup.escape(f.format(v))}</td>"
            for c, v, q in zip(table.columns, row, quoting, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    more = (
        f"<p class='more'>{Markup.escape(f.t('page.more_rows', n=f'{table.more:,}'))}</p>"
        if table.more
        else ""
    )
    return Markup(
        f"<div class='scroll' tabindex='0'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>{more}"
    )


def render_facts(facts: tuple[tuple[str, Value], ...], f: Formatter) -> Markup:
    items = "".join(
        f"<div><dt>{Markup.escape(f.t(key))}</dt><dd>{Markup.escape(f.format(value))}</dd></div>"
        for key, value in facts
    )
    return Markup(f"<dl class='facts'>{items}</dl>")


def render_chart(chart: Chart, f: Formatter, name: str) -> Markup:
    html = chart.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        default_height=CHART_HEIGHT,
        default_width="100%",
        div_id=f"chart-{name}",
        config={"responsive": True, "displaylogo": False},
    )
    caption = Markup.escape(f.t(chart.caption))
    return Markup(f"<figure>{html}<figcaption>{caption}</figcaption></figure>")


@dataclass
class Block:
    """A titled part of the page: its id, title, note, and what it holds (HTML pieces)."""

    id: str
    title: str
    note: str | None = None
    parts: list[Markup] = field(default_factory=list)


def _section_block(view: SectionView, f: Formatter, figures: dict[str, Chart]) -> Block:
    block = Block(view.name, f.t(view.title), f.t(view.note) if f.has(view.note) else None)
    if view.name in figures:
        block.parts.append(render_chart(figures[view.name], f, view.name))
    if view.table is not None:
        block.parts.append(render_table(view.table, f))
    if view.facts:
        block.parts.append(render_facts(view.facts, f))
    return block


def _headline(b: Briefing) -> list[tuple[str, Value, Value | None]]:
    """The figures on top: (label key, value, detail)."""
    m = b.movements
    tiles: list[tuple[str, Value, Value | None]] = []
    if m.nps.after.n:
        tiles.append(
            (
                "tile.nps",
                Score(m.nps.after.nps),
                Range(Score(m.nps.after.low), Score(m.nps.after.high)),
            )
        )
    if m.average_check.n_after:
        tiles.append(
            (
                "tile.average_check",
                Money(round(m.average_check.after)),
                Count(m.average_check.n_after),
            )
        )
    if m.returning.n_after:
        tiles.append(("tile.returning", Percent(m.returning.after), Count(m.returning.n_after)))
    if b.at_risk is not None:
        tiles.append(
            ("tile.value_at_risk", Money(b.at_risk.value_at_risk), Count(b.at_risk.scored))
        )
    if b.loyalty is not None and any(p.point_value is not None for p in b.loyalty.programs):
        tiles.append(("tile.liability", Money(b.loyalty.liability), MISSING))
    if b.cases is not None and b.cases.stores:
        tiles.append(("tile.cases", Count(b.cases.open), Count(b.cases.overdue)))
    return tiles


def _loyalty_blocks(b: Briefing, f: Formatter) -> list[Block]:
    if b.loyalty is None or not b.loyalty.programs:
        return [Block("program-none", f.t("section.loyalty.none"))]
    blocks = []
    for program in b.loyalty.programs:
        block = Block(
            f"program-{program.code}",
            program.name,
            f.t(f"program.kind.{program.kind}")
            + ("" if program.active else f" · {f.t('program.inactive')}"),
        )
        block.parts.append(render_facts(loyalty_views.balance_facts(program), f))
        if program.kind == "points" or program.ever.earned:
            block.parts.append(render_table(loyalty_views.points_table(program), f))
        if program.tiers:
            block.parts.append(render_table(loyalty_views.tiers_table(program), f))
        if program.vouchers.issued or program.kind == "stamps":
            block.parts.append(render_table(loyalty_views.vouchers_table(program), f))
        blocks.append(block)
    return blocks


def _at_risk_blocks(b: Briefing, f: Formatter) -> list[Block]:
    if b.at_risk is None:
        return [Block("at-risk-none", f.t("section.at_risk.none"), f.t("section.at_risk.how"))]
    found = [
        Block(
            "at-risk-value",
            f.t("section.at_risk.value.title"),
            f.t("section.at_risk.value.note"),
            [render_table(at_risk_views.members_table(b.at_risk.at_risk), f)],
        )
    ]
    lost = Block(
        "at-risk-lost", f.t("section.at_risk.lost.title"), f.t("section.at_risk.lost.note")
    )
    if b.at_risk.recently_lost:
        lost.parts.append(
            render_table(at_risk_views.members_table(b.at_risk.recently_lost, lost=True), f)
        )
    else:
        lost.parts.append(Markup(f"<p>{Markup.escape(f.t('section.at_risk.lost.none'))}</p>"))
    found.append(lost)
    return found


def _cases_block(b: Briefing, f: Formatter) -> list[Block]:
    if b.cases is None or not b.cases.stores:
        return []
    return [
        Block(
            "cases",
            f.t("section.cases.title"),
            f.t("section.cases.note"),
            [render_table(case_views.stores_table(b.cases), f)],
        )
    ]


def driver_matrix(frame: Any, f: Formatter) -> Markup:
    """The importance x satisfaction matrix as four labelled boxes (the quadrants of the
    drivers table, the fix-first one first), each naming its drivers."""
    items = []
    order = ("concentrate here", "keep up the good work", "possible overkill", "low priority")
    for quadrant in (q for q in order if q in QUADRANTS.values()):
        drivers = frame.loc[frame["quadrant"] == quadrant, "driver"]
        inside = [f.format_term(f"driver.{d}") for d in drivers]
        label = Markup.escape(f.format_term(f"quadrant.{quadrant}"))
        named = Markup.escape(", ".join(inside)) if inside else "—"
        items.append(f"<div class='quadrant'><dt>{label}</dt><dd>{named}</dd></div>")
    return Markup(f"<dl class='matrix'>{''.join(items)}</dl>")


def feedback_blocks(b: Briefing, f: Formatter) -> list[dict[str, str]]:
    """The feedback part of the page without its charts (the staff console shows no script
    of its own): each section's id, title, note and HTML (its tables and facts, the driver
    matrix as four quadrants); JSON-ready, so it travels from the report process."""
    notes = b.report.get("notes") or {}
    blocks = []
    for view in b.feedback:
        block = _section_block(view, f, {})
        parts = list(block.parts)
        drivers = b.report.get("drivers")
        if view.name == "drivers" and drivers is not None and not drivers.empty:
            parts.insert(0, driver_matrix(drivers, f))
        blocks.append(
            {
                "id": block.id,
                "title": block.title,
                "note": block.note or "",
                "html": str(Markup("").join(parts)),
            }
        )
    return [
        *blocks,
        *(
            {"id": f"note-{key}", "title": "", "note": note_text(key, str(text), f), "html": ""}
            for key, text in notes.items()
        ),
    ]


def _sentences(sentences: list[Sentence], f: Formatter) -> Markup:
    items = "".join(f"<li>{Markup.escape(f.say(s))}</li>" for s in sentences)
    return Markup(f"<ul>{items}</ul>")


def _churn_blocks(b: Briefing, f: Formatter) -> list[Block]:
    """The subscribers' churn section (only when the store holds subscriptions)."""
    view = b.churn
    if view is None:
        return []
    w = churn_page.W
    act = Block(
        "churn-act",
        f.t(f"{w}.act.title"),
        f.t(f"{w}.act.note", contracts=f"{view.active:,}"),
        [
            _sentences(
                [churn_page.fix_first_sentence(view.fix_first), churn_page.call_sentence(view)],
                f,
            )
        ],
    )
    if view.to_call:
        act.parts.append(render_table(churn_page.call_table(view), f))
    retention = Block(
        "churn-retention",
        f.t(f"{w}.retention.title"),
        f.t(f"{w}.retention.note"),
        [_sentences([churn_page.retention_sentence(view)], f)],
    )
    chart = churn_page.retention_chart(view, f)
    if chart is not None:
        retention.parts.insert(0, render_chart(chart, f, "churn-retention"))
    hazards = Block(
        "churn-hazards",
        f.t(f"{w}.hazards.title"),
        f.t(f"{w}.hazards.note"),
        [
            _sentences(churn_page.hazard_sentences(view), f),
            render_table(churn_page.hazard_table(view), f),
        ],
    )
    validation = Block(
        "churn-validation",
        f.t(f"{w}.validation.title"),
        f.t(f"{w}.validation.note"),
        [_sentences([churn_page.validation_sentence(view)], f)],
    )
    chart = churn_page.calibration_chart(view, f)
    if chart is not None and view.validation is not None:
        validation.parts.insert(0, render_chart(chart, f, "churn-calibration"))
        validation.parts.append(
            render_table(churn_page.calibration_table(view.validation.calibration), f)
        )
    blocks = [act, retention, hazards, validation]
    if view.bands is not None:
        blocks.append(
            Block(
                "churn-loyalty",
                f.t(f"{w}.loyalty.title"),
                f.t(f"{w}.loyalty.note"),
                [render_table(churn_page.bands_table(view.bands), f)],
            )
        )
    return blocks


def note_text(key: str, reason: str, f: Formatter) -> str:
    """Why a section is missing or partial, in the page's language (the analytics word it
    in English: ``left out attitude: too few answers…``)."""
    if key == "drivers":
        if reason.startswith("left out ") and ":" in reason:
            left_out = reason.removeprefix("left out ").split(":", 1)[0].split(", ")
            return f.t(
                "notes.drivers_left_out",
                drivers=", ".join(f.format_term(f"driver.{d}") for d in left_out),
            )
        if reason == "no driver ratings yet":
            return f.t("notes.no_driver_ratings")
        return f.t("notes.drivers_too_few")
    return f.t(f"notes.{key}")


def render_page(b: Briefing, f: Formatter) -> str:
    """The page in the formatter's language."""
    environment = Environment(
        loader=PackageLoader("regulars.services.briefing", "templates"),
        autoescape=select_autoescape(default=True),
    )
    common: dict[str, Any] = {
        "t": f.t,
        "lang": f.language,
        "as_of": f.day(b.as_of),
        "generated": f.format_moment(b.generated_at),
    }
    if b.empty:
        return environment.get_template("empty.html.j2").render(**common)
    from plotly.offline import get_plotlyjs

    figures = charts(b.report, f, b.names)
    notes = b.report.get("notes") or {}
    parts: list[tuple[str, str, list[Block]]] = [
        ("loyalty", f.t("part.loyalty"), _loyalty_blocks(b, f)),
        ("at-risk", f.t("part.at_risk"), _at_risk_blocks(b, f)),
        (
            "feedback",
            f.t("part.feedback"),
            [*_cases_block(b, f), *(_section_block(v, f, figures) for v in b.feedback)],
        ),
        ("customers", f.t("part.customers"), [_section_block(v, f, figures) for v in b.customers]),
    ]
    churn = _churn_blocks(b, f)
    if churn:
        parts.insert(2, ("churn", f.t("part.churn"), churn))
    if b.summary.subscriptions_only:  # contracts first; the shop's empty parts last
        shop = ("loyalty", "at-risk")
        parts = [p for p in parts if p[0] not in shop] + [p for p in parts if p[0] in shop]
    summary = [
        (f.t(heading), [f.say(s) for s in sentences])
        for heading, sentences in b.summary.parts()
        if sentences
    ]
    tiles = [
        (
            f.t(key),
            f.format(value),
            f.t(f"{key}_detail", detail=f.format(detail))
            if detail is not None and detail is not MISSING
            else "",
        )
        for key, value, detail in _headline(b)
    ]
    meta = b.report.get("meta") or {}
    return environment.get_template("briefing.html.j2").render(
        **common,
        period=f.say(b.summary.period),
        counts=f.t(
            "page.counts",
            members=f"{meta.get('members', 0):,}",
            buyers=f"{meta.get('buyers', 0):,}",
            responses=f"{meta.get('responses', 0):,}",
        ),
        tiles=tiles,
        summary=summary,
        parts=parts,
        notes=[note_text(key, str(text), f) for key, text in notes.items()],
        plotly_js=Markup(get_plotlyjs()),
    )
