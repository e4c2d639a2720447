"""Idempotency-Key handling for writes a client may retry.

The same key with the same request body answers with the original response; the same key
with a different body is refused with 409. The record is written in the request's own
transaction, so a response is remembered exactly when its effects were committed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from regulars.services.errors import Conflict
from regulars.store.tables import idempotency_keys
from regulars.store.unit_of_work import UnitOfWork


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent(
    uow: UnitOfWork,
    key: str | None,
    api_key_id: int,
    method: str,
    path: str,
    body: Any,
    run: Callable[[], tuple[int, Any]],
) -> JSONResponse:
    """Run ``run`` (which returns ``(status, body)``) at most once per ``key`` and commit."""
    if key is None:
        status, payload = run()
        uow.commit()
        return JSONResponse(jsonable_encoder(payload), status_code=status)
    if len(key) > 200:
        raise Conflict("Idempotency-Key must be at most 200 characters")
    digest = request_hash(method, path, body)
    replay = _stored(uow, key, api_key_id, digest)
    if replay is not None:
        return replay
    status, payload = run()
    encoded = jsonable_encoder(payload)
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    stored = uow.connection.execute(
        insert(idempotency_keys)
        .values(
            key=key,
            api_key_id=api_key_id,
            method=method,
            path=path,
            request_hash=digest,
            status_code=status,
            response_body=json.dumps(encoded),
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
    ).rowcount
    if stored == 0:  # a concurrent request with the same key committed first
        uow.rollback()
        with uow.engine.connect() as connection:
            return _answer(connection, key, api_key_id, digest)
    uow.commit()
    return JSONResponse(encoded, status_code=status)


def _stored(uow: UnitOfWork, key: str, api_key_id: int, digest: str) -> JSONResponse | None:
    row = uow.connection.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.key == key, idempotency_keys.c.api_key_id == api_key_id
        )
    ).first()
    if row is None:
        return None
    return _reply(row, digest)


def _answer(connection: Any, key: str, api_key_id: int, digest: str) -> JSONResponse:
    row = connection.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.key == key, idempotency_keys.c.api_key_id == api_key_id
        )
    ).first()
    return _reply(row, digest)


def _reply(row: Any, digest: str) -> JSONResponse:
    if row.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new request"
        )
    return JSONResponse(
        json.loads(row.response_body),
        status_code=row.status_code,
        headers={"Idempotent-Replayed": "true"},
    )
