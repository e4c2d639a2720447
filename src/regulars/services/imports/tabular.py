"""Reading and writing the tables users bring: CSV and Parquet files.

Every cell is read as text (a Parquet column is cast to text) so that one set of checks
decides what is valid, whatever the file type; blank cells become missing values.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from regulars.services.imports import csv_dialect as dialects

ROW = "_row"
"""Column added to every frame read: the 1-based record number in the file (header excluded)."""

SUPPORTED = (".csv", ".parquet", ".pq")


class UnreadableFile(ValueError):
    """The file cannot be read at all (missing, wrong type, no header, missing columns)."""


BLOCK_BYTES = 16 << 20
"""What Arrow parses at a time; a file with a longer line is read again in one block."""

_LARGEST_BLOCK = (1 << 31) - 1

_OPTIONS_HINT = "pass --encoding or --delimiter if the file is not in that form"


def read_table(
    path: Path,
    required: tuple[str, ...] = (),
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> pd.DataFrame:
    """Read ``path`` into a frame of ``str | None`` cells plus the ``_row`` column.

    A CSV file's encoding and delimiter are detected (:mod:`.csv_dialect`) unless given.
    """
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    if path.is_dir():
        raise UnreadableFile(f"{path}: is a folder, not a file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = _read_csv(path, required, encoding, delimiter)
        elif suffix in (".parquet", ".pq"):
            table = pq.read_table(path)
        else:
            excel = " (in Excel: Save As, CSV UTF-8)" if suffix in (".xlsx", ".xls") else ""
            raise UnreadableFile(
                f"{path}: expected one of {', '.join(SUPPORTED)}, got {suffix!r}{excel}"
            )
    except (pa.ArrowInvalid, OSError) as error:
        raise UnreadableFile(f"{path}: {error}") from error
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise UnreadableFile(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"the file has {', '.join(table.column_names) or 'no columns'}"
        )
    return as_text_frame(table)


def _read_csv(
    path: Path, required: tuple[str, ...], encoding: str | None, delimiter: str | None
) -> pa.Table:
    try:
        encoding = dialects.known_encoding(encoding) if encoding else None
        delimiter = dialects.delimiter_character(delimiter) if delimiter else None
    except ValueError as error:
        raise UnreadableFile(str(error)) from None
    raw = dialects.sample(path)
    if not raw.strip():
        raise UnreadableFile(f"{path}: the first line must be a header naming the columns")
    given = encoding is not None
    if encoding is None:
        encoding = dialects.detect_encoding(raw, whole=len(raw) < dialects.SAMPLE_BYTES)
        if encoding is None:
            raise UnreadableFile(
                f"{path}: is not a text file in any encoding regulars recognises; if it is "
                "CSV, pass --encoding (e.g. --encoding cp949)"
            )
    line = dialects.header_line(raw, encoding)
    if not line.strip():
        raise UnreadableFile(f"{path}: the first line must be a header naming the columns")
    dialect = dialects.Dialect(encoding, delimiter or dialects.detect_delimiter(line, required))
    columns = dialects.header_fields(line, dialect.delimiter)
    missing = [name for name in required if name not in columns]
    if missing:
        raise UnreadableFile(
            f"{path}: missing column(s) {', '.join(missing)}; the file has "
            f"{', '.join(columns) or 'no columns'} (read as {dialect.encoding} with "
            f"{dialect.shown_delimiter!r} between columns: {_OPTIONS_HINT})"
        )
    block = BLOCK_BYTES
    while True:
        try:
            return _arrow_csv(path, dialect, columns, block)
        except pa.ArrowInvalid as error:
            text = str(error)
            largest = min(path.stat().st_size + 1, _LARGEST_BLOCK)
            if "straddl" in text and block < largest:
                block = largest  # a line longer than a block: read the file in one block
                continue
            if "invalid UTF8" in text and not given and dialect.encoding == "utf-8":
                # the start was UTF-8, a later line is not: detect from the whole file
                whole = dialects.detect_encoding(path.read_bytes(), whole=True)
                if whole is not None and whole != "utf-8":
                    dialect = dialects.Dialect(whole, dialect.delimiter)
                    continue
            raise _unreadable(path, dialect, columns, text) from error
        except UnicodeDecodeError as error:
            raise _unreadable(path, dialect, columns, str(error)) from error


def _arrow_csv(path: Path, dialect: dialects.Dialect, columns: list[str], block: int) -> pa.Table:
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            use_threads=True, block_size=block, encoding=dialect.encoding
        ),
        parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in columns},
            strings_can_be_null=False,
        ),
    )


def _unreadable(
    path: Path, dialect: dialects.Dialect, columns: list[str], reason: str
) -> UnreadableFile:
    """The error for a CSV file Arrow could not read, saying where and what to pass."""
    where = dialects.undecodable_at(path, dialect, columns)
    if where is not None:
        return UnreadableFile(
            f"{path}: {where} cannot be read as {dialect.encoding}; the file is in another "
            "encoding: pass --encoding (e.g. --encoding cp949 for a file saved by Excel in "
            "Korea, --encoding utf-8, --encoding cp1252)"
        )
    row = _bad_row(path, dialect, columns)
    shown = reason.removeprefix("CSV parse error: ")
    return UnreadableFile(
        f"{path}: {row + ': ' if row else ''}{shown} (read as {dialect.encoding} with "
        f"{dialect.shown_delimiter!r} between columns: {_OPTIONS_HINT}, and check the quotes)"
    )


def _bad_row(path: Path, dialect: dialects.Dialect, columns: list[str]) -> str | None:
    """``row N`` of the first row with the wrong number of fields (the header is row 1)."""
    found: list[int | None] = []

    def first(row: pacsv.InvalidRow) -> str:
        found.append(row.number)
        return "error"

    block = min(path.stat().st_size + 1, _LARGEST_BLOCK)
    with contextlib.suppress(pa.ArrowInvalid, UnicodeDecodeError):
        pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=block, encoding=dialect.encoding
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=dialect.delimiter, invalid_row_handler=first
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in columns}
            ),
        )
    if found and found[0] is not None:
        return f"row {found[0]} (the header is row 1) has the wrong number of fields"
    return None


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
