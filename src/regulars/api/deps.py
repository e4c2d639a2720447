"""Request dependencies: the unit of work and the authenticated API key.

Every endpoint takes ``uow`` (a unit of work it commits itself when the write succeeded)
and an ``Authorized(scope)`` key. Keys travel as ``Authorization: Bearer rg_…`` or
``X-API-Key: rg_…``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from regulars.bootstrap import App
from regulars.domain.access import Scope, allows
from regulars.services import api_keys
from regulars.services.errors import ServiceError
from regulars.store.unit_of_work import UnitOfWork


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


def regulars_of(request: Request) -> App:
    return request.app.state.regulars  # type: ignore[no-any-return]


async def regulars_app(request: Request) -> App:
    # async: it does no I/O, so FastAPI runs it inline instead of in a thread of its pool
    return regulars_of(request)


def unit_of_work(app: Annotated[App, Depends(regulars_app)]) -> Iterator[UnitOfWork]:
    with app.unit_of_work() as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]


def Authorized(scope: Scope) -> Callable[..., api_keys.ApiKey]:  # noqa: N802 - reads as a type
    """A dependency that authenticates the caller and checks it holds ``scope``."""

    def check(
        uow: UoW,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> api_keys.ApiKey:
        return authorize(uow, scope, authorization, x_api_key)

    return check


T = TypeVar("T")


async def in_one_thread(
    request: Request,
    scope: Scope,
    authorization: str | None,
    x_api_key: str | None,
    work: Callable[[UnitOfWork, api_keys.ApiKey], T],
) -> T:
    """Open the unit of work, authenticate and run ``work`` in one thread of the pool.

    The till's hot operations take this instead of the ``UoW`` and ``Authorized``
    dependencies: FastAPI runs each synchronous dependency in a thread of its own (the unit
    of work twice: to open and to close it), and those hops cost a sale more CPU than its
    SQL. Same checks, same errors (401, 403), in the same transaction."""
    app = regulars_of(request)

    def run() -> T:
        with app.unit_of_work() as uow:
            return work(uow, authorize(uow, scope, authorization, x_api_key))

    return await run_in_threadpool(run)


def authorize(
    uow: UnitOfWork, scope: Scope, authorization: str | None, x_api_key: str | None
) -> api_keys.ApiKey:
    """The live key the request carries, holding ``scope``; 401 or 403 otherwise. Checked in
    the request's own unit of work: one connection, one transaction a request."""
    token = x_api_key
    if authorization:
        kind, _, value = authorization.partition(" ")
        if kind.lower() != "bearer" or not value:
            raise Unauthenticated("Authorization header must be 'Bearer <API key>'")
        token = value.strip()
    if not token:
        raise Unauthenticated(
            "this call needs an API key: send 'Authorization: Bearer <key>' "
            "(create one with 'regulars keys create')"
        )
    try:
        key = api_keys.authenticate(uow, token)
    except api_keys.InvalidApiKey as error:
        raise Unauthenticated(str(error)) from None
    if not allows(key.scopes, scope):
        held = ", ".join(sorted(key.scopes))
        raise Forbidden(f"this API key has scope(s) {held}; this call needs {scope.value}")
    return key
