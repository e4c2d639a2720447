"""What a use case may ask of a unit of work: its repositories, and nothing about SQL.

A use case that only needs these annotates its ``uow`` with :class:`UnitOfWork`. The store's
:class:`regulars.store.unit_of_work.UnitOfWork` satisfies the protocol as it stands (nothing
inherits from it), and ``tests/unit/services/fake_unit_of_work.py`` satisfies it in memory,
so such a use case is tested without a database. Use cases never call ``commit``: the edge
that opened the unit of work does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from regulars.store.api_keys import StoredApiKey
from regulars.store.idempotency import RememberedAnswer

_T = TypeVar("_T")


class ApiKeyRepository(Protocol):
    def add(
        self,
        *,
        name: str,
        prefix: str,
        secret_hash: bytes,
        salt: bytes,
        scopes: str,
        created_at: datetime,
    ) -> int: ...

    def by_prefix(self, prefix: str) -> StoredApiKey | None: ...

    def revoke(self, key_id: int, at: datetime) -> None: ...

    def all(self) -> list[StoredApiKey]: ...


class MemberRepository(Protocol):
    """Members as dicts: ``id``, ``external_id``, the member fields, ``created_at``,
    ``updated_at`` and ``erased_at`` (UTC); consent events as dicts ``member_id``,
    ``channel``, ``granted``, ``at``, ``source``."""

    def upsert(self, rows: Sequence[dict[str, Any]], now: datetime) -> tuple[int, int]: ...

    def ids_by_external_id(self, external_ids: Iterable[str]) -> dict[str, int]: ...

    def get(self, external_id: str) -> dict[str, Any] | None: ...

    def find(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        card: str | None = None,
        external_id: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]: ...

    def card_holders(self, cards: Iterable[str]) -> dict[str, str]: ...

    def page(self, after_id: int, limit: int) -> list[dict[str, Any]]: ...

    def consent_state(self, member_ids: Iterable[int]) -> dict[tuple[int, str], bool]: ...

    def consent_history(self, member_id: int) -> list[dict[str, Any]]: ...

    def add_consent_events(self, events: Sequence[dict[str, Any]]) -> None: ...

    def erase(self, member_id: int, now: datetime) -> str | None: ...

    def purchases_of(self, member_id: int) -> list[dict[str, Any]]: ...

    def holdings(self, member_id: int) -> dict[str, list[dict[str, Any]]]: ...

    def erased_ids(self, external_ids: Iterable[str]) -> set[str]: ...

    def forget_erased(self, external_ids: Iterable[str]) -> None: ...


class IdempotencyRepository(Protocol):
    def find(self, key: str, api_key_id: int) -> RememberedAnswer | None: ...

    def find_committed(self, key: str, api_key_id: int) -> RememberedAnswer | None: ...

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
    ) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction and the repositories that work inside it."""

    @property
    def api_keys(self) -> ApiKeyRepository: ...

    @property
    def members(self) -> MemberRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class RunCommitted(Protocol):
    """Runs ``work(uow)`` in a unit of work of its own and commits it (``App.run_committed``).

    An edge hands this to a job that commits batch by batch (an import, the accrual job), so
    that the job itself never commits and a kill leaves whole batches only."""

    def __call__(self, work: Callable[[Any], _T], /) -> _T: ...
