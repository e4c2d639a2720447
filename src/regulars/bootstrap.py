"""The composition root: the one place that wires configuration, store and services.

Every entry point (CLI, API, jobs, tests) builds an :class:`App` and takes what it needs
from it, so that they all run the same code on the same store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from regulars.config import Settings
from regulars.store.database import Engine, connect, migrate
from regulars.store.unit_of_work import UnitOfWork


@dataclass
class App:
    settings: Settings = field(default_factory=Settings.from_env)

    @cached_property
    def engine(self) -> Engine:
        return connect(self.settings.database_url)

    def migrate(self) -> None:
        migrate(self.engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine)


def build(settings: Settings | None = None, *, migrate_schema: bool = True) -> App:
    """Create the app; bring the schema up to date unless told not to."""
    app = App(settings or Settings.from_env())
    if migrate_schema:
        app.migrate()
    return app
