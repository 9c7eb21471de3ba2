"""Batches saved as CSV: UTF-8 (with or without BOM), the separator found from the header line.

Excel writes «;» instead of «,» where the decimal mark is a comma (much of the Arab world and Europe), and
some Arabic set-ups write «؛»; the header line tells which one the file uses. A first line ``sep=;`` (what
Excel writes, and reads, to name the separator) says it outright and is not a row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from .common import MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, BatchRow, is_blank, read_bytes, refuse

SEPARATORS = (",", ";", "\u061b", "\t")
"""Field separators a CSV may use: comma, semicolon, Arabic semicolon «؛», tab."""

MSG_NOT_UTF8 = "الملف ليس بترميز UTF-8؛ احفظه من Excel بصيغة «CSV UTF-8»"
MSG_BROKEN = "تعذرت قراءة السطر {line} من ملف CSV ({reason})؛ تأكد أنه ملف CSV سليم"
MSG_FIELD_TOO_LONG = "حقل في السطر {line} أطول من المسموح به"
MSG_TOO_MANY_ROWS = "الملف يحتوي على أكثر من {limit} صف؛ قسّمه إلى دفعات أصغر"


def separator_of(header_line: str) -> str:
    """The separator used most often outside quotes in the header line; a comma when there is none."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _named_separator(first_line: str) -> str | None:
    """The separator of an Excel ``sep=X`` line, if the file starts with one."""
    line = first_line.rstrip("\r")
    if len(line) == 5 and line[:4].casefold() == "sep=":
        return line[4]
    return None


def read_csv(path: Path) -> Iterator[BatchRow]:
    raw = read_bytes(path, MAX_FILE_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        refuse(path, MSG_NOT_UTF8, raw[: err.start].count(b"\n") + 1)
    first_line, _, rest = text.partition("\n")
    named = _named_separator(first_line)
    skipped = 0
    if named is not None:
        text, skipped = rest, 1
        separator = named
    else:
        separator = separator_of(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader, None)
        if header is None:
            return
        keys = [h.strip() for h in header[:MAX_COLUMNS]]
        for number, row in enumerate(reader, 2 + skipped):
            if number > MAX_ROWS + 1 + skipped:
                refuse(path, MSG_TOO_MANY_ROWS.format(limit=MAX_ROWS))
            values = {k: v for k, v in zip(keys, row[:MAX_COLUMNS], strict=False) if k}
            if any(not is_blank(v) for v in values.values()):
                yield BatchRow(number, values)
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            refuse(path, MSG_FIELD_TOO_LONG.format(line=reader.line_num + skipped), reader.line_num + skipped)
        refuse(path, MSG_BROKEN.format(line=reader.line_num + skipped, reason=err), reader.line_num + skipped)
