"""`wathiqa register show REGISTER_ID [--status ...]`: a register's rows as a table on the terminal.

Reads the register without taking its lock (the engine swaps whole files in, so a reader sees the old or the
new version, never half of one). One row per line, the reference first, then the short columns that hold a
value; long text, Hijri copies of dates and multi-choice lists are left to Excel.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..config.project import Project, RegisterColumn
from ..content.text import normalise_spaces
from ..errors import OutputError, UsageError
from ..registers import CellValue, RegisterError, Row, read_register

__all__ = ["format_table", "register_path", "show_register", "status_label"]

MAX_CELL = 28
"""Longest cell text shown; longer text is cut with «…»."""
MAX_LINE = 200
"""Columns are added, in register order, while a line stays within this many terminal cells."""
_HIDDEN_TYPES = frozenset({"long_text", "hijri_text", "multi_choice", "url", "email"})
_GAP = "  "


def register_path(out_dir: Path, register_id: str) -> Path:
    return out_dir / "registers" / f"{register_id}.xlsx"


def show_register(project: Project, register_id: str, out_dir: Path, *, status: str | None = None, out: TextIO) -> None:
    """Print the rows of ``register_id`` kept under ``out_dir``, only those with ``status`` if given."""
    if register_id not in project.registers:
        known = ", ".join(sorted(project.registers))
        raise UsageError(f"unknown register {register_id!r}; the registers are: {known}")
    register = project.registers[register_id]
    columns = project.register_columns(register_id)
    wanted = status_label(project, register_id, status) if status is not None else None
    path = register_path(out_dir, register_id)
    if not path.is_file():
        raise OutputError(f"{path}: the register does not exist yet; run `wathiqa build --out {out_dir}` to create it")
    try:
        _, rows = read_register(path, sheet=register.sheet)
    except RegisterError as err:
        raise OutputError(f"cannot read the register: {err}") from err
    if wanted is not None:
        status_col = _status_column(columns)
        rows = [r for r in rows if _text(r.values.get(status_col.label)) == wanted]
    shown = _shown_columns(columns, rows)
    out.write(format_table([c.label for c in shown], [[r.values.get(c.label) for c in shown] for r in rows]))
    out.write(f"{len(rows)} row(s)\n")


def _status_column(columns: Sequence[RegisterColumn]) -> RegisterColumn:
    for column in columns:
        if column.id == "status" and column.list is not None:
            return column
    raise UsageError("this register has no status column; --status cannot be used with it")


def status_label(project: Project, register_id: str, status: str) -> str:
    """The Arabic label of ``status`` given as an option id or as its label; UsageError if unknown."""
    column = _status_column(project.register_columns(register_id))
    assert column.list is not None
    options = project.policy.lists[column.list].labels()
    wanted = normalise_spaces(status)
    if wanted in options:
        return options[wanted]
    for label in options.values():
        if normalise_spaces(label) == wanted:
            return label
    choices = ", ".join(f"{option_id} ({label})" for option_id, label in options.items())
    raise UsageError(f"unknown status {status!r}; the statuses are: {choices}")


def _shown_columns(columns: Sequence[RegisterColumn], rows: Sequence[Row]) -> list[RegisterColumn]:
    """The reference, then the short columns that hold a value in some row, while the line fits."""
    reference = [c for c in columns if c.type == "reference"]
    others = [
        c
        for c in columns
        if c.type not in _HIDDEN_TYPES
        and c.type != "reference"
        and any(r.values.get(c.label) is not None for r in rows)
    ]
    shown: list[RegisterColumn] = []
    used = 0
    for column in [*reference, *others]:
        width = max([_width(_cut(column.label)), *(_width(_cell(r.values.get(column.label))) for r in rows)])
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


def _text(value: CellValue) -> str | None:
    return None if value is None else normalise_spaces(str(value))


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
