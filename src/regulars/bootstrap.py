"""The composition root: the one place that wires configuration, store and services.

Every entry point (CLI, API, jobs, tests) builds an :class:`App` and takes what it needs
from it, so that they all run the same code on the same store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from regulars.config import Settings
from regulars.services.unit_of_work import RunCommitted
from regulars.store.database import Engine, connect, migrate
from regulars.store.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass
class App:
    settings: Settings = field(default_factory=Settings.from_env)

    @cached_property
    def engine(self) -> Engine:
        return connect(self.settings.database_url)

    def migrate(self) -> None:
        migrate(self.engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.settings.secret_key)

    def run_committed(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in a unit of work of its own and commit it. An edge hands this to a
        job that commits batch by batch (an import), so that the job itself never commits."""
        return committing(self.unit_of_work)(work)


def committing(unit_of_work: Callable[[], UnitOfWork]) -> RunCommitted:
    """``run_committed`` over any factory of units of work (the demo passes its own)."""

    def run(work: Callable[[UnitOfWork], T]) -> T:
        with unit_of_work() as uow:
            result = work(uow)
            uow.commit()
        return result

    return run


def build(settings: Settings | None = None, *, migrate_schema: bool = True) -> App:
    """Create the app; bring the schema up to date unless told not to."""
    app = App(settings or Settings.from_env())
    if migrate_schema:
        app.migrate()
    return app
