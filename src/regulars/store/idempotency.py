"""Remembered answers to writes sent with an ``Idempotency-Key``.

One row per (key, API key): the hash of the request it answered and the answer itself, so
that a retry gets the very same response. :class:`IdempotencyKeys` is ``uow.idempotency``;
the HTTP side (hashing a request, replaying a response) is :mod:`regulars.api.idempotency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from regulars.domain.times import as_utc
from regulars.store.dialect import upsert_insert
from regulars.store.tables import idempotency_keys


@dataclass(frozen=True)
class RememberedAnswer:
    """What was answered to the first request with a key."""

    request_hash: str
    status_code: int
    response_body: str


class IdempotencyKeys:
    """Answers remembered by key, on one connection (and so in its transaction)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def find(self, key: str, api_key_id: int) -> RememberedAnswer | None:
        """The answer remembered for ``key``, as this transaction sees it."""
        return _find(self.connection, key, api_key_id)

    def find_committed(self, key: str, api_key_id: int) -> RememberedAnswer | None:
        """The answer another transaction committed for ``key`` (read on a fresh connection:
        call it after this transaction lost the race to remember one and was rolled back)."""
        with self.connection.engine.connect() as connection:
            return _find(connection, key, api_key_id)

    def remember(
        self,
        key: str,
        api_key_id: int,
        *,
        method: str,
        path: str,
        request_hash: str,
        status_code: int,
        response_body: str,
        at: datetime,
    ) -> bool:
        """Remember the answer; False when a concurrent request remembered one first."""
        statement = (
            upsert_insert(self.connection, idempotency_keys)
            .values(
                key=key,
                api_key_id=api_key_id,
                method=method,
                path=path,
                request_hash=request_hash,
                status_code=status_code,
                response_body=response_body,
                created_at=as_utc(at),
            )
            .on_conflict_do_nothing()
            .execution_options(preserve_rowcount=True)  # psycopg reports -1 otherwise
        )
        return self.connection.execute(statement).rowcount == 1


def _find(connection: Connection, key: str, api_key_id: int) -> RememberedAnswer | None:
    row = connection.execute(
        select(
            idempotency_keys.c.request_hash,
            idempotency_keys.c.status_code,
            idempotency_keys.c.response_body,
        ).where(idempotency_keys.c.key == key, idempotency_keys.c.api_key_id == api_key_id)
    ).first()
    if row is None:
        return None
    return RememberedAnswer(row.request_hash, int(row.status_code), row.response_body)
