"""Applying the journal to the registers: every waiting row reaches its workbook exactly once.

Each command that opens a register calls :func:`apply_pending` first; ``wathiqa register sync`` calls it on
demand. Under the register's lock, an append whose reference is already in the register is skipped (a run that
died after committing the workbook but before marking the entry), and an update finds its row by reference,
never by row number, since archivists insert, sort and delete rows. A register open in Excel or LibreOffice is
left as it is: its entries wait, with the reason, for the next run.

The entries are read again once the register's lock is held, and only those still ``ready`` with the cells
first read are written; each is marked applied only if it still holds the cells written. A run that read the
journal and then waited for the lock therefore never writes an older change over a newer one (a decision
corrected meanwhile): the newer one stays ``ready`` and is written by whoever journaled it, or the next run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..config.project import Project
from ..faults import fault_point
from ..office import journal
from ..office.db import OfficeDB
from ..registers import RegisterError, RegisterLockedError, RegisterOpenInExcelError, open_register
from .folders import create_if_absent

log = logging.getLogger(__name__)

__all__ = ["SyncResult", "Waiting", "apply_pending", "ensure_register", "reference_label", "register_path"]

SYNC_LOCK_WAIT = 30.0
"""Seconds a command waits for another writer's lock (held for milliseconds per append) before leaving its rows
in the journal for the next run."""


@dataclass(frozen=True)
class Waiting:
    """A register change still waiting, and why (Arabic, for the clerk)."""

    register_id: str
    key: str
    reason: str


@dataclass
class SyncResult:
    applied: list[journal.Entry] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)

    def is_waiting(self, register_id: str, key: str) -> bool:
        return any(w.register_id == register_id and w.key == key for w in self.waiting)


def register_path(out_dir: Path, register_id: str) -> Path:
    return out_dir / "registers" / f"{register_id}.xlsx"


def ensure_register(project: Project, register_id: str, out_dir: Path) -> Path:
    """The register's file, created from its definition if it does not exist yet.

    Creation is create-if-absent (a hard link of a finished temporary file), so two processes issuing at once
    never overwrite each other's register.
    """
    path = register_path(out_dir, register_id)
    if path.exists():
        return path
    from ..render.xlsx import build_register

    create_if_absent(path, build_register(project, register_id))  # another process created it first: use theirs
    return path


def reference_label(project: Project, register_id: str) -> str:
    return next(c.label for c in project.register_columns(register_id) if c.type == "reference")


def _why_waiting(err: RegisterError) -> str:
    if isinstance(err, RegisterOpenInExcelError):  # which application, by whom, on which machine; a stale lock's advice
        return f"{err.situation}، {err.advice}" if err.stale else err.situation
    if isinstance(err, RegisterLockedError):
        return f"السجل {err.path.name} قيد الكتابة من عملية أخرى"
    return f"تعذرت الكتابة في السجل: {str(err).splitlines()[0]}"


def apply_pending(
    project: Project,
    out_dir: Path,
    *,
    registers: Iterable[str] | None = None,
    timeout: float = SYNC_LOCK_WAIT,
    db: OfficeDB | None = None,
) -> SyncResult:
    """Apply every ready journal entry (of ``registers``, or all) to its register; see the module docstring."""
    db = db or OfficeDB(out_dir)
    result = SyncResult()
    if not db.exists():
        return result
    journal.resolve_preparing(db)
    wanted = set(registers) if registers is not None else None
    by_register: dict[str, list[journal.Entry]] = defaultdict(list)
    for entry in journal.open_entries(db):
        if wanted is not None and entry.register not in wanted:
            continue
        if entry.state == "preparing":
            result.waiting.append(Waiting(entry.register, entry.key, "المستند قيد الإصدار"))
        elif entry.register not in project.registers:
            result.waiting.append(Waiting(entry.register, entry.key, "السجل لم يعد معرّفًا في السياسة"))
        else:
            by_register[entry.register].append(entry)
    fault_point("sync.read")
    for register_id, entries in by_register.items():
        _apply_register(project, out_dir, db, register_id, entries, timeout, result)
    return result


def _apply_register(
    project: Project,
    out_dir: Path,
    db: OfficeDB,
    register_id: str,
    entries: list[journal.Entry],
    timeout: float,
    result: SyncResult,
) -> None:
    register = project.registers[register_id]
    path = ensure_register(project, register_id, out_dir)
    label = reference_label(project, register_id)
    applied: list[journal.Entry] = []
    missing: list[journal.Entry] = []
    try:
        with open_register(
            path, sheet=register.sheet, timeout=timeout, backups=project.policy.settings.register_backups
        ) as tx:
            entries = journal.still_ready(db, entries)  # what changed while the lock was awaited is not written
            rows_by_reference = tx.find_rows(label, [e.target for e in entries])
            for entry in entries:
                if entry.op == "append":
                    if entry.target not in rows_by_reference:
                        rows_by_reference[entry.target] = tx.append(entry.cells)
                    applied.append(entry)
                elif (number := rows_by_reference.get(entry.target)) is not None:
                    tx.update(number, entry.cells)
                    applied.append(entry)
                else:
                    missing.append(entry)
            fault_point("sync.before-commit")
        fault_point("sync.after-commit")
    except RegisterError as err:
        reason = _why_waiting(err)
        with db.write() as conn:
            journal.note_error(conn, [e.id for e in entries], reason)
        result.waiting += [Waiting(register_id, e.key, reason) for e in entries]
        log.info("%s: %d change(s) wait: %s", path, len(entries), err)
        return
    with db.write() as conn:
        changed = journal.mark_applied(conn, applied)  # changed since written: they stay ready for the next run
        reason = "لا يوجد في السجل صف بهذا الرقم المرجعي؛ أعد الصف ثم زامن السجل"
        journal.note_error(conn, [e.id for e in missing], reason)
    changed_ids = {e.id for e in changed}
    result.applied += [e for e in applied if e.id not in changed_ids]
    result.waiting += [Waiting(register_id, e.target, reason) for e in missing]
    log.info("%s: %d change(s) applied, %d changed meanwhile", path, len(applied) - len(changed), len(changed))
