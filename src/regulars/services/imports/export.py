"""Data back out, in the very format the importers read (so an export re-imports cleanly)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from regulars.domain.members import ContactChannel
from regulars.services.imports.tabular import write_table
from regulars.store.reads import export as export_reads
from regulars.store.unit_of_work import UnitOfWork


def members_frame(uow: UnitOfWork) -> pd.DataFrame:
    frame = export_reads.members_table(uow.connection)
    state = uow.members.consent_state(frame["id"].tolist())
    for channel in ContactChannel:
        frame[f"consent_{channel.value}"] = [
            _yes_no(state.get((i, channel.value))) for i in frame["id"]
        ]
    return frame.drop(columns="id")


def _yes_no(granted: bool | None) -> str | None:
    return None if granted is None else ("yes" if granted else "no")


def purchases_frame(uow: UnitOfWork) -> pd.DataFrame:
    frame = export_reads.purchase_lines_table(uow.connection)
    occurred = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["occurred_at"] = occurred.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return frame


def export(uow: UnitOfWork, kind: Literal["members", "purchases"], path: Path) -> int:
    """Write all members or purchases to ``path`` (CSV or Parquet); return the row count."""
    frame = members_frame(uow) if kind == "members" else purchases_frame(uow)
    write_table(frame, path)
    return len(frame)
