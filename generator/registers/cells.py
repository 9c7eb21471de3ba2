"""What one register cell may hold, and how Excel writes it: values, text escapes, references, date serials."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TypeAlias

from ..ooxml import markup
from .errors import RegisterError

__all__ = [
    "EXCEL_ESCAPE",
    "MAX_CELL_TEXT",
    "MAX_EXACT_INT",
    "REF",
    "CellValue",
    "check_value",
    "col_index",
    "col_letters",
    "date_to_serial",
    "escape_cell_text",
    "join_range",
    "serial_to_date",
    "split_range",
    "unescape",
]

CellValue: TypeAlias = str | int | float | bool | dt.date | dt.datetime | None
"""What a register cell holds once read; ``datetime`` only where the cell's format shows a time."""

MAX_CELL_TEXT = 32767
"""Excel's limit on the characters of one cell; longer text is truncated or refused by Excel."""

MAX_EXACT_INT = 10**15
"""Excel keeps 15 significant digits: a larger integer would silently lose its last digits."""

MAX_ROW = 1_048_576
"""Excel's last row: where a register's dropdowns reach, so that every row it will ever have is covered."""

EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
"""Excel's escape of a character XML cannot hold (``_x000D_``); a literal ``_x`` is written ``_x005F_x``."""

_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


# ------------------------------------------------------------------------------------------------- values
def check_value(label: str, value: object) -> CellValue:
    """``value`` if a cell can hold it exactly, else a :class:`RegisterError` naming the column ``label``."""
    if value is None or isinstance(value, (bool, dt.date)):
        return value
    if isinstance(value, str):
        if len(value) > MAX_CELL_TEXT:
            raise RegisterError(
                f"{label}: {len(value)} characters; an Excel cell holds at most {MAX_CELL_TEXT}"
            )
        bad = _FORBIDDEN.search(value)
        if bad:
            raise RegisterError(
                f"{label}: control character U+{ord(bad.group()):04X} cannot be stored in a cell"
            )
        return value
    if isinstance(value, int):
        if abs(value) >= MAX_EXACT_INT:
            raise RegisterError(f"{label}: {value} has more digits than Excel keeps; store it as text")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RegisterError(f"{label}: {value} is not a number Excel can store")
        return value
    raise RegisterError(f"{label}: cannot store a {type(value).__name__} in a register cell")


# --------------------------------------------------------------------------------------------------- text
def unescape(raw: bytes) -> str:
    """XML text to str as a parser would give it (line ends normalised), then Excel's ``_xHHHH_`` escapes."""
    text = markup.unescape(raw)
    if "_x" in text:
        text = EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def escape_cell_text(text: str) -> str:
    """``text`` as the character data of a cell: XML-escaped, and a literal ``_x0041_`` kept literal in Excel."""
    return markup.escape_text(re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text))


# ---------------------------------------------------------------------------------------------- references
def col_letters(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
"""A cell reference (``B12``, ``$B$12``): its column letters and row number."""


def split_range(ref: str) -> tuple[int, int, int, int] | None:
    parts = ref.split(":")
    corners = [REF.match(p) for p in (parts[0], parts[-1])]
    if len(parts) > 2 or corners[0] is None or corners[1] is None:
        return None
    a, b = corners[0], corners[1]
    return col_index(a.group(1)), int(a.group(2)), col_index(b.group(1)), int(b.group(2))


def join_range(c1: int, r1: int, c2: int, r2: int) -> str:
    return f"{col_letters(c1)}{r1}:{col_letters(c2)}{r2}"


# ----------------------------------------------------------------------------------------------- date serials
_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1904 = dt.date(1904, 1, 1)


def serial_to_date(serial: float, date1904: bool, with_time: bool) -> dt.date | dt.datetime:
    if date1904:
        epoch = dt.datetime.combine(_EPOCH_1904, dt.time())
    else:
        # Excel counts a 29 February 1900 that never was: serials before it are one day off.
        epoch = dt.datetime.combine(_EPOCH_1900 if serial >= 61 else dt.date(1899, 12, 31), dt.time())
    days = math.floor(serial)
    ms = round((serial - days) * 86_400_000)
    moment = epoch + dt.timedelta(days=days, milliseconds=ms)
    return moment if with_time else moment.date()


def date_to_serial(value: dt.date, date1904: bool) -> float | int:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    if moment.tzinfo is not None:
        raise RegisterError(f"{value!r}: Excel has no time zones; give a naive local date-time")
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    delta = moment - dt.datetime.combine(epoch, dt.time())
    days = delta.days
    if not date1904 and days < 61:
        days -= 1
    if days < 0 or (days == 0 and not date1904):
        raise RegisterError(f"{value!r}: Excel cannot hold dates before 1900-03-01")
    if not isinstance(value, dt.datetime):
        return days
    return days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
