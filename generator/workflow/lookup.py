"""Reading a register as records: what `wathiqa register show` prints and the office app's register page shows.

Reads the workbook without taking its lock (the engine swaps whole files in, so a reader sees the old or the new
version, never half of one), then adds the rows still waiting in the journal and lays the waiting updates (a
decision, a reply) over the rows they change, both marked as pending.
"""

from __future__ import annotations

import os
import sys
import threading
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

__all__ = ["RegisterRecord", "RegisterTable", "RowKey", "read_register_table", "row_key", "status_label"]


@dataclass(frozen=True, slots=True)
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
    version: tuple[Any, ...] = ()
    """What the rows were read at (the workbook's identity, the journal's open entries): equal versions, equal rows."""

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

    if register_id not in project.registers:
        known = ", ".join(sorted(project.registers))
        raise UsageError(f"unknown register {register_id!r}; the registers are: {known}")
    register = project.registers[register_id]
    columns = project.register_columns(register_id)
    wanted = status_id(project, register_id, status) if status is not None else None
    path = register_path(out_dir, register_id)
    records, version = _records(project, register_id, path, OfficeDB(out_dir))
    if wanted is not None:
        column_id = _status_column(columns).id
        records = [r for r in records if r.values.get(column_id) == wanted]
    if query and query.strip():
        needle = _searchable(query.strip())
        records = [r for r in records if any(needle in _searchable(v) for v in r.cells.values() if v is not None)]
    return RegisterTable(register_id, register.title, path, columns, list(records), version)


_READ_LOCK = threading.Lock()
_READERS: dict[tuple[int, str, str], threading.Lock] = {}
_READ: dict[tuple[int, str, str], tuple[Project, tuple[Any, ...], list[RegisterRecord]]] = {}
"""The last reading of each register, by project, register and file, with the version it was read at: the office
app reads a register on every case page, search and issue, and a year's register takes seconds to decode."""
_KEPT_READINGS = 16


def _records(
    project: Project, register_id: str, path: Path, db: OfficeDB
) -> tuple[list[RegisterRecord], tuple[Any, ...]]:
    """The register's records (rows, then rows waiting in the journal, updates laid over: the journal is read
    first, so a row written meanwhile is found in the workbook, never lost between the two) and the version they
    were read at: the workbook's identity (inode, size, change times) and the journal's open entries. A reading
    whose version is still current is given again (records are never changed by their readers)."""
    key = (id(project), register_id, str(path))
    with _READ_LOCK:
        reader = _READERS.setdefault(key, threading.Lock())
    with reader:  # one thread decodes a register at a time; the others then find it read
        try:
            before = os.stat(path)
        except FileNotFoundError:
            raise OutputError(
                f"{path}: the register does not exist yet; run `wathiqa build --out {path.parent.parent}` to create it"
            ) from None
        waiting = [e for e in journal.open_entries(db, register_id) if e.state == "ready"]
        version = (
            before.st_ino, before.st_size, before.st_mtime_ns, before.st_ctime_ns,
            tuple((e.id, e.last_error) for e in waiting),
        )  # fmt: skip
        kept = _READ.get(key)
        if kept is not None and kept[0] is project and kept[1] == version:
            return kept[2], version
        earlier = {row_key(r.cells): r.values for r in kept[2]} if kept is not None and kept[0] is project else {}
        records = _decode(project, register_id, path, waiting, earlier)
        with _READ_LOCK:
            _READ.pop(key, None)
            _READ[key] = (project, version, records)
            while len(_READ) > _KEPT_READINGS:
                _READERS.pop(oldest := next(iter(_READ)), None)
                _READ.pop(oldest)
        return records, version


RowKey = tuple[tuple[tuple[str, Any], ...], tuple[type, ...]]
"""A row's cells as a dictionary key (with each value's type: 1, 1.0 and True are different cells)."""


def row_key(cells: dict[str, Any]) -> RowKey:
    return tuple(cells.items()), tuple(map(type, cells.values()))


def _decode(
    project: Project,
    register_id: str,
    path: Path,
    waiting: list[journal.Entry],
    earlier: dict[RowKey, dict[str, Any]] | None = None,
) -> list[RegisterRecord]:
    """The records of the workbook and the journal's waiting rows. ``earlier``: the values of the rows of the
    previous reading by their cells; a row whose cells are the same is not checked again (after one row is added
    to a year's register, the other rows are only read)."""
    from ..registers.rows import check_row

    earlier = earlier or {}
    register = project.registers[register_id]
    columns = project.register_columns(register_id)
    try:
        _, rows = read_register(path, sheet=register.sheet)
    except RegisterError as err:
        raise OutputError(f"cannot read the register: {err}") from err
    found: list[tuple[int | None, dict[str, CellValue], bool, str]] = [
        (r.number, dict(r.values), False, "") for r in rows
    ]
    reference = next((c.label for c in columns if c.type == "reference"), None)
    # The journal was read before the workbook: a row a sync wrote in between is in both, and is shown once.
    written = {str(cells.get(reference)) for _, cells, _, _ in found if reference and cells.get(reference)}
    found += [
        (None, dict(e.cells), True, e.last_error or "")
        for e in waiting
        if e.op == "append" and not (reference and str(e.cells.get(reference) or "") in written)
    ]
    changes: dict[str, list[journal.Entry]] = {}
    for entry in waiting:
        if entry.op == "update":
            changes.setdefault(entry.target, []).append(entry)
    records = []
    for number, cells, pending, reason in found:
        for change in changes.get(str(cells.get(reference or "") or ""), ()):
            cells.update(change.cells)
            pending, reason = True, reason or change.last_error or ""
        values = earlier.get(row_key(cells)) if not pending else None
        if values is None:
            values = _shared(check_row(project, register_id, cells)[0])
        records.append(RegisterRecord(number, _shared(cells), values, pending, reason))
    return records


def _shared(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its text values interned: a year's register repeats its cities, statuses and names thousands
    of times, and a kept reading holds one copy of each."""
    return {key: sys.intern(value) if type(value) is str else value for key, value in row.items()}
