"""Reading and writing the tables users bring: CSV and Parquet files.

Every cell is read as text (a Parquet column is cast to text) so that one set of checks
decides what is valid, whatever the file type; blank cells become missing values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROW = "_row"
"""Column added to every frame read: the 1-based record number in the file (header excluded)."""

SUPPORTED = (".csv", ".parquet", ".pq")


class UnreadableFile(ValueError):
    """The file cannot be read at all (missing, wrong type, no header, missing columns)."""


def read_table(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read ``path`` into a frame of ``str | None`` cells plus the ``_row`` column."""
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = _read_csv(path)
        elif suffix in (".parquet", ".pq"):
            table = pq.read_table(path)
        else:
            raise UnreadableFile(f"{path}: expected one of {', '.join(SUPPORTED)}, got {suffix!r}")
    except (pa.ArrowInvalid, OSError) as error:
        raise UnreadableFile(f"{path}: {error}") from error
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise UnreadableFile(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"the file has {', '.join(table.column_names) or 'no columns'}"
        )
    return as_text_frame(table)


def _read_csv(path: Path) -> pa.Table:
    with path.open("rb") as handle:
        header = handle.readline()
    if not header.strip():
        raise UnreadableFile(f"{path}: the first line must be a header naming the columns")
    columns = pacsv.read_csv(pa.BufferReader(header)).column_names
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=True, block_size=16 << 20),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in columns},
            strings_can_be_null=False,
        ),
    )


def as_text_frame(table: pa.Table) -> pd.DataFrame:
    """Cast every column to text, blank and whitespace-only cells to missing.

    Columns keep pandas' Arrow-backed ``str`` dtype (missing cells are NaN), so that the
    checks run as Arrow kernels rather than Python loops.
    """
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = pc.cast(column, pa.string())
        column = pc.utf8_trim_whitespace(column)
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        columns[name] = pd.Series(column.to_pandas(), dtype="str")
    frame = pd.DataFrame(columns)
    frame[ROW] = range(1, len(frame) + 1)
    return frame


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV or Parquet, chosen by the file's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
