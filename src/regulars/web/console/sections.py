"""The console's front door and the sections still to come.

``/console/`` opens *Today*. *Today*, *Feedback* and *Campaigns* are built on the briefing
views and the campaigns engine (other parts of issue 15); until they land they say so and
point to the lists that already work.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from regulars.web.console.access import signed_in
from regulars.web.console.rendering import Viewer, render

router = APIRouter(prefix="/console", include_in_schema=False)
COMING = ("today", "feedback", "campaigns")


@router.get("/")
@router.get("", include_in_schema=False)
def front_door() -> RedirectResponse:
    return RedirectResponse("/console/today", status_code=303)


def _coming(section: str) -> Callable[..., HTMLResponse]:
    def page(request: Request, viewer: Viewer = Depends(signed_in)) -> HTMLResponse:
        return render(request, viewer, "coming", section=section)

    page.__name__ = f"{section}_page"
    return page


for _section in COMING:
    router.add_api_route(
        f"/{_section}", _coming(_section), methods=["GET"], response_class=HTMLResponse
    )
