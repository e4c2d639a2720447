"""Campaigns: the list with their states; one campaign — its trigger, audience (with the size
a run would take now, :func:`regulars.services.engagement.campaigns.preview`), steps and
versions; its results, treated against holdout with the uplift and its 95 % interval
(:func:`regulars.services.engagement.campaign_results.results`), said plainly when it cannot
yet be told from zero; and launch / pause / end (chain-wide managers and owners; ending asks
for a confirmation; audited as ``campaign.<move>``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regulars.domain.engagement.campaigns import State, may_move
from regulars.domain.engagement.channels import channel_order
from regulars.domain.staff import Permission
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.values import Money, PercentPoints, PValue, Range, Value
from regulars.services.engagement import campaign_results
from regulars.services.engagement import campaigns as campaign_service
from regulars.services.errors import Invalid
from regulars.web.console.access import ConsoleRefusal, in_thread, needs, posted
from regulars.web.console.members import actor_of
from regulars.web.console.rendering import Viewer, redirect, regulars_app, render

router = APIRouter(prefix="/console/campaigns", include_in_schema=False)
MOVES = {"launch": State.RUNNING, "pause": State.PAUSED, "end": State.ENDED}
"""The page's buttons and the state each asks for."""


def uplift_words(results: dict[str, Any], f: Formatter) -> dict[str, dict[str, str]]:
    """Per measure (conversion, revenue per member): the catalogue key of what can be said
    — ``uplift_none`` (an arm has no member yet), ``uplift_unclear`` (the interval holds
    zero: it cannot yet be told from zero), ``uplift_up`` / ``uplift_down`` — with the
    estimate, its 95 % interval and p written by the briefing's formatter (conversion in
    percentage points, revenue in money)."""

    def written(measure: str, value: float) -> Value:
        if measure == "conversion":
            return PercentPoints(100 * value)
        return Money(round(value))

    said = {}
    for measure, difference in results["uplift"].items():
        if difference is None:
            said[measure] = {"key": "uplift_none", "estimate": "—", "interval": "—", "p": "—"}
            continue
        if not difference["significant"]:
            key = "uplift_unclear"
        else:
            key = "uplift_up" if difference["estimate"] > 0 else "uplift_down"
        low, high = written(measure, difference["lower"]), written(measure, difference["upper"])
        said[measure] = {
            "key": key,
            "estimate": f.format(written(measure, difference["estimate"])),
            "interval": f.format(Range(low, high)),
            "p": f.format(PValue(difference["p_value"])),
        }
    return said


def formatter(request: Request, viewer: Viewer) -> Formatter:
    """The briefing's formatter in the viewer's language and the business's zone and money."""
    settings = regulars_app(request).settings
    return Formatter(viewer.language, settings.timezone, settings.currency)


def _steps(definition: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each step of a definition as (its kind, what it holds)."""
    steps = definition.get("steps") or []
    return [next(iter(step.items())) if isinstance(step, dict) and step else ("?", step)
            for step in steps]  # fmt: skip


@router.get("", response_class=HTMLResponse)
def campaigns(
    request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_CAMPAIGNS))
) -> HTMLResponse:
    with regulars_app(request).unit_of_work() as uow:
        found = campaign_service.list_campaigns(uow)
    return render(request, viewer, "campaigns", campaigns=found)


@router.get("/{code}", response_class=HTMLResponse)
def campaign(
    code: str, request: Request, viewer: Viewer = Depends(needs(Permission.VIEW_CAMPAIGNS))
) -> HTMLResponse:
    settings = regulars_app(request).settings
    now = datetime.now(UTC)
    with regulars_app(request).unit_of_work() as uow:
        found = campaign_service.show(uow, code)
        preview = None
        if found["state"] != State.ENDED.value:
            preview = campaign_service.preview(
                uow, code, now=now, timezone=settings.timezone, sample=0,
                channel_order=channel_order(settings.channel_order),
            )  # fmt: skip
        results = campaign_results.results(uow, code, now)
    return render(
        request, viewer, "campaign", campaign=found, preview=preview, results=results,
        words=uplift_words(results, formatter(request, viewer)), steps=_steps(found["definition"]),
        moves=[m for m, target in MOVES.items() if may_move(State(found["state"]), target)],
        confirm_end=request.query_params.get("confirm") == "end",
    )  # fmt: skip


@router.post("/{code}/{move}")
async def change(
    code: str,
    move: str,
    request: Request,
    viewer: Viewer = Depends(needs(Permission.CHANGE_CAMPAIGNS)),
) -> Response:
    form = await posted(request, viewer)
    if move not in MOVES:
        raise ConsoleRefusal(404, "error_404_text")
    if move == "end" and form.get("confirm_code", "").strip() != code:
        raise Invalid("type the campaign's code to confirm: the campaign was not ended")
    app = regulars_app(request)

    def work() -> None:
        with app.unit_of_work() as uow:
            campaign_service.move(uow, code, MOVES[move], datetime.now(UTC), actor_of(viewer))
            uow.commit()

    await in_thread(work)
    return redirect(f"/console/campaigns/{quote(code, safe='')}", f"campaign_{move}")
