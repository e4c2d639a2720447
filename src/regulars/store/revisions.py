"""Which schema revision a store is at, and which is the newest, without loading Alembic.

Every CLI command migrates its store first; on a store that is up to date this check lets it
skip Alembic (about a tenth of a second of CPU to import and read its scripts) for one query.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

VERSIONS = Path(__file__).with_name("migrations") / "versions"


def applied_revisions(engine: Engine) -> set[str]:
    """The revisions the store is at (empty for a store never migrated)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def newest_revisions() -> set[str]:
    """The heads of the migration scripts: revisions that no script revises."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        found = _assignments(script)
        if "revision" in found:
            revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update([] if down is None else [down] if isinstance(down, str) else down)
    return revisions - parents


def _assignments(script: Path) -> dict[str, Any]:
    """The literal ``revision`` and ``down_revision`` of a script, read without running it."""
    found: dict[str, Any] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            name, value = node.target.id, node.value
        else:
            continue
        if name in ("revision", "down_revision"):
            found[name] = ast.literal_eval(value)
    return found
