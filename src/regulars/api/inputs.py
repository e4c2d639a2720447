"""What a request may carry: bounded numbers and text the store can keep.

Every request body is a :class:`RequestBody`, whose one validator refuses a NUL byte in any
text field (PostgreSQL cannot store it) with a 422 that names the field. Free-form JSON
bodies (a survey or program definition) take :data:`FreeJson`, which walks the document.
Path and query parameters are checked once for every ``/v1`` route by
:func:`storable_parameters`, which names the parameter. The numeric bounds themselves live in
:mod:`regulars.domain.bounds`; the annotated types here apply them to fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Path, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from regulars.api.errors import field_error
from regulars.domain.bounds import (
    MAX_AMOUNT,
    MAX_ID,
    MAX_LINE_NO,
    MAX_POINTS,
    MAX_QUANTITY,
    MIN_LINE_NO,
    MIN_QUANTITY,
    has_forbidden_character,
)
from regulars.services.errors import Invalid

NUL_REASON = "text must not contain a NUL byte (\\u0000)"


def nul_places(value: Any, place: str = "") -> Iterator[str]:
    """The places (``a.0.b``) in a JSON-like value where a text holds a NUL byte."""
    if isinstance(value, str):
        if has_forbidden_character(value):
            yield place
    elif isinstance(value, BaseModel):
        return  # a nested body checked its own fields
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{place}.{key}" if place else str(key)
            if isinstance(key, str) and has_forbidden_character(key):
                yield inner
            yield from nul_places(item, inner)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from nul_places(item, f"{place}.{index}" if place else str(index))


def _storable(value: Any) -> Any:
    for place in nul_places(value):
        raise ValueError(f"{place}: {NUL_REASON}" if place else NUL_REASON)
    return value


class RequestBody(BaseModel):
    """The base of every request body: no field's text may hold a NUL byte."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _storable(value)


FreeJson = Annotated[dict[str, Any], AfterValidator(_storable)]
"""A free-form JSON object (a definition) whose texts, at any depth, hold no NUL byte."""

Amount = Annotated[
    int, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Minor units (|amount| ≤ 10^12)")
]
"""A money amount of one line, either sign (a refund, a discount)."""
NonNegativeAmount = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="Minor units")]
Points = Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
"""Points one operation moves, either way (an adjustment)."""
PositivePoints = Annotated[int, Field(gt=0, le=MAX_POINTS)]
Quantity = Annotated[int, Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)]
SignedQuantity = Annotated[
    int,
    Field(
        ge=-MAX_QUANTITY,
        le=MAX_QUANTITY,
        description="Not zero; a refund or return may write it either sign",
    ),
]
"""A purchase line's quantity: |quantity| within the bound (zero is refused per row)."""
LineNo = Annotated[int, Field(ge=MIN_LINE_NO, le=MAX_LINE_NO)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in a path (a case)."""


class VoidIn(RequestBody):
    """Why a sale or a redemption is voided at the till (kept with who and when)."""

    reason: str | None = Field(default=None, max_length=1000, description="Why (audited)")


@dataclass(frozen=True)
class Rejected:
    """A batch item that failed validation: set aside with its errors while the others go on.

    Each error is ``{"field", "value", "reason"}``, with ``"line"`` first (1-based) when the
    field is in one of the item's lines.
    """

    item: Any
    errors: list[dict[str, Any]]

    def get(self, name: str) -> Any:
        """A field of the item as sent (its id, for the answer), if it sent one."""
        return self.item.get(name) if isinstance(self.item, dict) else None


def _line_error(error: dict[str, Any]) -> dict[str, Any]:
    place = str(error["field"]).split(".")
    if len(place) > 2 and place[0] == "lines" and place[1].isdigit():
        return {"line": int(place[1]) + 1, **error, "field": ".".join(place[2:])}
    return error


def _item_or_rejected(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as error:
        problems = [_line_error(field_error(dict(e))) for e in error.errors()]
        return Rejected(value, problems)


Item = TypeVar("Item")
BatchItem = Annotated[Item, WrapValidator(_item_or_rejected)]
"""An item of a batch write: validated alone, so that one bad item is rejected by itself
(a :class:`Rejected`) instead of failing the whole request."""


def split_batch(items: Sequence[Item | Rejected]) -> tuple[list[Item], list[int], dict[int, Any]]:
    """The valid items, the 1-based index in the request of each, and the rejected items'
    errors by index."""
    good: list[Item] = []
    places: list[int] = []
    rejected: dict[int, Any] = {}
    for index, item in enumerate(items, start=1):
        if isinstance(item, Rejected):
            rejected[index] = item.errors
        else:
            good.append(item)
            places.append(index)
    return good, places, rejected


async def storable_parameters(request: Request) -> None:
    """Refuse a path or query parameter holding a NUL byte, naming it (``path.member_id``),
    and a query parameter the operation does not take (``GET /v1/members?phone=…`` would
    otherwise answer every member as if the filter had been applied).

    A dependency of every ``/v1`` router (``api/app.py``), so that no parameter of any
    operation can carry a NUL byte to the store, where PostgreSQL would fail the request.
    ``async`` because it does no I/O: FastAPI runs it inline, not in a thread of its pool.
    """
    _refuse_unknown_query(request)
    places = [("path", name, value) for name, value in request.path_params.items()]
    places += [("query", name, value) for name, value in request.query_params.multi_items()]
    for where, name, value in places:
        if has_forbidden_character(f"{name}{value}"):
            field = f"{where}.{name}".replace("\x00", "\\u0000")
            detail = {"field": field, "value": None, "reason": NUL_REASON}
            raise Invalid(f"{field}: {NUL_REASON}", [detail])


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> frozenset[str]:
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        names.update(str(getattr(p, "alias", p.name)) for p in current.query_params)
        pending.extend(current.dependencies)
    return frozenset(names)


def _refuse_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _QUERY_NAMES.get(id(route))
    if known is None:
        known = _QUERY_NAMES[id(route)] = _query_names(dependant)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        details = [
            {"field": f"query.{name}", "value": None, "reason": "not a parameter of this operation"}
            for name in unknown
        ]
        raise Invalid(
            f"query.{unknown[0]}: not a parameter of this operation (it takes: {takes})", details
        )
