"""``/docs`` (Swagger UI) and ``/redoc`` served offline: their scripts and styles come from
the ``fastapi-offline`` package (the files FastAPI would load from a CDN), served by regulars
itself at ``/docs-assets``; each page starts its viewer from a script file of ours
(``web/static/docs``), so the pages need no inline script and a CSP of 'self' only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).with_name("static")
OURS = Path(__file__).with_name("static") / "docs"
DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
"""The docs pages load only what regulars serves (Redoc starts its search in a Web Worker
made from a blob of its own script: ``worker-src blob:``)."""
REDOC_HEADERS = {
    **DOCS_HEADERS,
    "Content-Security-Policy": DOCS_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self';", "style-src 'self' 'unsafe-inline';"
    ),
}
"""Redoc writes its styles at run time (styled-components inserts ``<style>`` elements), so
its page allows inline *styles*; scripts stay 'self' only."""

router = APIRouter(include_in_schema=False)


def _page(
    title: str,
    body: str,
    scripts: list[str],
    styles: list[str],
    headers: dict[str, str] = DOCS_HEADERS,
) -> HTMLResponse:
    links = "".join(f'<link rel="stylesheet" href="{s}">' for s in styles)
    tags = "".join(f'<script src="{s}"></script>' for s in scripts)
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{links}"
        '<link rel="icon" href="/docs-assets/favicon.png"></head>'
        f"<body>{body}{tags}</body></html>"
    )
    return HTMLResponse(html, headers=headers)


def install(api: FastAPI) -> None:
    """Serve the docs pages and their assets (the API must be built with ``docs_url=None``,
    ``redoc_url=None``)."""
    api.mount("/docs-assets", StaticFiles(directory=ASSETS), name="docs-assets")
    api.mount("/docs-init", StaticFiles(directory=OURS), name="docs-init")
    title = api.title

    @router.get("/docs")
    def swagger() -> HTMLResponse:
        return _page(
            f"{title} — API",
            '<main><h1 class="visually-hidden">API</h1><div id="swagger-ui" '
            'data-openapi="/openapi.json"></div></main>',
            ["/docs-assets/swagger-ui-bundle.js", "/docs-init/swagger-init.js"],
            ["/docs-assets/swagger-ui.css", "/docs-init/docs.css"],
        )

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return _page(
            f"{title} — API reference",
            '<div id="redoc" data-openapi="/openapi.json"></div>',
            ["/docs-assets/redoc.standalone.js", "/docs-init/redoc-init.js"],
            ["/docs-init/docs.css"],
            REDOC_HEADERS,
        )

    api.include_router(router)
