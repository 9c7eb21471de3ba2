"""`wathiqa decide`: the acceptance and apology letters for requests the archivists have decided.

The archivist types the decision (and, for an apology, its reason) into the requests register, in Excel or in
the office app. `decide` finds the rows with a decision and no letter yet, validates what each letter needs
(one invalid row stops the run, with nothing written), and then, as :mod:`generator.workflow.issue` does:

1. in one office-database transaction gives the letters their references and journals both register changes
   (the letter's row in the outgoing register, the request's «answered» cells) as ``preparing``;
2. renders the letters into a staging folder (one print PDF, one DOCX each, a copy for each case folder);
3. moves the batch into its reserved folder ``batches/decisions-DATE-N``, the copies into the case folders, and
   marks the journal entries ``ready``;
4. applies them to the registers; a register open in Excel keeps its entries waiting for the next run.

A letter is recorded only once its file exists, and a request is answered once: its answer is keyed by the
request's reference (never by a letter's title, which the administrator may reword), both in the journal and,
should the office database be lost, in the outgoing register's request column. Two runs at once (two archivists,
a double click in the office app) take turns on :func:`answering_lock` from reading the requests to recording the
answers, and the transaction of step 1 checks again that no answer was journaled for a request since it was read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..config.model import Document
from ..config.project import Project
from ..content.context import build_view
from ..content.records import check_record
from ..content.text import today as current_day
from ..errors import DataError, OutputError, Problem
from ..faults import fault_point
from ..office import journal
from ..office.db import OfficeDB
from ..office.sequences import give_back
from ..registers.lock import LockTimeout, exclusive_lock
from .folders import fsync_dir, move_into_place, release_folder, remove_dead_stages, reserve_folder, stage_dir
from .issue import CaseRenderers
from .references import allocate_references, prefix_of
from .sync import Waiting, apply_pending, ensure_register, register_path

log = logging.getLogger(__name__)

__all__ = ["DecideResult", "LetterWritten", "answering_lock", "decide"]

LETTERS_FILE = "letters.json"
"""In each decisions batch: which letter answers which request; read back by ``register sync --recover``."""

ANSWER = "#answer"
"""Suffix of the journal key of a request's answer: one answer per request."""

ANSWERING_LOCK_WAIT = 300.0
"""Seconds a run waits for another one writing letters (a few seconds per letter) before giving up."""


@dataclass(frozen=True)
class LetterWritten:
    request_reference: str
    letter_reference: str
    document_id: str
    files: list[Path]


@dataclass
class DecideResult:
    """What a run of decide did, per register it answers."""

    letters: list[LetterWritten] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)
    """Requests marked answered with a letter found already sent (a run cut short before marking them)."""
    in_progress: list[str] = field(default_factory=list)
    """Requests whose answer is already journaled and waits for its register."""
    folders: list[Path] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    registers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Letter:
    request_reference: str
    document: Document
    record: dict[str, Any]


@dataclass(frozen=True)
class _Answering:
    """How one register's rows are answered: which letters, which columns, which outgoing register."""

    register_id: str
    letters: dict[str, Document]
    decision_column: str
    outgoing_id: str
    reference_column: str


def _answerings(project: Project) -> list[_Answering]:
    by_register: dict[str, dict[str, Document]] = {}
    for doc in project.documents.values():
        if doc.answers is not None:
            by_register.setdefault(doc.answers.register_id, {})[doc.answers.value] = doc
    out: list[_Answering] = []
    for register_id in sorted(by_register):
        letters = by_register[register_id]
        outgoing = {d.register_id for d in letters.values()}
        columns = {d.answers.column for d in letters.values() if d.answers is not None}
        if len(outgoing) != 1 or len(columns) != 1 or None in outgoing:
            raise OutputError(f"the letters answering {register_id} must share one outgoing register and column")
        reference_column = next(c.id for c in project.register_columns(register_id) if c.type == "reference")
        out.append(_Answering(register_id, letters, columns.pop(), str(outgoing.pop()), reference_column))
    return out


