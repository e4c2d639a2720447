"""Error mapping: every error answers ``{"error": {"code", "message", "details"}}``.

That holds for business errors (:class:`ServiceError` and its status), invalid requests
(422, each detail naming its field), bodies that cannot be parsed (400), unknown routes
(404) and methods (405). :class:`ErrorBody` is the shape as a named OpenAPI component, and
:func:`answers` declares the error statuses an operation can answer with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from regulars.services.errors import ServiceError
from regulars.services.imports.tabular import UnreadableFile


class ErrorDetail(BaseModel):
    """What went wrong: a stable ``code``, a sentence, and per-field details."""

    code: str = Field(description="invalid, not_found, conflict, unauthenticated, forbidden…")
    message: str
    details: list[dict[str, Any]] = Field(
        description="For invalid input: one {field, value, reason} per problem (batch writes "
        "add index and line)"
    )


class ErrorBody(BaseModel):
    """The one shape of every error answer."""

    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "The body could not be parsed",
    401: "No API key, or an unknown, revoked or malformed one",
    403: "The API key lacks the scope this call needs",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict (an Idempotency-Key reused with another body, or a state that forbids it)",
    410: "Gone",
    413: "Too large",
    422: "Invalid input: each detail names the field",
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of these error statuses, each with :class:`ErrorBody`."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created", "content": {"application/json": {"schema": {}}}}
}
"""The entry of an operation that answers 201 when it created what it was sent."""


def error_body(
    code: str, message: str, details: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _value(value: Any) -> Any:
    return value if isinstance(value, str | int | float) else None


def field_error(problem: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error as ``{"field", "reason", "value"}`` (the field's dotted place)."""
    if problem.get("type") == "json_invalid":  # the body is not JSON at all
        reason = f"not valid JSON: {problem.get('ctx', {}).get('error', 'unreadable')}"
        return {"field": "body", "reason": reason, "value": None}
    return {
        "field": ".".join(str(p) for p in problem["loc"] if p != "body") or "body",
        "reason": problem["msg"],
        "value": _value(problem.get("input")),
    }


PageForError = Callable[[Request, Exception], Response | None]
"""Answers an error with a page for the requests a set of pages owns (the console's), or
None to leave the JSON answer."""


def install(api: FastAPI, pages: PageForError | None = None) -> None:
    @api.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> Response:
        page = pages(request, error) if pages else None
        if page is not None:
            return page
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(
            error_body(error.code, error.message, error.details),
            status_code=error.status,
            headers=headers,
        )

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        page = pages(request, error) if pages else None
        if page is not None:
            return page
        details = [field_error(dict(e)) for e in error.errors()]
        first = details[0] if details else {"field": "?", "reason": "invalid"}
        return JSONResponse(
            error_body("invalid", f"{first['field']}: {first['reason']}", details),
            status_code=422,
        )

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        page = pages(request, error) if pages else None
        if page is not None:
            return page
        code = HTTP_CODES.get(error.status_code, "error")
        message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        if error.status_code == 404 and message == "Not Found":
            message = "no such resource: see /docs for the API's paths"
        return JSONResponse(
            error_body(code, message), status_code=error.status_code, headers=error.headers
        )

    @api.exception_handler(UnreadableFile)
    async def unreadable(_: Request, error: UnreadableFile) -> JSONResponse:
        return JSONResponse(error_body("invalid", str(error)), status_code=422)
