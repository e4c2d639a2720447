"""The unit of work: one connection, one transaction, committed only when asked.

Services receive a unit of work and never commit; the edge that opened it does::

    with UnitOfWork(engine) as uow:
        record_purchase(uow, ...)
        uow.commit()

Leaving the block without ``commit()`` rolls everything back.

The repositories the use cases rely on hang from it, bound to its connection:
``uow.api_keys``, ``uow.members``, ``uow.idempotency``. This class satisfies the protocol
:class:`regulars.services.unit_of_work.UnitOfWork`, which the tests fake in memory.
Store functions of the other areas still take ``uow.connection``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction

from regulars.store.api_keys import ApiKeys
from regulars.store.idempotency import IdempotencyKeys
from regulars.store.members import Members


class UnitOfWork:
    connection: Connection
    api_keys: ApiKeys
    members: Members
    idempotency: IdempotencyKeys
    memo: dict[str, Any]
    """What the use cases of this unit of work read once and share (the running programs)."""
    _transaction: RootTransaction

    def __init__(self, engine: Engine, secret_key: str = "") -> None:
        self.engine = engine
        self.secret_key = secret_key  # keys the digests of erased members' ids

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        self.connection = self.engine.connect()
        self._transaction = self.connection.begin()
        self.api_keys = ApiKeys(self.connection)
        self.members = Members(self.connection, self.secret_key)
        self.idempotency = IdempotencyKeys(self.connection)
        self.memo = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self.connection.close()

    def commit(self) -> None:
        self._transaction.commit()

    def rollback(self) -> None:
        self._transaction.rollback()
