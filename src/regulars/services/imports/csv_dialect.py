"""How a CSV file a user brings is written: its character encoding and its delimiter.

Files come from Excel as often as from programs: in Korea Excel saves CSV in CP949 (a
superset of EUC-KR), elsewhere in the local code page, sometimes with a UTF-8 byte-order
mark or as UTF-16 "Unicode text" separated by tabs, and with ``;`` where the decimal mark is a
comma. Both are detected unless the user states them (``--encoding``, ``--delimiter``):

* the encoding from a byte-order mark, else UTF-8 if the bytes are valid UTF-8, else by
  ``charset-normalizer`` (a maintained statistical detector) on the lines that hold
  non-ASCII bytes. Among East-Asian multibyte
  encodings, which short samples of Hangul often fit equally well (Big5, GB18030, Shift-JIS
  …), CP949 is preferred when it fits: it is what Korean Excel writes.
* the delimiter from the header line: the first of ``,`` ``;`` tab ``|`` that yields every
  required column, else the one that splits the header into the most columns.

When a byte cannot be decoded, :func:`undecodable_at` finds the line and column it is in, so
that the error says where and what to pass.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (",", ";", "\t", "|")

SAMPLE_BYTES = 1 << 16
"""How much of the file is read to detect its encoding and header."""

_CJK = {
    "big5",
    "big5hkscs",
    "cp932",
    "cp949",
    "cp950",
    "euc_jis_2004",
    "euc_jisx0213",
    "euc_jp",
    "euc_kr",
    "gb18030",
    "gb2312",
    "gbk",
    "hz",
    "johab",
    "shift_jis",
    "shift_jis_2004",
    "shift_jisx0213",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Dialect:
    """How a file is written: a Python codec name and a one-character delimiter."""

    encoding: str
    delimiter: str

    @property
    def shown_delimiter(self) -> str:
        return {"\t": "tab", " ": "space"}.get(self.delimiter, self.delimiter)


def known_encoding(name: str) -> str:
    """The canonical codec name for ``name``; ``ValueError`` if Python knows no such codec."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(
            f"unknown encoding {name!r}; use e.g. utf-8, cp949 (Korean Excel), euc-kr, "
            "utf-16 or cp1252"
        ) from None


def delimiter_character(text: str) -> str:
    """``--delimiter`` as given: one character, or the words ``tab``, ``comma``, ``semicolon``."""
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n':
        raise ValueError(
            f"--delimiter must be one character (or tab, comma, semicolon, pipe), not {text!r}"
        )
    return value


def sample(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SAMPLE_BYTES)


def detect_encoding(raw: bytes, *, whole: bool = False) -> str | None:
    """The encoding of ``raw`` (the start of a file, or the ``whole`` file); None if it is no
    text in any encoding the detector knows."""
    for mark, name in _BOMS:
        if raw.startswith(mark):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    # UTF-16 and UTF-32 without a byte-order mark fit any even-length bytes: not for CSV.
    names = [
        match.encoding
        for match in from_bytes(_non_ascii_lines(raw))
        if not match.encoding.startswith(("utf_16", "utf_32"))
    ]
    if not names:
        return None
    if names[0] in _CJK and {"cp949", "euc_kr"} & set(names):
        return "cp949"
    return known_encoding(names[0])


def _non_ascii_lines(raw: bytes, limit: int = SAMPLE_BYTES) -> bytes:
    """The lines that hold non-ASCII bytes: what tells encodings apart (a few Hangul names
    among thousands of ASCII lines would otherwise look like Latin-2)."""
    lines = re.finditer(rb"[^\n]*[\x80-\xff][^\n]*", raw)
    found = bytearray()
    for line in lines:
        found += line.group() + b"\n"
        if len(found) >= limit:
            break
    return bytes(found)


def header_line(raw: bytes, encoding: str) -> str:
    """The first line of the file, decoded (a byte-order mark removed)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=False)
    return text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")


def header_fields(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def detect_delimiter(line: str, required: tuple[str, ...]) -> str:
    """The delimiter that yields every ``required`` column from the header ``line``; else
    the one that splits it into the most columns (a comma when none splits it)."""
    for delimiter in DELIMITERS:
        if set(required) <= set(header_fields(line, delimiter)) and required:
            return delimiter
    return max(DELIMITERS, key=lambda d: len(header_fields(line, d)))


def undecodable_at(path: Path, dialect: Dialect, columns: list[str]) -> str | None:
    """Where the first byte that ``dialect.encoding`` cannot decode is: ``line N, column
    'name': byte(s) 0x..`` (lines count from 1, the header being line 1); None if the whole
    file decodes."""
    raw = path.read_bytes()
    try:
        raw.decode(dialect.encoding)
        return None
    except UnicodeDecodeError as error:
        start, end = error.start, error.end
    line = raw.count(b"\n", 0, start) + 1
    line_start = raw.rfind(b"\n", 0, start) + 1
    separator = dialect.delimiter.encode(dialect.encoding, errors="replace")
    index = raw[line_start:start].count(separator) if separator else 0
    column = repr(columns[index]) if index < len(columns) else f"#{index + 1}"
    shown = " ".join(f"0x{byte:02x}" for byte in raw[start : min(end, start + 4)])
    return f"line {line}, column {column}: byte(s) {shown}"
