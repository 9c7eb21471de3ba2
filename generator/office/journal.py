"""The journal of register changes: what must reach a register, kept until it has.

A case is issued even when its register is open in Excel: its row is written here first and applied to the
workbook once the file is free (:mod:`generator.workflow.sync`). Every entry is keyed by ``(register, op,
key)``: an append is keyed by the new row's reference, an update by what it does (``REQ-1448-00012#answer``),
so that applying an entry twice changes nothing twice.

An entry is born ``preparing`` in the same database transaction that gives its reference, while the documents
are rendered; it becomes ``ready`` once the file it records (``waits_for``: the case folder, the letters'
batch) is in place, and ``applied`` once the register holding it is committed. A ``preparing`` entry whose
process died before the file was in place is ``abandoned``: nothing was printed, nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..registers import CellValue
from ..registers.lock import pid_is_dead
from .db import OfficeDB

__all__ = [
    "Entry",
    "add",
    "decode_cells",
    "encode_cells",
    "mark",
    "open_entries",
    "resolve_preparing",
    "this_owner",
]

Op = Literal["append", "update"]
State = Literal["preparing", "ready", "applied", "abandoned"]

STALE_PREPARING = dt.timedelta(hours=6)
"""A ``preparing`` entry this old is abandoned even if its process cannot be checked (another computer)."""


@dataclass(frozen=True)
class Entry:
    """One register change and where it stands."""

    id: int
    register: str
    op: Op
    key: str
    target: str
    cells: dict[str, CellValue]
    state: State
    waits_for: str | None
    source: str
    owner: str
    created: str
    last_error: str | None


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def encode_cells(cells: Mapping[str, CellValue]) -> str:
    """Cells as JSON, dates tagged so they come back as dates."""

    def value(v: CellValue) -> Any:
        if isinstance(v, dt.datetime):
            return {"datetime": v.isoformat()}
        if isinstance(v, dt.date):
            return {"date": v.isoformat()}
        return v

    return json.dumps({k: value(v) for k, v in cells.items()}, ensure_ascii=False)


def decode_cells(text: str) -> dict[str, CellValue]:
    def value(v: Any) -> CellValue:
        if isinstance(v, dict):
            if "datetime" in v:
                return dt.datetime.fromisoformat(v["datetime"])
            return dt.date.fromisoformat(v["date"])
        return v  # type: ignore[no-any-return]

    return {k: value(v) for k, v in json.loads(text).items()}


def add(
    conn: sqlite3.Connection,
    register: str,
    op: Op,
    key: str,
    cells: Mapping[str, CellValue],
    *,
    target: str | None = None,
    waits_for: Path | None = None,
    source: str = "",
    state: State = "preparing",
) -> int:
    """Record a change (inside ``OfficeDB.write()``). An append already journaled is not added again; an
    update of the same key replaces the one still waiting, or queues again one already applied."""
    values = (
        register, op, key, target or key, encode_cells(cells), state,
        str(waits_for) if waits_for else None, source, this_owner(), _now(),
    )  # fmt: skip
    conflict = "DO NOTHING" if op == "append" else (
        "DO UPDATE SET cells = excluded.cells, state = excluded.state, waits_for = excluded.waits_for, "
        "source = excluded.source, owner = excluded.owner, created = excluded.created, applied = NULL, "
        "last_error = NULL"
    )  # fmt: skip
    conn.execute(
        "INSERT INTO journal (register, op, key, target, cells, state, waits_for, source, owner, created) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (register, op, key) {conflict}",
        values,
    )
    row = conn.execute("SELECT id FROM journal WHERE register = ? AND op = ? AND key = ?", (register, op, key))
    return int(row.fetchone()[0])


def mark(conn: sqlite3.Connection, ids: Iterable[int], state: State, error: str | None = None) -> None:
    applied = _now() if state == "applied" else None
    conn.executemany(
        "UPDATE journal SET state = ?, applied = ?, last_error = ? WHERE id = ?",
        [(state, applied, error, i) for i in ids],
    )


def note_error(conn: sqlite3.Connection, ids: Iterable[int], error: str) -> None:
    conn.executemany("UPDATE journal SET last_error = ? WHERE id = ?", [(error, i) for i in ids])


_COLUMNS = "id, register, op, key, target, cells, state, waits_for, source, owner, created, last_error"


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry(
        int(row[0]), row[1], row[2], row[3], row[4], decode_cells(row[5]), row[6], row[7], row[8], row[9],
        row[10], row[11],
    )  # fmt: skip


def open_entries(db: OfficeDB, register: str | None = None) -> list[Entry]:
    """Entries not yet applied (``preparing`` and ``ready``), oldest first."""
    if not db.exists():
        return []
    query = f"SELECT {_COLUMNS} FROM journal WHERE state IN ('preparing', 'ready')"
    args: tuple[str, ...] = ()
    if register is not None:
        query += " AND register = ?"
        args = (register,)
    with db.read() as conn:
        return [_entry(row) for row in conn.execute(query + " ORDER BY id", args)]


def entries_for(db: OfficeDB, register: str, op: Op) -> list[Entry]:
    """Every entry of one kind for one register that is not abandoned (applied ones included)."""
    if not db.exists():
        return []
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM journal WHERE register = ? AND op = ? AND state != 'abandoned' ORDER BY id",
            (register, op),
        )
        return [_entry(row) for row in rows]


def _owner_is_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and pid_is_dead(int(pid))


def resolve_preparing(db: OfficeDB) -> None:
    """Settle entries whose process stopped between giving a reference and putting the file in place: the
    file is there (the process died after the move) → ``ready``; it is not and the process is gone →
    ``abandoned``. Entries of processes still at work are left alone."""
    preparing = [e for e in open_entries(db) if e.state == "preparing"]
    if not preparing:
        return
    now = dt.datetime.now(dt.UTC)
    ready: list[int] = []
    abandoned: list[int] = []
    for entry in preparing:
        if entry.waits_for and Path(entry.waits_for).exists():
            ready.append(entry.id)
        elif _owner_is_gone(entry.owner) or now - dt.datetime.fromisoformat(entry.created) > STALE_PREPARING:
            abandoned.append(entry.id)
    with db.write() as conn:
        mark(conn, ready, "ready")
        mark(conn, abandoned, "abandoned", "لم يكتمل إصدار المستند؛ لم يُطبع ولم يُسجل")
