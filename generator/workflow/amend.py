"""Amending an issued case: a corrected copy of its documents, a void, a status the archivist sets.

A case keeps its reference for ever. Correcting it re-renders its documents under that reference, marked
«نسخة مصححة» with the day of the correction, and keeps the files they replace in ``v1/`` (then ``v2/`` …) inside
the case folder; voiding it marks its register row «ملغى» and writes nothing else, so its number is never given
again. Either way the register row is changed through the journal (an ``update`` keyed by the reference), and who
did it, when and why is kept twice: in the case folder's ``history.json`` (which survives the office database)
and in the audit trail.

A correction is built as a whole new case folder beside the old one (the earlier versions and the untouched files
hard-linked, the documents rendered afresh) and swapped in with one atomic exchange of the two folders, so a
reader or a crash sees either the old case or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.model import Document
from ..config.project import Project
from ..content.records import validate_record
from ..content.text import today as current_day
from ..errors import CaseStateError, OutputError, UsageError
from ..faults import fault_point
from ..office import journal
from ..office.accounts import now_utc
from ..office.audit import record_event
from ..office.db import OfficeDB
from .folders import atomic_write_bytes, exchange, remove_dead_stages, stage_dir
from .issue import CASE_FILE, CaseRenderers
from .lookup import RegisterRecord, read_register_table
from .sync import apply_pending

if TYPE_CHECKING:
    from ..config.project import RegisterColumn

log = logging.getLogger(__name__)

__all__ = [
    "HISTORY_FILE",
    "VOID",
    "AmendResult",
    "CaseChangedError",
    "HistoryEvent",
    "IssuedCase",
    "correct_case",
    "decided_later",
    "open_case",
    "set_status",
    "settable_statuses",
    "void_case",
]

VOID = "void"
"""The option id of «ملغى» in the register's list of statuses."""

HISTORY_FILE = "history.json"
"""In a case folder: every correction, void and status change, in order, with who, when and why."""

RECORD_FILE = "record.json"

MSG_VOIDED = "هذه الحالة ملغاة؛ لا تُصحح ولا يُتخذ فيها قرار."
MSG_ANSWERED = "صدر خطاب القرار لهذه الحالة؛ لا يصحح بياناتها بعد ذلك إلا أمين الأرشيف أو المدير، ولم يُغيَّر شيء."
MSG_UNCHANGED = "لم تتغير أي بيانات عن النسخة الحالية، فلم يُصدر شيء."
MSG_REASON = "اكتب سبب الإلغاء."
MSG_VOID_ANSWERED = "صدر خطاب القرار لهذه الحالة، فلا تُلغى؛ صحّح بياناتها إن كان فيها خطأ."
MSG_NO_VOID_STATUS = "لا تحتوي قائمة حالات الطلب في السياسة على الحالة «ملغى» (المعرّف void)؛ أضفها ثم أعد المحاولة."
MSG_STATUS_UNKNOWN = "هذه الحالة ليست مما يُختار يدويًا: {}"
MSG_NO_ROW = "لا يوجد في السجل صف لهذه الحالة بعد."
MSG_CHANGED = (
    "صحّح {by} هذه الحالة بعد أن فُتحت بياناتها للتصحيح، فلم يُصدر شيء حتى لا يضيع تصحيحه. "
    "راجع ما يخالف الحالة الآن ثم صحّح من جديد."
)


class CaseChangedError(CaseStateError):
    """Raised when a correction was drawn from an older version of the case than the one there now (another
    clerk corrected it meanwhile): nothing is issued, so neither correction is lost without a look."""

    def __init__(self, later: HistoryEvent, record: dict[str, Any]) -> None:
        self.later = later
        self.record = record
        """The case's data as it is now."""
        super().__init__(MSG_CHANGED.format(by=later.by))


@dataclass(frozen=True)
class HistoryEvent:
    """One change of a case after its issue."""

    kind: str
    """``correct``, ``void`` or ``status``."""
    at: str
    """When, in UTC (``YYYY-MM-DD HH:MM:SS``)."""
    day: str
    """The office day (ISO date), printed on a corrected copy."""
    by: str
    reason: str = ""
    version: int = 0
    """For a correction: the files it replaced are kept in ``v{version}/``."""
    status: str = ""
    """For a status change: the option id set."""
    token: str = ""
    """For a correction sent from the office app: the token of the form it came from (one press, one version)."""