@contextlib.contextmanager
def answering_lock(out_dir: Path, timeout: float = ANSWERING_LOCK_WAIT) -> Iterator[None]:
    """One process (or office-app thread) at a time reads the decided requests and answers them: two runs at
    once would both read a request as unanswered and both write its letter. Re-entrant within a thread."""
    if not out_dir.is_dir():  # no register to answer yet: the run will say so, and nothing is made here
        yield
        return
    try:
        # the output folder itself is locked (flock, gone with its process): no file is added to it
        with exclusive_lock(out_dir, timeout, on_wait=lambda: fault_point("decide.lock-wait")):
            yield
    except LockTimeout as err:
        raise OutputError(
            "يكتب زميل آخر خطابات القرار الآن، ولم ينتهِ بعد؛ أعد المحاولة بعد قليل\n"
            f"another decide still runs on {out_dir} ({err})"
        ) from err


def decide(
    project: Project, out_dir: Path, *, today: date | None = None, renderers: CaseRenderers | None = None
) -> DecideResult:
    """Write the pending decision letters; see the module docstring."""
    with answering_lock(out_dir):
        return _decide(project, out_dir, today or current_day(), renderers)


def _decide(project: Project, out_dir: Path, today: date, renderers: CaseRenderers | None) -> DecideResult:
    db = OfficeDB(out_dir)
    result = DecideResult()
    result.waiting = apply_pending(project, out_dir, db=db).waiting
    remove_dead_stages(out_dir / "batches")
    for answering in _answerings(project):
        result.registers.append(answering.register_id)
        pending, marks = _collect(project, out_dir, db, answering, result)
        fault_point("decide.collected")
        if marks:
            with db.write() as conn:
                for request_reference, letter_reference in marks:
                    _journal_answer(conn, project, answering, request_reference, letter_reference, today, "ready")
            result.marked += [request for request, _ in marks]
        if pending:
            renderers = renderers or CaseRenderers(project)
            _write_letters(project, out_dir, db, answering, pending, today, renderers, result)
        if marks or pending:
            sync = apply_pending(project, out_dir, registers=[answering.outgoing_id, answering.register_id], db=db)
            result.waiting = [w for w in result.waiting if w.register_id not in sync_ids(answering)] + sync.waiting
    return result


def sync_ids(answering: _Answering) -> set[str]:
    return {answering.outgoing_id, answering.register_id}


def _collect(
    project: Project, out_dir: Path, db: OfficeDB, answering: _Answering, result: DecideResult
) -> tuple[list[_Letter], list[tuple[str, str]]]:
    """The letters to write and the requests to mark with a letter already sent; invalid rows stop the run."""
    from ..registers import read_register
    from ..registers.rows import check_row

    register = project.registers[answering.register_id]
    answered = register.answered
    assert answered is not None  # checked by load_project
    source = register_path(out_dir, answering.register_id)
    if not source.exists():
        raise OutputError(f"{source}: the register does not exist yet; run `wathiqa build` or issue a case first")
    _, rows = read_register(source, sheet=register.sheet)
    journaled = {  # answers written and waiting for the register (an applied one is read from the row itself)
        e.target for e in journal.open_entries(db, answering.register_id) if e.op == "update" and e.key.endswith(ANSWER)
    }
    sent = _letters_already_sent(project, out_dir, answering.outgoing_id)
    pending: list[_Letter] = []
    marks: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for row in rows:
        values, issues = check_row(project, answering.register_id, row.values)
        reference = str(values.get(answering.reference_column) or "").strip()
        if not reference or row.values.get(_label(project, answering.register_id, answered.letter_column)):
            continue  # no reference, or already answered: whatever else the row holds is the archive's
        where = f"{source}:{row.number}"
        unreadable = [i for i in issues if i.field_id == answering.decision_column]
        if unreadable:  # «مقبول» typed for «قبول»: say so rather than skip the row in silence
            problems += [Problem(where, row.number, None, i.field_id, str(i)) for i in unreadable]
            continue
        document = answering.letters.get(str(values.get(answering.decision_column) or ""))
        if document is None or values.get("status") == "void":  # a voided case gets no letter
            continue
        if reference in journaled:
            result.in_progress.append(reference)
            continue
        if reference in sent:
            marks.append((reference, sent[reference]))
            continue
        if issues:
            problems += [Problem(where, row.number, None, i.field_id, str(i)) for i in issues]
            continue
        record, letter_issues = check_record(document, project.policy, _letter_input(document, values))
        if letter_issues:
            problems += [Problem(where, row.number, None, i.field_id, str(i)) for i in letter_issues]
            continue
        pending.append(_Letter(reference, document, record))
    if problems:
        raise DataError("صفوف في السجل لا تكفي لكتابة خطاب القرار، ولم يُكتب أي خطاب:", problems)
    return pending, marks


