"""The journal of register changes: what must reach a register, kept until it has.

A case is issued even when its register is open in Excel: its row is written here first and applied to the
workbook once the file is free (:mod:`generator.workflow.sync`). Every entry is keyed by ``(register, op,
key)``: an append is keyed by the new row's reference, an update by what it does (``REQ-1448-00012#answer``),
so that applying an entry twice changes nothing twice.

An entry is born ``preparing`` in the same database transaction that gives its reference, while the documents
are rendered; it becomes ``ready`` once the file it records (``waits_for``: the case folder, the letters'
batch) is in place, and ``applied`` once the register holding it is committed. A ``preparing`` entry whose
process died before the file was in place is ``abandoned``: nothing was printed, nothing is recorded.

This module is the only place an entry changes state, and every change is guarded: it happens only if the entry
is still in the state (and, for ``applied``, still holds the cells) its caller read, so a process that read the
journal and was then held up (waiting for a register's lock, paused, slow) can never overwrite a newer change:

* ``preparing → ready`` and ``preparing → abandoned``: :func:`mark`;
* ``ready → applied``: :func:`mark_applied`, only for the cells that were written;
* an append whose reference was given back (its entry ``abandoned``) is replaced, new cells and new owner, by
  the case that got the reference next; an append of a reference still ``preparing``, ``ready`` or ``applied``
  is refused with :class:`JournalConflict` (a reference given twice);
* ``register sync --recover`` queues again, with :func:`requeue`, what a register no longer holds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..registers import CellValue
from ..registers.lock import pid_is_dead
from .db import OfficeDB

log = logging.getLogger(__name__)

__all__ = [
    "Entry",
    "JournalConflict",
    "add",
    "decode_cells",
    "encode_cells",
    "mark",
    "mark_applied",
    "note_error",
    "open_entries",
    "requeue",
    "resolve_preparing",
    "still_ready",
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
    cells_text: str = field(default="", repr=False, compare=False)
    """The cells exactly as stored: what :func:`mark_applied` and :func:`still_ready` compare."""


class JournalConflict(RuntimeError):
    """Raised when a change would overwrite a journal entry it does not own: a reference journaled twice, or an
    entry that moved on since it was read. Always a bug (never a user's mistake), so it is loud."""


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
    """Record a change (inside ``OfficeDB.write()``); return its id.

    An append takes the place of an ``abandoned`` entry of its key (a reference given back, then given to this
    case) and is refused for any other (:class:`JournalConflict`). An update of the same key replaces the one
    still ready, or queues again one already applied; one still ``preparing`` belongs to a run at work and is
    refused."""
    existing = conn.execute(
        "SELECT id, state FROM journal WHERE register = ? AND op = ? AND key = ?", (register, op, key)
    ).fetchone()
    if existing is not None:
        entry_id, current = int(existing[0]), str(existing[1])
        if current == "abandoned" or (op == "update" and current != "preparing"):
            _delete(conn, entry_id, current)
        else:
            raise JournalConflict(
                f"journal: {register} {op} {key} is already {current} (entry {entry_id}); "
                + ("a reference was given twice" if op == "append" else "another run is answering it")
            )
    cur = conn.execute(
        "INSERT INTO journal (register, op, key, target, cells, state, waits_for, source, owner, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            register, op, key, target or key, encode_cells(cells), state,
            str(waits_for) if waits_for else None, source, this_owner(), _now(),
        ),
    )  # fmt: skip
    assert cur.lastrowid is not None
    return cur.lastrowid


def _delete(conn: sqlite3.Connection, entry_id: int, state: str) -> None:
    """Drop the entry a new one replaces; the guard makes two replacers of one entry conflict, not both win."""
    if conn.execute("DELETE FROM journal WHERE id = ? AND state = ?", (entry_id, state)).rowcount != 1:
        raise JournalConflict(f"journal: entry {entry_id} changed while it was being replaced")


