"""Request dependencies: the unit of work and the authenticated API key.

Every endpoint takes ``uow`` (a unit of work it commits itself when the write succeeded)
and an ``Authorized(scope)`` key. Keys travel as ``Authorization: Bearer rg_…`` or
``X-API-Key: rg_…``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request

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


def regulars_app(request: Request) -> App:
    return request.app.state.regulars  # type: ignore[no-any-return]


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
        try:  # in the request's own unit of work: one connection, one transaction a request
            key = api_keys.authenticate(uow, token)
        except api_keys.InvalidApiKey as error:
            raise Unauthenticated(str(error)) from None
        if not allows(key.scopes, scope):
            held = ", ".join(sorted(key.scopes))
            raise Forbidden(f"this API key has scope(s) {held}; this call needs {scope.value}")
        return key

    return check
