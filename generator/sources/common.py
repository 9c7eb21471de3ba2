"""What every reader of a data file shares: the batch row, limits, and the one way to refuse a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ..errors import DataError, Problem

MAX_FILE_BYTES = 50_000_000
"""The largest data file read at all (a batch of 5,000 letters is well under 5 MB)."""
MAX_ROWS = 100_000
"""Rows of a batch; a sheet with data further down is refused before its rows are read."""
MAX_COLUMNS = 512
"""Columns of a batch read at most; cells further right are never looked at."""
MAX_CELL_CHARS = 32_767
"""The longest text Excel holds in one cell; a CSV field longer than this is refused."""
MAX_DEPTH = 8
"""Nesting of lists and mappings in a YAML or JSON data file (a batch of records needs 4)."""

MSG_TOO_BIG = "الملف أكبر من المسموح به ({size} بايت، والحد الأقصى {limit})"
MSG_NOT_FOUND = "الملف غير موجود"
MSG_UNREADABLE = "تعذرت قراءة الملف: {reason}"


@dataclass(frozen=True)
class BatchRow:
    """One record of a batch, with where it came from (row number in the sheet, item number in a list)."""

    number: int
    values: dict[str, Any]


def refuse(path: Path, message: str, line: int | None = None, column: int | None = None) -> NoReturn:
    """Stop reading ``path``: one problem, in Arabic, with its place when known."""
    raise DataError("", [Problem(str(path), line, column, "", message)])


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing a missing, unreadable or oversized file before reading it."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            refuse(path, MSG_NOT_FOUND)
        if size > limit:
            refuse(path, MSG_TOO_BIG.format(size=size, limit=limit))
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        refuse(path, MSG_NOT_FOUND)
    except OSError as err:
        refuse(path, MSG_UNREADABLE.format(reason=err.strerror or type(err).__name__))
    if len(data) > limit:  # grew while being read
        refuse(path, MSG_TOO_BIG.format(size=len(data), limit=limit))
    return data


def is_blank(value: Any) -> bool:
    """No value: None, blank text or an empty list (a cell or key left empty)."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
