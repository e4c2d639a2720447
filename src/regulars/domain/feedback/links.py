"""Signed survey links: ``<random nonce>.<HMAC-SHA256 signature of the nonce>``.

The signature, keyed with the installation's secret, turns away a forged or altered token
before the store is asked; the store keeps only :func:`token_hash` of a token, so a copy of the
database gives no working links. Expiry and single use are the invitation row's business.

>>> token = make_token("secret", nonce="abc")
>>> is_genuine(token, "secret"), is_genuine(token[:-1] + "x", "secret")
(True, False)
>>> is_genuine(token, "another secret")
False
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def _signature(nonce: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def make_token(secret: str, nonce: str | None = None) -> str:
    """A new link token (URL-safe, about 57 characters)."""
    nonce = nonce or secrets.token_urlsafe(18)
    return f"{nonce}.{_signature(nonce, secret)}"


def is_genuine(token: str, secret: str) -> bool:
    """Whether ``token`` was signed with ``secret`` (constant-time comparison)."""
    if len(token) > 200:
        return False
    nonce, dot, signature = token.partition(".")
    if not dot or not nonce or not signature:
        return False
    return hmac.compare_digest(_signature(nonce, secret).encode(), signature.encode())


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
