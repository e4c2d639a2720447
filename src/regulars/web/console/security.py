"""The console's protections: its cookies, CSRF tokens, and the headers of every page.

**Session cookie** ``regulars_console``: the session token (see
:mod:`regulars.services.staff.sessions`), ``HttpOnly`` (no script reads it),
``SameSite=Lax`` (another site's form never carries it; a link in a staff alert e-mail still
opens the case), ``Path=/console``, and ``Secure`` when the console is served over HTTPS:
``REGULARS_CONSOLE_SECURE_COOKIES=auto`` (the default) decides per request — Secure when
``REGULARS_PUBLIC_URL`` starts with ``https://`` or the request itself came over HTTPS (uvicorn
takes the scheme from ``X-Forwarded-Proto`` of a proxy listed in ``FORWARDED_ALLOW_IPS``,
127.0.0.1 by default); ``always`` and ``never`` force it.

**CSRF**: every form carries a synchronizer token derived from the session, never stored:
``HMAC-SHA256(REGULARS_SECRET_KEY, "console-csrf:" + session token)`` (OWASP's HMAC-based
token pattern). The sign-in form, which has no session yet, is a signed double submit: a
random ``regulars_signin`` cookie and the HMAC of it in the form. A POST without the right
token is refused (403) and changes nothing; a POST whose ``Origin`` names another site is
refused too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from regulars.config import Settings

SESSION_COOKIE = "regulars_console"
SIGN_IN_COOKIE = "regulars_signin"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf"

CONSOLE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a
    # form POST, and the Origin check below could not tell our own forms from another site's
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
"""On every console page: scripts and styles only from regulars itself (no inline script,
no inline style), no framing, nothing cached (pages hold members' personal data)."""


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(secret: str, session_token: str) -> str:
    """The token every form of this session carries."""
    return _mac(secret, "console-csrf", session_token)


def sign_in_token(secret: str, nonce: str) -> str:
    """The sign-in form's token for the ``regulars_signin`` cookie's ``nonce``."""
    return _mac(secret, "console-signin", nonce)


def same(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, str(given))


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def foreign_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` names another site than the one it was sent to (a
    request without ``Origin`` is judged by its token alone)."""
    origin = request.headers.get("origin")
    if not origin:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


def secure_cookies(settings: Settings, request: Request) -> bool:
    chosen = settings.console_secure_cookies
    if chosen == "always":
        return True
    if chosen == "never":
        return False
    return settings.public_url.startswith("https://") or request.url.scheme == "https"


def set_cookie(
    response: Response,
    settings: Settings,
    request: Request,
    name: str,
    value: str,
    max_age: int | None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings, request),
    )


def clear_cookie(response: Response, settings: Settings, request: Request, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings, request),
    )