@dataclass(frozen=True)
class IssuedCase:
    """An issued case as its folder and its register row tell it."""

    reference: str
    folder: Path
    document: Document
    issued_on: date
    record: dict[str, Any]
    history: list[HistoryEvent]
    row: RegisterRecord | None
    answered_column: str | None = None
    status_column: str | None = None

    @property
    def voided(self) -> bool:
        return any(e.kind == "void" for e in self.history) or self.status == VOID

    @property
    def answered(self) -> bool:
        """A decision letter was sent (or is recorded and waits for its register)."""
        return bool(self.row is not None and self.answered_column and self.row.values.get(self.answered_column))

    @property
    def status(self) -> str:
        if self.row is None or self.status_column is None:
            return ""
        return str(self.row.values.get(self.status_column) or "")

    @property
    def versions(self) -> list[int]:
        return sorted(e.version for e in self.history if e.kind == "correct")

    @property
    def version(self) -> int:
        """The version the case's files are at: 0 as issued, N after its N-th correction."""
        return max(self.versions, default=0)


@dataclass(frozen=True)
class AmendResult:
    reference: str
    version: int | None = None
    pending: bool = False
    """The register is open in Excel: the change waits in the journal."""
    waiting_reason: str = ""
    files: list[Path] = field(default_factory=list)
    repeated: bool = False
    """The same form was sent again: nothing new was done (for a correction, ``version`` is the one made before)."""


# ------------------------------------------------------------------------------------------- reading a case
def _case_folder(out_dir: Path, reference: str) -> Path:
    cases = out_dir / "cases"
    if reference.startswith(".") or "/" in reference or "\\" in reference or not (cases / reference).is_dir():
        raise UsageError(f"no case {reference!r} in {cases}")
    return cases / reference


