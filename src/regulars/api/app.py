"""The FastAPI application, built over an :class:`regulars.bootstrap.App`."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regulars import __version__
from regulars.api import (
    analytics,
    campaigns,
    cases,
    deliveries,
    errors,
    loyalty,
    members,
    purchases,
    report_pool,
    scores,
    subscriptions,
    surveys,
    webhooks,
)
from regulars.api.inputs import storable_parameters
from regulars.bootstrap import App
from regulars.web import answer_page, console, docs, optout

API_ROUTERS = (
    members.router,
    purchases.router,
    loyalty.router,
    analytics.router,
    scores.router,
    surveys.router,
    cases.router,
    webhooks.router,
    deliveries.router,
    campaigns.router,
    subscriptions.router,
)

EVERY_ANSWER = {"X-Content-Type-Options": "nosniff"}
"""Headers on every response: no content sniffing (a JSON answer is never run as a page)."""
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
"""Headers on every HTML page: no script at all, no framing (clickjacking), no referrer (a
survey link's token never leaks to another site). Styles may be inline, scripts never."""


class SecurityHeaders:
    """Add :data:`EVERY_ANSWER` to every response and :data:`PAGE_HEADERS` to HTML ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_ANSWER.items():
                    headers[name] = value
                if headers.get("content-type", "").startswith("text/html"):
                    for name, value in PAGE_HEADERS.items():  # unless the page set its own
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_api(app: App) -> FastAPI:
    api = FastAPI(
        title="regulars",
        version=__version__,
        description="Loyalty program, feedback and loyalty analytics for a business that "
        "lives on returning customers. Authenticate with `Authorization: Bearer <API key>`. "
        'Every error answers `{"error": {"code", "message", "details"}}` (the `ErrorBody` '
        "schema); invalid input names each field in `details`.",
        docs_url=None,  # served offline by web/docs.py
        redoc_url=None,
    )
    api.state.regulars = app
    errors.install(api, pages=console.page_for_error)
    api.add_middleware(SecurityHeaders)
    for router in API_ROUTERS:
        api.include_router(router, dependencies=[Depends(storable_parameters)])
    api.include_router(answer_page.router)  # checks its own token and form
    api.include_router(optout.router)  # checks its own signed link
    docs.install(api)  # /docs and /redoc from assets served here (no CDN)
    # the staff console under /console (its own sessions and CSRF; its heavy pages apart)
    console.mount(api, report_pool.run_apart)

    @api.get("/health", tags=["meta"], summary="Liveness")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return api
