"""The FastAPI application, built over an :class:`regulars.bootstrap.App`."""

from __future__ import annotations

from fastapi import FastAPI

from regulars import __version__
from regulars.api import (
    analytics,
    cases,
    deliveries,
    errors,
    loyalty,
    members,
    purchases,
    scores,
    surveys,
    webhooks,
)
from regulars.bootstrap import App
from regulars.web import answer_page

ROUTERS = (
    members.router,
    purchases.router,
    loyalty.router,
    analytics.router,
    scores.router,
    surveys.router,
    cases.router,
    webhooks.router,
    deliveries.router,
    answer_page.router,
)


def create_api(app: App) -> FastAPI:
    api = FastAPI(
        title="regulars",
        version=__version__,
        description="Loyalty program, feedback and loyalty analytics for a business that "
        "lives on returning customers. Authenticate with `Authorization: Bearer <API key>`.",
    )
    api.state.regulars = app
    errors.install(api)
    for router in ROUTERS:
        api.include_router(router)

    @api.get("/health", tags=["meta"], summary="Liveness")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return api
