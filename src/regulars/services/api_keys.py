"""API keys: created and revoked on the CLI, stored as salted hashes, checked on every call.

A key reads ``rg_<prefix>_<secret>``. Only the prefix is stored in clear (to find the row);
the secret is 32 random bytes, so a salted SHA-256 is enough — a slow password hash would
protect nothing more and cost every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from regulars.domain.access import Scope, parse_scopes
from regulars.store.tables import api_keys
from regulars.store.unit_of_work import UnitOfWork


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
    scope_text = ",".join(sorted(granted))
    key_id = uow.connection.execute(
        api_keys.insert()
        .values(
            name=name,
            prefix=prefix,
            secret_hash=_digest(salt, secret),
            salt=salt,
            scopes=scope_text,
            created_at=now,
        )
        .returning(api_keys.c.id)
    ).scalar_one()
    return f"rg_{prefix}_{secret}", ApiKey(int(key_id), name, prefix, granted, now, None)


def authenticate(uow: UnitOfWork, token: str) -> ApiKey:
    """Return the live key for ``token`` or raise :class:`InvalidApiKey`."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rg":
        raise InvalidApiKey("malformed API key: expected rg_<prefix>_<secret>")
    _, prefix, secret = parts
    row = uow.connection.execute(select(api_keys).where(api_keys.c.prefix == prefix)).first()
    if row is None or not hmac.compare_digest(
        bytes(row.secret_hash), _digest(bytes(row.salt), secret)
    ):
        raise InvalidApiKey("unknown API key")
    if row.revoked_at is not None:
        raise InvalidApiKey(f"API key {prefix!r} was revoked")
    return _record(row)


def revoke(uow: UnitOfWork, prefix: str) -> ApiKey:
    row = uow.connection.execute(select(api_keys).where(api_keys.c.prefix == prefix)).first()
    if row is None:
        raise InvalidApiKey(f"no API key with prefix {prefix!r}")
    now = datetime.now(UTC)
    uow.connection.execute(
        update(api_keys)
        .where(api_keys.c.id == row.id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return ApiKey(
        int(row.id),
        row.name,
        row.prefix,
        parse_scopes(row.scopes),
        row.created_at,
        row.revoked_at or now,
    )


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    return [_record(r) for r in uow.connection.execute(select(api_keys).order_by(api_keys.c.id))]


def _record(row) -> ApiKey:  # type: ignore[no-untyped-def]
    return ApiKey(
        int(row.id), row.name, row.prefix, parse_scopes(row.scopes), row.created_at, row.revoked_at
    )