def read_history(folder: Path) -> list[HistoryEvent]:
    try:
        items = json.loads((folder / HISTORY_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    known = set(HistoryEvent.__dataclass_fields__)
    return [HistoryEvent(**{k: v for k, v in item.items() if k in known}) for item in items]


def open_case(project: Project, out_dir: Path, reference: str) -> IssuedCase:
    """The case ``reference``: its document, issue day, record, history and register row (None if not there)."""
    folder = _case_folder(out_dir, reference)
    try:
        meta = json.loads((folder / CASE_FILE).read_text(encoding="utf-8"))
        raw = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"{folder}: the case has no readable {CASE_FILE} and {RECORD_FILE}") from err
    document = project.document(str(meta["document"]))
    record = validate_record(document, project.policy, raw)
    row, answered, status = None, None, None
    if document.register_id is not None:
        register = project.registers[document.register_id]
        answered = register.answered.letter_column if register.answered else None
        status = next((c.id for c in project.register_columns(register.id) if c.id == "status" and c.list), None)
        row = _register_row(project, out_dir, register.id, reference)
    issued_on = date.fromisoformat(str(meta["issued_on"]))
    return IssuedCase(reference, folder, document, issued_on, record, read_history(folder), row, answered, status)


def _register_row(project: Project, out_dir: Path, register_id: str, reference: str) -> RegisterRecord | None:
    try:
        table = read_register_table(project, register_id, out_dir)
    except OutputError:
        return None
    column = next((c.id for c in table.columns if c.type == "reference"), "")
    return next((r for r in table.rows if r.values.get(column) == reference), None)


# ------------------------------------------------------------------------------------------- correcting
def correct_case(
    project: Project,
    out_dir: Path,
    reference: str,
    values: Mapping[str, Any],
    *,
    by: str,
    reason: str = "",
    today: date | None = None,
    renderers: CaseRenderers | None = None,
    after_answer: bool = False,
    base_version: int | None = None,
    token: str = "",
) -> AmendResult:
    """Re-issue the case's documents from corrected ``values`` (raw, validated here: DataError as for an issue),
    keeping the replaced files in ``v{N}/``. ``after_answer``: the caller may correct a case whose decision
    letter was sent (an archivist or an admin); otherwise that is a :class:`CaseStateError`.

    ``base_version``: the version the corrected values were read from (0 for the case as issued); when the case
    has been corrected since, :class:`CaseChangedError` and nothing is written. ``token``: the form's token; the
    same form sent again (a double click, a reload) gets the version it made the first time, with
    ``AmendResult.repeated``."""
    today = today or current_day()
    case = open_case(project, out_dir, reference)
    if case.voided:
        raise CaseStateError(MSG_VOIDED)
    if case.answered and not after_answer:
        raise CaseStateError(MSG_ANSWERED)
    document = case.document
    kept = _kept_fields(project, case)
    given = {k: v for k, v in values.items() if k not in decided_later(project, case.document)}
    record = validate_record(document, project.policy, {**given, **kept})
    fault_point("amend.opened")
    renderers = renderers or CaseRenderers(project)
    cases = case.folder.parent
    db = OfficeDB(out_dir)
    with _case_lock(cases, reference):
        history = read_history(case.folder)  # as it is now: another correction may have finished while we waited
        made = next((e for e in history if token and e.token == token), None)
        if made is not None:
            pending, waiting = _sync(project, out_dir, document, reference, db)
            return AmendResult(reference, made.version, pending, waiting, repeated=True)
        if any(e.kind == "void" for e in history):
            raise CaseStateError(MSG_VOIDED)
        now = _current_record(project, case)
        later = [e for e in history if e.kind == "correct" and e.version > (base_version or 0)]
        if base_version is not None and later:
            raise CaseChangedError(later[-1], now)
        if record == now:
            raise CaseStateError(MSG_UNCHANGED)
        remove_dead_stages(cases)
        version = _next_version(case.folder)
        entry_id = None
        if document.register_id is not None:
            cells = _data_cells(project, document, document.register_id, record)
            with db.write() as conn:
                entry_id = journal.add(
                    conn, document.register_id, "update", f"{reference}#correction-v{version}", cells,
                    target=reference, waits_for=case.folder / f"v{version}", source=document.id,
                )  # fmt: skip
        event = HistoryEvent("correct", now_utc(), today.isoformat(), by, reason.strip(), version, token=token)
        stage = stage_dir(cases, reference)
        try:
            replaced = _link_previous(case.folder, stage, version, _document_files(project, document))
            files = renderers.render_case(document, record, reference, case.issued_on, stage, corrected_on=today)
            _write_history(stage, [*read_history(case.folder), event])
            fault_point("amend.rendered")
            old = exchange(stage, case.folder)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            if entry_id is not None:
                with db.write() as conn:
                    journal.mark(conn, [entry_id], "abandoned", "تعذر إصدار النسخة المصححة")
            raise
        fault_point("amend.swapped")
        _carry_late_files(old, case.folder)
        shutil.rmtree(old, ignore_errors=True)
        if entry_id is not None:
            with db.write() as conn:
                journal.mark(conn, [entry_id], "ready")
    _audit(db, by, "case_correct", reference, f"v{version}" + (f": {reason.strip()}" if reason.strip() else ""))
    log.info("corrected %s; %d earlier file(s) kept in v%d", reference, len(replaced), version)
    pending, waiting = _sync(project, out_dir, document, reference, db)
    return AmendResult(reference, version, pending, waiting, [case.folder / f.name for f in files])


def _current_record(project: Project, case: IssuedCase) -> dict[str, Any]:
    """The case's data as its folder holds it now (read under the case's lock)."""
    raw = json.loads((case.folder / RECORD_FILE).read_text(encoding="utf-8"))
    return validate_record(case.document, project.policy, raw)


def decided_later(project: Project, document: Document) -> frozenset[str]:
    """Fields of ``document`` that hold the decision its register's rows wait for (the application's «القرار»):
    the archivist fills them on the decisions page, after the waiting period, never the clerk at intake nor a
    correction."""
    return frozenset(
        d.answers.column
        for d in project.documents.values()
        if d.answers is not None and document.register_id is not None and d.answers.register_id == document.register_id
    )


def _kept_fields(project: Project, case: IssuedCase) -> dict[str, Any]:
    """Recorded values the correction does not change (the decision, filled later): kept as they are."""
    hidden = decided_later(project, case.document)
    return {k: v for k, v in case.record.items() if k in hidden}


def _data_cells(project: Project, document: Document, register_id: str, record: Mapping[str, Any]) -> Any:
    """The register cells that come from the case's data: every column of one of the document's input fields
    (a value removed is cleared); the register's own columns (status, decision, dates) are left alone."""
    from ..registers.rows import cells_for

    inputs = {f.id for f in document.input_fields()}
    columns: list[RegisterColumn] = [
        c for c in project.declared_columns(register_id) if c.field is not None and c.id in inputs
    ]
    return cells_for(project, register_id, {c.id: record.get(c.id) for c in columns})


def _document_files(project: Project, document: Document) -> set[str]:
    ids = [document.id, *document.issue_with]
    return {f"{i}{suffix}" for i in ids for suffix in (".pdf", ".docx")} | {RECORD_FILE}


def _next_version(folder: Path) -> int:
    numbers = [int(p.name[1:]) for p in folder.iterdir() if p.is_dir() and p.name[:1] == "v" and p.name[1:].isdigit()]
    return max(numbers, default=0) + 1


def _link_previous(folder: Path, stage: Path, version: int, replaced: set[str]) -> list[str]:
    """Fill ``stage`` with the case as it is, by hard links (no copy, nothing of the old folder changes): the
    files a correction replaces go into ``v{version}/``, everything else stays where it is."""
    kept = stage / f"v{version}"
    kept.mkdir()
    moved: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.name == HISTORY_FILE:
            continue  # written afresh: a hard link would change the old folder's copy too
        if entry.is_symlink():
            continue
        if entry.is_dir():
            shutil.copytree(entry, stage / entry.name, copy_function=os.link)
        elif entry.name in replaced:
            os.link(entry, kept / entry.name)
            moved.append(entry.name)
        else:
            os.link(entry, stage / entry.name)
    return moved


def _write_history(folder: Path, events: list[HistoryEvent]) -> None:
    data = json.dumps([asdict(e) for e in events], ensure_ascii=False, indent=1) + "\n"
    atomic_write_bytes(folder / HISTORY_FILE, data.encode("utf-8"))


def _carry_late_files(old: Path, folder: Path) -> None:
    """A file put into the old folder while the correction was rendered (a decision letter's copy): keep it."""
    for entry in old.iterdir():
        target = folder / entry.name
        if entry.is_file() and not target.exists():
            os.replace(entry, target)


@contextlib.contextmanager
def _case_lock(cases: Path, reference: str) -> Iterator[None]:
    """One amendment of a case at a time (two clerks correcting the same typo get v1 and v2, not a clash)."""
    with open(cases / f".{reference}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------------- void, status
def void_case(
    project: Project,
    out_dir: Path,
    reference: str,
    reason: str,
    *,
    by: str,
    today: date | None = None,
    token: str = "",
) -> AmendResult:
    """Void the case: its register row becomes «ملغى», its folder records why; nothing is printed, and its
    reference is never given again. A case whose decision letter was sent cannot be voided. ``token``: the same
    form sent twice voids once (``AmendResult.repeated``)."""
    today = today or current_day()
    if not reason.strip():
        raise CaseStateError(MSG_REASON)
    case = open_case(project, out_dir, reference)
    if token and any(e.token == token for e in case.history):  # the same form again: told what the first did
        return _repeated(project, out_dir, case)
    if case.voided:
        raise CaseStateError(MSG_VOIDED)
    if case.answered:
        raise CaseStateError(MSG_VOID_ANSWERED)
    event = HistoryEvent("void", now_utc(), today.isoformat(), by, reason.strip(), status=VOID, token=token)
    return _change_status(project, out_dir, case, VOID, event, "#void", "case_void")


def settable_statuses(project: Project, register_id: str) -> list[tuple[str, str]]:
    """The statuses an archivist sets by hand: the policy's list, less those the workflow sets itself (the reply
    sent, the void) — «قيد الدراسة», «بانتظار استكمال البيانات», «محال» …"""
    register = project.registers[register_id]
    column = next((c for c in project.register_columns(register_id) if c.id == "status" and c.list), None)
    if column is None or column.list is None:
        return []
    automatic = {VOID, register.answered.status if register.answered else None}
    return [(i.id, i.label) for i in project.policy.lists[column.list].items if i.id not in automatic]


def set_status(
    project: Project,
    out_dir: Path,
    reference: str,
    status: str,
    note: str = "",
    *,
    by: str,
    today: date | None = None,
    token: str = "",
) -> AmendResult:
    """Set the request's status (one of :func:`settable_statuses`) with a note, through the journal. ``token``: the
    same form sent twice sets it once."""
    today = today or current_day()
    case = open_case(project, out_dir, reference)
    if token and any(e.token == token for e in case.history):
        return _repeated(project, out_dir, case)
    if case.voided:
        raise CaseStateError(MSG_VOIDED)
    register_id = case.document.register_id
    allowed = dict(settable_statuses(project, register_id)) if register_id else {}
    if status not in allowed:
        raise CaseStateError(MSG_STATUS_UNKNOWN.format("، ".join(allowed.values())))
    event = HistoryEvent("status", now_utc(), today.isoformat(), by, note.strip(), status=status, token=token)
    return _change_status(project, out_dir, case, status, event, "#status", "case_status")


def _repeated(project: Project, out_dir: Path, case: IssuedCase) -> AmendResult:
    """A status or a void whose form was sent before: nothing is done again; where its row stands is said."""
    pending, waiting = _sync(project, out_dir, case.document, case.reference, OfficeDB(out_dir))
    return AmendResult(case.reference, None, pending, waiting, repeated=True)


def _change_status(
    project: Project, out_dir: Path, case: IssuedCase, status: str, event: HistoryEvent, key: str, action: str
) -> AmendResult:
    from ..registers.rows import cells_for

    register_id = case.document.register_id
    if register_id is None or case.status_column is None:
        raise CaseStateError(MSG_NO_ROW)
    column = next(c for c in project.register_columns(register_id) if c.id == case.status_column)
    if column.list is None or status not in project.policy.lists[column.list].labels():
        raise CaseStateError(MSG_NO_VOID_STATUS)
    cells = cells_for(project, register_id, {case.status_column: status})
    db = OfficeDB(out_dir)
    with _case_lock(case.folder.parent, case.reference):
        history = read_history(case.folder)  # as it is now, under the lock
        if event.token and any(e.token == event.token for e in history):  # the same form sent again
            return _repeated(project, out_dir, case)
        if any(e.kind == "void" for e in history):  # voided while this one waited for its turn
            raise CaseStateError(MSG_VOIDED)
        with db.write() as conn:  # the register first: a void the folder records is never missing from the row
            journal.add(conn, register_id, "update", case.reference + key, cells, target=case.reference, state="ready")
        _write_history(case.folder, [*history, event])
    details = project.policy.lists[column.list].labels()[status] + (f": {event.reason}" if event.reason else "")
    _audit(db, event.by, action, case.reference, details)
    pending, waiting = _sync(project, out_dir, case.document, case.reference, db)
    return AmendResult(case.reference, None, pending, waiting)


def _audit(db: OfficeDB, by: str, action: str, reference: str, details: str) -> None:
    try:
        record_event(db, by, action, reference, details)
    except Exception:  # the case folder's history holds it too; a trail that cannot be written undoes nothing
        log.exception("could not record %s %s in the audit trail", action, reference)


def _sync(project: Project, out_dir: Path, document: Document, reference: str, db: OfficeDB) -> tuple[bool, str]:
    if document.register_id is None:
        return False, ""
    sync = apply_pending(project, out_dir, registers=[document.register_id], db=db)
    waiting = next((w.reason for w in sync.waiting if w.register_id == document.register_id and reference in w.key), "")
    return bool(waiting), waiting
