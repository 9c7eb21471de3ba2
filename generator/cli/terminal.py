"""What the terminal shows: register tables and a progress bar (the library itself never prints).

A register is shown one row per line, the reference first, then the short columns that hold a value; long
text, Hijri copies of dates and multi-choice lists are left to Excel.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from typing import Any, TextIO

from ..config.project import RegisterColumn
from ..registers import CellValue
from ..workflow.lookup import RegisterRecord, RegisterTable

__all__ = ["Progress", "format_table", "show_register"]

MAX_CELL = 28
"""Longest cell text shown; longer text is cut with «…»."""
MAX_LINE = 200
"""Columns are added, in register order, while a line stays within this many terminal cells."""
_HIDDEN_TYPES = frozenset({"long_text", "hijri_text", "multi_choice", "url", "email"})
_GAP = "  "


def show_register(table: RegisterTable, out: TextIO) -> None:
    """Print a register's rows as a table; rows still waiting in the journal are marked «⏳ معلّق»."""
    rows = table.rows
    shown = _shown_columns(table.columns, rows)
    header = [PENDING_HEADER, *(c.label for c in shown)] if table.pending else [c.label for c in shown]
    lines: list[list[CellValue]] = []
    for r in rows:
        cells = [r.cells.get(c.label) for c in shown]
        lines.append([PENDING_MARK if r.pending else "", *cells] if table.pending else cells)
    out.write(format_table(header, lines))
    waiting = f", {table.pending} pending (run `wathiqa register sync`)" if table.pending else ""
    out.write(f"{len(rows)} row(s){waiting}\n")


PENDING_HEADER = "الحالة في السجل"
PENDING_MARK = "معلّق"


def _shown_columns(columns: Sequence[RegisterColumn], rows: Sequence[RegisterRecord]) -> list[RegisterColumn]:
    """The reference, then the short columns that hold a value in some row, while the line fits."""
    reference = [c for c in columns if c.type == "reference"]
    others = [
        c
        for c in columns
        if c.type not in _HIDDEN_TYPES
        and c.type != "reference"
        and any(r.cells.get(c.label) is not None for r in rows)
    ]
    shown: list[RegisterColumn] = []
    used = 0
    for column in [*reference, *others]:
        width = max([_width(_cut(column.label)), *(_width(_cell(r.cells.get(column.label))) for r in rows)])
        if shown and used + len(_GAP) + width > MAX_LINE:
            break
        shown.append(column)
        used += width + (len(_GAP) if used else 0)
    return shown


def format_table(header: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> str:
    """Aligned columns, a rule under the header, one line per row; widths count terminal cells."""
    cells = [[_cut(h) for h in header], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(_width(line[i]) for line in cells) for i in range(len(header))]
    lines = [_GAP.join(_pad(text, w) for text, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    lines.insert(1, _GAP.join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _cell(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _cut(" ".join(str(value).split()))  # line breaks of a cell would break the table


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _width(text: str) -> int:
    """Terminal cells: combining marks (Arabic harakat) take none, wide East Asian characters two."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Progress:
    """A progress bar on a terminal (rich), fed by the library's ``progress(done, total)`` callback; silent when
    the output is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self._stream.isatty():
            from rich.console import Console
            from rich.progress import Progress as Bar

            self._bar = Bar(console=Console(file=self._stream), transient=True)
            self._task = self._bar.add_task("…", total=None)
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
