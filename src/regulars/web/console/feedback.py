"""Feedback: the briefing's feedback sections as the report computes them — NPS and
satisfaction per month, store, department, employee and touchpoint with their intervals, the
driver matrix (importance x satisfaction, fix first), the comment themes with quotes, the
staff leaderboard — names for codes, words from the briefing's catalogues
(:func:`regulars.services.briefing.page.feedback_blocks`).

The briefing runs the analytics report, seconds of CPU on a big store: it is computed in the
API's report process (``run_apart``, given to :func:`regulars.web.console.mount`), never in
the worker serving the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from regulars.web.console.access import signed_in
from regulars.web.console.rendering import Viewer, regulars_app, render

router = APIRouter(prefix="/console/feedback", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
async def feedback(request: Request, viewer: Viewer = Depends(signed_in)) -> HTMLResponse:
    settings = regulars_app(request).settings
    run_apart = request.app.state.console_run_apart
    found: dict[str, Any] = await run_apart(
        settings, "console_feedback", language=viewer.language, timezone=settings.timezone,
        currency=settings.currency,
    )  # fmt: skip
    blocks = [
        {**b, "html": Markup(b["html"])}  # written escaped by the briefing's page module
        for b in found["blocks"]
    ]
    return render(
        request, viewer, "feedback", blocks=[b for b in blocks if b["title"]],
        notes=[b["note"] for b in blocks if not b["title"]], period=found["period"],
        empty=found["empty"],
    )  # fmt: skip
