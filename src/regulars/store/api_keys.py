"""API keys as stored: a prefix in clear, a salted hash of the secret, the scopes as text.

:class:`ApiKeys` is the repository a unit of work hands out as ``uow.api_keys``; the rules
(how a token is made and checked) live in :mod:`regulars.services.api_keys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, select, update

from regulars.domain.times import as_utc
from regulars.store.dialect import is_postgres
from regulars.store.tables import api_keys


@dataclass(frozen=True)
class StoredApiKey:
    """One row of ``api_keys``; times in UTC."""

    id: int
    name: str
    prefix: str
    secret_hash: bytes
    salt: bytes
    scopes: str
    created_at: datetime
    revoked_at: datetime | None


_BY_PREFIX = (
    "SELECT id, name, prefix, secret_hash, salt, scopes, created_at, revoked_at "
    "FROM api_keys WHERE prefix = %s"
)


class ApiKeys:
    """The API keys, read and written on one connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(
        self,
        *,
        name: str,
        prefix: str,
        secret_hash: bytes,
        salt: bytes,
        scopes: str,
        created_at: datetime,
    ) -> int:
        """Store a new key; return its id. A prefix already taken raises an integrity error.

        Times are written in UTC: SQLite would keep another offset's wall time as UTC."""
        statement = (
            api_keys.insert()
            .values(
                name=name,
                prefix=prefix,
                secret_hash=secret_hash,
                salt=salt,
                scopes=scopes,
                created_at=as_utc(created_at),
            )
            .returning(api_keys.c.id)
        )
        return int(self.connection.execute(statement).scalar_one())

    def by_prefix(self, prefix: str) -> StoredApiKey | None:
        """The key with this prefix (every API call asks: on PostgreSQL a fixed text on the
        driver's cursor, prepared once per connection)."""
        if is_postgres(self.connection):
            raw = self.connection.connection.driver_connection
            with raw.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
                cursor.execute(_BY_PREFIX, (prefix,))
                found = cursor.fetchone()
        else:
            found = self.connection.execute(
                select(api_keys).where(api_keys.c.prefix == prefix)
            ).first()
        return None if found is None else _stored(found)

    def revoke(self, key_id: int, at: datetime) -> None:
        """Mark the key revoked at ``at``; a key revoked before keeps its first time."""
        self.connection.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=as_utc(at))
        )

    def all(self) -> list[StoredApiKey]:
        """Every key, oldest first."""
        return [
            _stored(r) for r in self.connection.execute(select(api_keys).order_by(api_keys.c.id))
        ]


def _stored(row: Any) -> StoredApiKey:
    return StoredApiKey(
        id=int(row.id),
        name=row.name,
        prefix=row.prefix,
        secret_hash=bytes(row.secret_hash),
        salt=bytes(row.salt),
        scopes=row.scopes,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at),
    )
