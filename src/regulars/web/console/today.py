"""The console's front door, *Today*: the owner briefing's glance at the period ending today
(:func:`regulars.services.briefing.today.today`) — the NPS with its 95 % interval and whether
it moved, new detractors' cases and the overdue ones, the members at risk and their value,
the points liability, the campaigns' results — each linking to its list; and the staff task
queue the campaigns create, each task marked done from here (audited).

A user scoped to one store sees that store's cases and tasks; the NPS, the members at risk
and the liability are the chain's and say so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from regulars.domain.engagement.campaigns import State
from regulars.domain.staff import Permission
from regulars.services.briefing.cases import of_store
from regulars.services.briefing.today import today
from regulars.services.briefing.values import Money, Range, Score
from regulars.services.engagement import campaign_results, campaign_runs
from regulars.services.engagement import campaigns as campaign_service
from regulars.web.console.access import in_thread, needs, posted, scope_of, signed_in, within_scope
from regulars.web.console.campaigns import formatter, uplift_words
from regulars.web.console.members import actor_of
from regulars.web.console.rendering import Viewer, redirect, regulars_app, render

router = APIRouter(prefix="/console", include_in_schema=False)
AT_RISK_SHOWN = 5
TASKS_SHOWN = 50
CAMPAIGNS_SHOWN = 10


@router.get("/")
@router.get("", include_in_schema=False)
def front_door() -> RedirectResponse:
    return RedirectResponse("/console/today", status_code=303)


def _campaigns(uow: Any, now: datetime) -> list[dict[str, Any]]:
    """The results of the campaigns running or paused (the highest priority first)."""
    shown = [
        c for c in campaign_service.list_campaigns(uow)
        if c["state"] in (State.RUNNING.value, State.PAUSED.value)
    ][:CAMPAIGNS_SHOWN]  # fmt: skip
    return [{**c, "results": campaign_results.results(uow, c["code"], now)} for c in shown]


@router.get("/today", response_class=HTMLResponse)
def today_page(request: Request, viewer: Viewer = Depends(signed_in)) -> HTMLResponse:
    app = regulars_app(request)
    assert viewer.user is not None
    scope = scope_of(viewer)
    now = datetime.now(UTC)
    with app.unit_of_work() as uow:
        glance = today(uow, now, timezone=app.settings.timezone, at_risk_limit=AT_RISK_SHOWN)
        tasks = (
            campaign_runs.staff_tasks(uow, status="open", store=scope.store, limit=TASKS_SHOWN)
            if viewer.user.may(Permission.WORK_TASKS) or viewer.user.may(Permission.VIEW_CAMPAIGNS)
            else []
        )
        campaigns = _campaigns(uow, now) if viewer.user.may(Permission.VIEW_CAMPAIGNS) else []
    f = formatter(request, viewer)
    score = glance.movements.nps.after
    nps = {
        "n": score.n,
        "value": f.format(Score(score.nps)),
        "interval": f.format(Range(Score(score.low), Score(score.high))),
        "sentences": [f.say(s) for s in glance.moved],
    }
    cases = of_store(glance.cases, scope.store)
    risk = glance.at_risk
    return render(
        request, viewer, "today", f=f, period=glance.movements.current, nps=nps, cases=cases,
        follow_up=[f.say(s) for s in glance.follow_up] if scope.store is None else [],
        at_risk=risk, value_at_risk=f.format(Money(risk.value_at_risk)) if risk else None,
        save=[f.say(s) for s in glance.save], loyalty=glance.loyalty,
        liability=f.format(Money(glance.loyalty.liability)),
        program=[f.say(s) for s in glance.program],
        tasks=[{**t, "overdue": datetime.fromisoformat(t["due_at"]) < now} for t in tasks],
        scoped=scope.store,
        campaigns=[{**c, "words": uplift_words(c["results"], f)} for c in campaigns],
        now=now,
    )  # fmt: skip


@router.post("/today/tasks/{task_id}/done")
async def task_done(
    task_id: int, request: Request, viewer: Viewer = Depends(needs(Permission.WORK_TASKS))
) -> Response:
    """Mark a campaign's staff task done (within the viewer's store; audited)."""
    await posted(request, viewer)
    app = regulars_app(request)

    def work() -> None:
        with app.unit_of_work() as uow:
            within_scope(viewer, campaign_runs.staff_task(uow, task_id)["store"])
            campaign_runs.finish_task(uow, task_id, datetime.now(UTC), actor_of(viewer))
            uow.commit()

    await in_thread(work)
    return redirect("/console/today", "task_done")
