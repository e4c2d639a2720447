"""What an import did: rows read, added, updated, already present, rejected, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from regulars.services.imports.checks import RowError
from regulars.services.imports.tabular import ROW


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    already_present: int = 0
    errors: list[RowError] = field(default_factory=list)
    added_ids: dict[str, int] | None = None
    """With a dict here, the writers note each added purchase's id by its external id (a
    small API write wants them; a file of a million rows does not)."""

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: e.row)

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def accepted_rows(self) -> int:
        return self.rows - self.rejected_rows

    def rejects(self, source: pd.DataFrame) -> pd.DataFrame:
        """The rejected rows as they were in the file, with ``_field``, ``_value``, ``_reason``.

        A row with several problems appears once per problem. Fix the cells and import the
        rejects file again: the extra columns are ignored.
        """
        errors = pd.DataFrame(
            [(e.row, e.field, e.value, e.reason) for e in self.errors],
            columns=[ROW, "_field", "_value", "_reason"],
        )
        return source.merge(errors, on=ROW, how="inner").sort_values(ROW, kind="stable")

    def summary(self) -> str:
        parts = [f"{self.rows:,} rows read", f"{self.added:,} {self.kind} added"]
        if self.kind != "purchases":
            parts.append(f"{self.updated:,} updated")
        parts += [
            f"{self.already_present:,} already present",
            f"{self.rejected_rows:,} rows rejected",
        ]
        return ", ".join(parts)
