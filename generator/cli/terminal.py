"""What the terminal shows: register tables and a progress bar (the library itself never prints).

A register is shown one row per line, fitted to the terminal's width: the reference first, then the columns
that matter most (the lists a clerk acts on: status, decision; then dates; then short text) that hold a
value, in register order; long text, Hijri copies of dates and multi-choice lists are left to Excel.
``--columns`` chooses the columns instead.
"""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from collections.abc import Sequence
from typing import Any, TextIO

from ..config.project import RegisterColumn
from ..errors import UsageError
from ..registers import CellValue
from ..workflow.lookup import RegisterRecord, RegisterTable

__all__ = ["Progress", "format_table", "show_register"]

MAX_CELL = 28
"""Longest cell text shown; longer text is cut with «…»."""
MAX_LINE = 200
"""Columns are added, in register order, while a line stays within this many terminal cells."""
_HIDDEN_TYPES = frozenset({"long_text", "hijri_text", "multi_choice", "url", "email"})
_GAP = "  "


def show_register(
    table: RegisterTable, out: TextIO, *, columns: Sequence[str] | None = None, width: int | None = None
) -> None:
    """Print a register's rows as a table; rows still waiting in the journal are marked «⏳ معلّق».

    ``columns``: ids or labels to show, in that order (else the columns that matter, see the module doc);
    ``width``: the line width to fit (else the terminal's)."""
    rows = table.rows
    line = width if width is not None else shutil.get_terminal_size((MAX_LINE, 24)).columns
    room = line - ((_width(PENDING_HEADER) + len(_GAP)) if table.pending else 0)
    shown = _chosen_columns(table, columns) if columns else _shown_columns(table.columns, rows, room)
    header = [PENDING_HEADER, *(c.label for c in shown)] if table.pending else [c.label for c in shown]
    lines: list[list[CellValue]] = []
    for r in rows:
        cells = [r.cells.get(c.label) for c in shown]
        lines.append([PENDING_MARK if r.pending else "", *cells] if table.pending else cells)
    out.write(format_table(header, lines))
    waiting = f", {table.pending} pending (run `wathiqa register sync`)" if table.pending else ""
    hidden = [c for c in table.columns if c not in shown and any(r.cells.get(c.label) is not None for r in rows)]
    more = f"; {len(hidden)} more column(s) with values: --columns ID,ID to choose" if hidden and not columns else ""
    out.write(f"{len(rows)} row(s){waiting}{more}\n")


def _chosen_columns(table: RegisterTable, keys: Sequence[str]) -> list[RegisterColumn]:
    """The columns named by id or label, in the order given; UsageError naming the ids if one is unknown."""
    chosen = []
    for key in (k.strip() for k in keys):
        found = [c for c in table.columns if key in (c.id, c.label)]
        if not found:
            ids = ", ".join(c.id for c in table.columns)
            raise UsageError(f"register {table.register_id} has no column {key!r}; its columns are: {ids}")
        chosen.append(found[0])
    return chosen


PENDING_HEADER = "الحالة في السجل"
PENDING_MARK = "معلّق"


_PRIORITY = {"choice": 0, "yes_no": 1, "rating": 1, "date": 2, "datetime": 2}
"""Which columns a clerk needs first after the reference: the lists acted on (status, decision), then dates."""


def _shown_columns(
    columns: Sequence[RegisterColumn], rows: Sequence[RegisterRecord], room: int = MAX_LINE
) -> list[RegisterColumn]:
    """The reference, then the columns that matter most and hold a value in some row, while the line fits
    ``room`` terminal cells; shown in register order."""
    widths = {
        c.id: max([_width(_cut(c.label)), *(_width(_cell(r.cells.get(c.label))) for r in rows)]) for c in columns
    }
    reference = [c for c in columns if c.type == "reference"]
    others = [
        c
        for c in columns
        if c.type not in _HIDDEN_TYPES
        and c.type != "reference"
        and any(r.cells.get(c.label) is not None for r in rows)
    ]
    ranked = sorted(others, key=lambda c: (_PRIORITY.get(c.type, 3), columns.index(c)))
    chosen: list[RegisterColumn] = []
    used = 0
    for column in [*reference, *ranked]:
        needed = widths[column.id] + (len(_GAP) if chosen else 0)
        if chosen and used + needed > room:
            continue  # a narrower column further down may still fit
        chosen.append(column)
        used += needed
    return [c for c in columns if c in chosen]


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
