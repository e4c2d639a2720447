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
from fastapi.responses import JSONResponse, Response

from regulars.services.errors import Conflict
from regulars.services.unit_of_work import UnitOfWork
from regulars.store.idempotency import RememberedAnswer


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
) -> Response:
    """Run ``run`` (which returns ``(status, body)``) at most once per ``key`` and commit."""
    if key is None:
        status, payload = run()
        uow.commit()
        return _answer(_encoded(payload), status)
    if len(key) > 200:
        raise Conflict("Idempotency-Key must be at most 200 characters")
    digest = request_hash(method, path, body)
    remembered = uow.idempotency.find(key, api_key_id)
    if remembered is not None:
        return _replay(remembered, digest)
    status, payload = run()
    encoded = _encoded(payload)
    stored = uow.idempotency.remember(
        key,
        api_key_id,
        method=method,
        path=path,
        request_hash=digest,
        status_code=status,
        response_body=encoded,
        at=datetime.now(UTC),
    )
    if not stored:  # a concurrent request with the same key committed first
        uow.rollback()
        remembered = uow.idempotency.find_committed(key, api_key_id)
        if remembered is None:  # pragma: no cover - losing the race means the other committed
            raise Conflict("a request with this Idempotency-Key is in progress; retry it")
        return _replay(remembered, digest)
    uow.commit()
    return _answer(encoded, status)


def _encoded(payload: Any) -> str:
    """The answer as JSON text, written once (for the response and the remembered answer).
    Answers of plain JSON values are dumped as they are; others go through FastAPI's
    encoder first (datetimes, models)."""
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return json.dumps(
            jsonable_encoder(payload), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )


def _answer(encoded: str, status: int) -> Response:
    return Response(encoded.encode(), status_code=status, media_type="application/json")


def _replay(remembered: RememberedAnswer, digest: str) -> JSONResponse:
    if remembered.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new request"
        )
    return JSONResponse(
        json.loads(remembered.response_body),
        status_code=remembered.status_code,
        headers={"Idempotent-Replayed": "true"},
    )