def _label(project: Project, register_id: str, column_id: str) -> str:
    return next(c.label for c in project.register_columns(register_id) if c.id == column_id)


def _letter_input(document: Document, values: dict[str, Any]) -> dict[str, Any]:
    """The letter's raw record from a register row: its fields by id, or by the column named in ``answers``."""
    assert document.answers is not None
    mapping = document.answers.fields
    out: dict[str, Any] = {}
    for f in document.input_fields():
        value = values.get(mapping.get(f.id, f.id))
        if value not in (None, "", []):
            out[f.id] = value
    return out


def _letters_already_sent(project: Project, out_dir: Path, outgoing_id: str) -> dict[str, str]:
    """Request reference -> letter reference, from the outgoing register and the journal's waiting rows."""
    from ..registers import read_register

    outgoing = project.registers[outgoing_id]
    letters = outgoing.letters
    if letters is None:
        raise OutputError(f"register {outgoing_id} receives decision letters but declares no `letters:` columns")
    columns = {c.id: c.label for c in project.register_columns(outgoing_id)}
    request_label = columns[letters.request_column]
    reference_label = next(c.label for c in project.register_columns(outgoing_id) if c.type == "reference")
    sent: dict[str, str] = {}
    path = register_path(out_dir, outgoing_id)
    rows = read_register(path, sheet=outgoing.sheet)[1] if path.exists() else []
    cells = [row.values for row in rows]
    cells += [e.cells for e in journal.open_entries(OfficeDB(out_dir), outgoing_id) if e.state == "ready"]
    for values in cells:
        request, letter = values.get(request_label), values.get(reference_label)
        if isinstance(request, str) and request.strip() and isinstance(letter, str) and letter.strip():
            sent.setdefault(request.strip(), letter.strip())
    return sent


def _journal_answer(
    conn: Any,
    project: Project,
    answering: _Answering,
    request_reference: str,
    letter_reference: str,
    today: date,
    state: journal.State,
    waits_for: Path | None = None,
) -> int:
    from ..registers.rows import cells_for

    answered = project.registers[answering.register_id].answered
    assert answered is not None
    update: dict[str, Any] = {answered.letter_column: letter_reference, answered.date_column: today}
    if answered.status_column and answered.status:
        update[answered.status_column] = answered.status
    cells = cells_for(project, answering.register_id, update)
    return journal.add(
        conn, answering.register_id, "update", request_reference + ANSWER, cells,
        target=request_reference, waits_for=waits_for, source=letter_reference, state=state,
    )  # fmt: skip


def _outgoing_cells(project: Project, outgoing_id: str, letter: _Letter, reference: str, today: date) -> Any:
    from ..registers.rows import row_for

    letters = project.registers[outgoing_id].letters
    assert letters is not None
    signatory = project.policy.signatories.get(letter.document.signatory or "")
    extra = {letters.request_column: letter.request_reference}
    if letters.document_column:
        extra[letters.document_column] = letter.document.title
    if letters.addressee_column:
        extra[letters.addressee_column] = letter.record.get(letter.document.addressee or "", "")
    if letters.signatory_column:
        extra[letters.signatory_column] = signatory.title if signatory else ""
    return row_for(project, outgoing_id, {}, reference=reference, issue_date=today, extra=extra)


def _unclaimed(
    conn: Any, project: Project, answering: _Answering, pending: list[_Letter], today: date, result: DecideResult
) -> list[_Letter]:
    """The letters still to write, checked again inside the transaction that claims them: a request whose answer
    another run journaled since this one read the registers gets no second letter. An answer still waiting is in
    progress; one applied whose mark was since wiped from the register is marked again with its own letter."""
    keys = [letter.request_reference + ANSWER for letter in pending]
    claimed = {
        key: (state, letter)
        for key, state, letter in conn.execute(
            f"SELECT key, state, source FROM journal WHERE register = ? AND op = 'update' AND state != 'abandoned' "
            f"AND key IN ({', '.join('?' * len(keys))})",
            (answering.register_id, *keys),
        )
    }
    free: list[_Letter] = []
    for letter in pending:
        state, letter_reference = claimed.get(letter.request_reference + ANSWER, ("", ""))
        if not state:
            free.append(letter)
        elif state == "applied":
            _journal_answer(conn, project, answering, letter.request_reference, letter_reference, today, "ready")
            result.marked.append(letter.request_reference)
        else:
            result.in_progress.append(letter.request_reference)
    return free


