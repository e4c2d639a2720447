"""``/console/audit``: the audit log, newest first (owners)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from regulars.domain.staff import Permission
from regulars.services import audit
from regulars.web.console.access import needs
from regulars.web.console.rendering import Viewer, regulars_app, render

router = APIRouter(prefix="/console/audit", include_in_schema=False)
PAGE = 100


@router.get("", response_class=HTMLResponse)
def audit_log(
    request: Request, viewer: Viewer = Depends(needs(Permission.READ_AUDIT))
) -> HTMLResponse:
    before = request.query_params.get("before", "")
    with regulars_app(request).unit_of_work() as uow:
        entries = audit.entries(
            uow, before_id=int(before) if before.isdigit() else None, limit=PAGE + 1
        )
    more = len(entries) > PAGE
    return render(
        request,
        viewer,
        "audit",
        entries=entries[:PAGE],
        next_before=entries[PAGE - 1]["id"] if more else None,
    )
