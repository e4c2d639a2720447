"""API keys: created and revoked on the CLI, stored as salted hashes, checked on every call.

A key reads ``rg_<prefix>_<secret>``. Only the prefix is stored in clear (to find the row);
the secret is 32 random bytes, so a salted SHA-256 is enough — a slow password hash would
protect nothing more and cost every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from regulars.domain.access import Scope, parse_scopes
from regulars.services.unit_of_work import UnitOfWork
from regulars.store.api_keys import StoredApiKey


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None


class InvalidApiKey(Exception):
    """The key is malformed, unknown or revoked."""


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def create(uow: UnitOfWork, name: str, scopes: str) -> tuple[str, ApiKey]:
    """Create a key; return the token (shown once, never stored) and its record."""
    granted = parse_scopes(scopes)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    now = datetime.now(UTC)
    key_id = uow.api_keys.add(
        name=name,
        prefix=prefix,
        secret_hash=_digest(salt, secret),
        salt=salt,
        scopes=",".join(sorted(granted)),
        created_at=now,
    )
    return f"rg_{prefix}_{secret}", ApiKey(key_id, name, prefix, granted, now, None)


def authenticate(uow: UnitOfWork, token: str) -> ApiKey:
    """Return the live key for ``token`` or raise :class:`InvalidApiKey`."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rg":
        raise InvalidApiKey("malformed API key: expected rg_<prefix>_<secret>")
    _, prefix, secret = parts
    stored = uow.api_keys.by_prefix(prefix)
    if stored is None or not hmac.compare_digest(stored.secret_hash, _digest(stored.salt, secret)):
        raise InvalidApiKey("unknown API key")
    if stored.revoked_at is not None:
        raise InvalidApiKey(f"API key {prefix!r} was revoked")
    return _record(stored)


def revoke(uow: UnitOfWork, prefix: str) -> ApiKey:
    """Revoke the key with ``prefix``; revoking it again keeps the first time."""
    stored = uow.api_keys.by_prefix(prefix)
    if stored is None:
        raise InvalidApiKey(f"no API key with prefix {prefix!r}")
    now = datetime.now(UTC)
    uow.api_keys.revoke(stored.id, now)
    return replace(_record(stored), revoked_at=stored.revoked_at or now)


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    return [_record(k) for k in uow.api_keys.all()]


def _record(stored: StoredApiKey) -> ApiKey:
    return ApiKey(
        stored.id,
        stored.name,
        stored.prefix,
        parse_scopes(stored.scopes),
        stored.created_at,
        stored.revoked_at,
    )