_CASE_COPIES = "case-copies"


def _write_letters(
    project: Project,
    out_dir: Path,
    db: OfficeDB,
    answering: _Answering,
    pending: list[_Letter],
    today: date,
    renderers: CaseRenderers,
    result: DecideResult,
) -> None:
    outgoing_id = answering.outgoing_id
    scheme_id = pending[0].document.numbering
    assert scheme_id is not None
    ensure_register(project, outgoing_id, out_dir)
    final = reserve_folder(out_dir / "batches", f"decisions-{today:%Y%m%d}")
    ids: list[int] = []
    with db.write() as conn:
        pending = _unclaimed(conn, project, answering, pending, today, result)
        if not pending:
            final.rmdir()
            release_folder(final)
            return
        references = allocate_references(conn, project, out_dir, scheme_id, today, len(pending))
        for letter, reference in zip(pending, references, strict=True):
            waits_for = final / "docx" / f"{reference}-{letter.document.id}.docx"
            cells = _outgoing_cells(project, outgoing_id, letter, reference, today)
            request = letter.request_reference
            ids.append(journal.add(conn, outgoing_id, "append", reference, cells, waits_for=waits_for, source=request))
            ids.append(_journal_answer(conn, project, answering, request, reference, today, "preparing", waits_for))
    fault_point("decide.allocated")
    stage = stage_dir(final.parent, final.name)
    try:
        (stage / "docx").mkdir()
        views = []
        for letter, reference in zip(pending, references, strict=True):
            view = build_view(letter.document, project.policy, letter.record, reference=reference, issue_date=today)
            views.append(view)
            (stage / "docx" / f"{reference}-{letter.document.id}.docx").write_bytes(renderers.docx.render(view))
            if (out_dir / "cases" / letter.request_reference).is_dir():  # a copy for the case file, moved in later
                copy = stage / _CASE_COPIES / letter.request_reference / f"{reference}-{letter.document.id}.pdf"
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(renderers.pdf.render(view))
        (stage / "print.pdf").write_bytes(renderers.pdf.render_batch(views))
        manifest = [
            {"letter": reference, "request": letter.request_reference, "document": letter.document.id,
             "register": answering.register_id, "sent_on": today.isoformat()}
            for letter, reference in zip(pending, references, strict=True)
        ]  # fmt: skip
        (stage / LETTERS_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        fault_point("decide.rendered")
        move_into_place(stage, final)  # the reserved folder is empty: rename replaces it
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        with db.write() as conn:
            first = int(references[0].rpartition("-")[2])
            give_back(conn, scheme_id, prefix_of(project, scheme_id, today), first, len(references))
            journal.mark(conn, ids, "abandoned", "تعذر إصدار الخطابات")
        final.rmdir()
        raise
    finally:
        release_folder(final)
    fault_point("decide.moved")
    _move_case_copies(final, out_dir)
    with db.write() as conn:
        journal.mark(conn, ids, "ready")
    fault_point("decide.ready")
    result.folders.append(final)
    for letter, reference in zip(pending, references, strict=True):
        files = [final / "docx" / f"{reference}-{letter.document.id}.docx"]
        copy = out_dir / "cases" / letter.request_reference / f"{reference}-{letter.document.id}.pdf"
        if copy.exists():
            files.append(copy)
        result.letters.append(LetterWritten(letter.request_reference, reference, letter.document.id, files))
    log.info("wrote %d decision letters into %s", len(pending), final)


def _move_case_copies(final: Path, out_dir: Path) -> None:
    """The copies for the case folders: each named by its own letter reference, so nothing is overwritten."""
    copies = final / _CASE_COPIES
    if copies.is_dir():
        for pdf in sorted(copies.glob("*/*.pdf")):
            case = out_dir / "cases" / pdf.parent.name
            os.replace(pdf, case / pdf.name)
            fsync_dir(case)
        shutil.rmtree(copies)
