"""Reading a register as records: what `wathiqa register show` prints and the office app's register page shows.

Reads the workbook without taking its lock (the engine swaps whole files in, so a reader sees the old or the new
version, never half of one), then adds the rows still waiting in the journal and lays the waiting updates (a
decision, a reply) over the rows they change, both marked as pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.project import Project, RegisterColumn
from ..content.text import normalise_spaces, strip_tatweel, to_ascii_digits
from ..content.validate import option_id
from ..errors import OutputError, UsageError
from ..office import journal
from ..office.db import OfficeDB
from ..registers import CellValue, RegisterError, read_register
from .sync import register_path

__all__ = ["RegisterRecord", "RegisterTable", "read_register_table", "status_label"]


@dataclass(frozen=True)
class RegisterRecord:
    """One row: its cells by column label as the workbook holds them, and its values by column id."""

    number: int | None
    """Row number in the sheet; None for a row still waiting in the journal."""
    cells: dict[str, CellValue]
    values: dict[str, Any]
    pending: bool = False
    waiting_reason: str = ""


@dataclass(frozen=True)
class RegisterTable:
    register_id: str
    title: str
    path: Path
    columns: list[RegisterColumn]
    rows: list[RegisterRecord] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(1 for r in self.rows if r.pending)


def _status_column(columns: Sequence[RegisterColumn]) -> RegisterColumn:
    for column in columns:
        if column.id == "status" and column.list is not None:
            return column
    raise UsageError("this register has no status column; --status cannot be used with it")


def status_label(project: Project, register_id: str, status: str) -> str:
    """The Arabic label of ``status`` given as an option id or as its label; UsageError if unknown."""
    column = _status_column(project.register_columns(register_id))
    assert column.list is not None
    return project.policy.lists[column.list].labels()[status_id(project, register_id, status)]


def status_id(project: Project, register_id: str, status: str) -> str:
    """The option id of ``status`` given as an option id or as its label; UsageError if unknown."""
    column = _status_column(project.register_columns(register_id))
    assert column.list is not None
    options = project.policy.lists[column.list].labels()
    found = option_id(status, options)
    if found is not None:
        return found
    choices = ", ".join(f"{option_id} ({label})" for option_id, label in options.items())
    raise UsageError(f"unknown status {status!r}; the statuses are: {choices}")


def _searchable(value: object) -> str:
    return to_ascii_digits(strip_tatweel(normalise_spaces(str(value)))).casefold()


def read_register_table(
    project: Project,
    register_id: str,
    out_dir: Path,
    *,
    status: str | None = None,
    query: str | None = None,
) -> RegisterTable:
    """The rows of a register, with the journal's waiting rows; only those with ``status`` (an option id or
    label) and containing ``query`` (a reference, name, national ID or mobile; digits in any script)."""
    from ..registers.rows import check_row

    if register_id not in project.registers:
        known = ", ".join(sorted(project.registers))
        raise UsageError(f"unknown register {register_id!r}; the registers are: {known}")
    register = project.registers[register_id]
    columns = project.register_columns(register_id)
    wanted = status_id(project, register_id, status) if status is not None else None
    path = register_path(out_dir, register_id)
    if not path.is_file():
        raise OutputError(f"{path}: the register does not exist yet; run `wathiqa build --out {out_dir}` to create it")
    try:
        _, rows = read_register(path, sheet=register.sheet)
    except RegisterError as err:
        raise OutputError(f"cannot read the register: {err}") from err
    waiting = [e for e in journal.open_entries(OfficeDB(out_dir), register_id) if e.state == "ready"]
    found: list[tuple[int | None, dict[str, CellValue], bool, str]] = [
        (r.number, dict(r.values), False, "") for r in rows
    ]
    found += [(None, dict(e.cells), True, e.last_error or "") for e in waiting if e.op == "append"]
    changes: dict[str, list[journal.Entry]] = {}
    for entry in waiting:
        if entry.op == "update":
            changes.setdefault(entry.target, []).append(entry)
    reference = next((c.label for c in columns if c.type == "reference"), None)
    records = []
    for number, cells, pending, reason in found:
        for change in changes.get(str(cells.get(reference or "") or ""), ()):
            cells.update(change.cells)
            pending, reason = True, reason or change.last_error or ""
        values = check_row(project, register_id, cells)[0]
        records.append(RegisterRecord(number, cells, values, pending, reason))
    if wanted is not None:
        column_id = _status_column(columns).id
        records = [r for r in records if r.values.get(column_id) == wanted]
    if query and query.strip():
        needle = _searchable(query.strip())
        records = [r for r in records if any(needle in _searchable(v) for v in r.cells.values() if v is not None)]
    return RegisterTable(register_id, register.title, path, columns, records)
