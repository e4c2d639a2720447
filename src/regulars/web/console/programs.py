"""Loyalty programs: the list, one program (its definition, its versions, what it owes), and
pausing, resuming or ending it (chain-wide managers and owners; audited; ending asks for a
confirmation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regulars.domain.staff import Permission
from regulars.services.errors import Invalid, NotFound
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty import programs as program_service
from regulars.web.console.access import ConsoleRefusal, in_thread, needs, posted
from regulars.web.console.members import actor_of
from regulars.web.console.rendering import Viewer, redirect, regulars_app, render

router = APIRouter(prefix="/console/programs", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def programs(
    request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_PROGRAMS))
) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        found = program_service.list_programs(uow)
    return render(request, viewer, "programs", programs=found)


@router.get("/{code}", response_class=HTMLResponse)
def program(
    code: str, request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_PROGRAMS))
) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        found = program_service.get_program(uow, code)
        overview: dict[str, Any] | None = None
        if found["state"] == program_service.ACTIVE:
            try:
                overview = loyalty.program_overview(uow, code)
            except NotFound:
                overview = None
    confirm_end = request.query_params.get("confirm") == "end"
    return render(
        request, viewer, "program", program=found, overview=overview, confirm_end=confirm_end
    )


@router.post("/{code}/{move}")
async def change(
    code: str,
    move: str,
    request: Request,
    viewer: Viewer = Depends(needs(Permission.CHANGE_PROGRAMS)),
) -> Response:
    form = await posted(request, viewer)
    if move not in program_service.MOVES:
        raise ConsoleRefusal(404, "error_404_text")
    if move == "end" and form.get("confirm_code", "").strip() != code:
        raise Invalid("type the program's code to confirm: the program was not ended")
    app = regulars_app(request)

    def work() -> None:
        with app.unit_of_work() as uow:
            program_service.change_state(uow, code, move, datetime.now(UTC), actor_of(viewer))
            uow.commit()

    await in_thread(work)
    return redirect(f"/console/programs/{code}", f"program_{move}")
