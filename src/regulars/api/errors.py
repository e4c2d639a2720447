"""Error mapping: every error answers ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from regulars.services.errors import ServiceError
from regulars.services.imports.tabular import UnreadableFile


def error_body(
    code: str, message: str, details: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def install(api: FastAPI) -> None:
    @api.exception_handler(ServiceError)
    async def service_error(_: Request, error: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(
            error_body(error.code, error.message, error.details),
            status_code=error.status,
            headers=headers,
        )

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p != "body"),
                "reason": e["msg"],
                "value": e.get("input") if isinstance(e.get("input"), str | int | float) else None,
            }
            for e in error.errors()
        ]
        first = details[0] if details else {"field": "?", "reason": "invalid"}
        return JSONResponse(
            error_body("invalid", f"{first['field']}: {first['reason']}", details),
            status_code=422,
        )

    @api.exception_handler(UnreadableFile)
    async def unreadable(_: Request, error: UnreadableFile) -> JSONResponse:
        return JSONResponse(error_body("invalid", str(error)), status_code=422)