def requeue(
    conn: sqlite3.Connection,
    register: str,
    op: Op,
    key: str,
    cells: Mapping[str, CellValue],
    *,
    target: str | None = None,
    source: str = "",
) -> bool:
    """Queue a change again, ``ready``, because its register does not hold it (``register sync --recover``):
    after a lost database, or a row removed since it was applied. False, and nothing changed, when the change
    already waits (``preparing`` or ``ready``)."""
    existing = conn.execute(
        "SELECT id, state FROM journal WHERE register = ? AND op = ? AND key = ?", (register, op, key)
    ).fetchone()
    if existing is not None:
        if existing[1] in ("preparing", "ready"):
            return False
        _delete(conn, int(existing[0]), str(existing[1]))
    add(conn, register, op, key, cells, target=target, source=source, state="ready")
    return True


_BEFORE: dict[str, str] = {"ready": "preparing", "abandoned": "preparing"}
"""The one state each target state may be reached from with :func:`mark` (``applied``: :func:`mark_applied`)."""

_REACHED: dict[str, tuple[str, ...]] = {"ready": ("ready", "applied"), "abandoned": ("abandoned",)}
"""States that mean another run already did what :func:`mark` was asked: a ``preparing`` entry whose file is in
place is made ``ready`` (and then applied) by any run's :func:`resolve_preparing`."""


def mark(conn: sqlite3.Connection, ids: Iterable[int], state: State, error: str | None = None) -> list[int]:
    """Move ``preparing`` entries to ``ready`` or ``abandoned``. Return the ids that ended in another state
    (settled otherwise by another run: a caller that needs its entry ``ready`` treats them as a conflict);
    one another run already moved to ``state``, or past it (``ready`` then ``applied``), is fine."""
    if state not in _BEFORE:
        raise ValueError(f"journal.mark cannot move entries to {state!r}; use mark_applied")
    elsewhere: list[int] = []
    for entry_id in ids:
        cur = conn.execute(
            "UPDATE journal SET state = ?, last_error = ? WHERE id = ? AND state = ?",
            (state, error, entry_id, _BEFORE[state]),
        )
        if cur.rowcount != 1:
            row = conn.execute("SELECT state FROM journal WHERE id = ?", (entry_id,)).fetchone()
            if row is None or row[0] not in _REACHED[state]:
                elsewhere.append(entry_id)
    return elsewhere


def mark_applied(conn: sqlite3.Connection, entries: Iterable[Entry]) -> list[Entry]:
    """Mark applied the entries whose cells were written, only if they are still ``ready`` with those cells;
    return the others (changed since they were read: they stay ``ready`` and the next sync writes them)."""
    changed: list[Entry] = []
    now = _now()
    for entry in entries:
        cur = conn.execute(
            "UPDATE journal SET state = 'applied', applied = ?, last_error = NULL "
            "WHERE id = ? AND state = 'ready' AND cells = ?",
            (now, entry.id, entry.cells_text),
        )
        if cur.rowcount != 1:
            changed.append(entry)
    return changed


def note_error(conn: sqlite3.Connection, ids: Iterable[int], error: str) -> None:
    """Say why entries still wait (Arabic, for the clerk); their state does not change."""
    conn.executemany("UPDATE journal SET last_error = ? WHERE id = ?", [(error, i) for i in ids])


def still_ready(db: OfficeDB, entries: Iterable[Entry]) -> list[Entry]:
    """Those of ``entries`` still ``ready`` with the cells they were read with, read again now (under a
    register's lock, so that nothing older than what the journal holds is written)."""
    wanted = list(entries)
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    with db.read() as conn:
        rows = conn.execute(f"SELECT id, cells FROM journal WHERE state = 'ready' AND id IN ({marks})",
                            [e.id for e in wanted]).fetchall()  # fmt: skip
    current = {int(row[0]): str(row[1]) for row in rows}
    return [e for e in wanted if current.get(e.id) == e.cells_text]


_COLUMNS = "id, register, op, key, target, cells, state, waits_for, source, owner, created, last_error"


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry(
        int(row[0]), row[1], row[2], row[3], row[4], decode_cells(row[5]), row[6], row[7], row[8], row[9],
        row[10], row[11], cells_text=row[5],
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
