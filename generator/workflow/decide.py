"""`wathiqa decide`: the acceptance and apology letters for requests the archivists have decided.

The archivist types the decision (and, for an apology, its reason) into the requests register in Excel.
`decide` finds the rows with a decision and no letter yet, validates what the letter needs, allocates each
letter's reference in the outgoing register, renders the letters (one print PDF, one DOCX each, and a copy in
the case folder), records them in the outgoing register and marks the requests answered.

It never sends twice: a request already marked answered is skipped, and a request whose letter is already in
the outgoing register (a run stopped between the two registers) is only marked, with that letter's reference.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..config.model import Document
from ..config.project import Project
from ..content.context import build_view
from ..content.records import check_record
from ..content.text import to_hijri
from ..content.text import today as issue_day
from ..errors import DataError, OutputError, Problem
from .issue import CaseRenderers, ensure_register, reference_label, register_path
from .merge import batch_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Letter:
    row_number: int
    request_reference: str
    document: Document
    record: dict[str, Any]


def _letter_documents(project: Project) -> dict[tuple[str, str], Document]:
    """(register, decision value) -> the letter that answers it."""
    return {(d.answers.register_id, d.answers.value): d for d in project.documents.values() if d.answers is not None}


def decide(project: Project, out_dir: Path, *, today: date | None = None) -> str:
    """Write the pending decision letters; return a summary for the terminal."""
    from ..registers import open_register, read_register
    from ..registers.rows import cells_for, check_row

    today = today or issue_day()
    letters_by_decision = _letter_documents(project)
    registers = sorted({register_id for register_id, _ in letters_by_decision})
    lines: list[str] = []
    for register_id in registers:
        source = register_path(out_dir, register_id)
        if not source.exists():
            raise OutputError(f"{source}: the register does not exist yet; run `wathiqa build` or issue a case first")
        register = project.registers[register_id]
        answered = register.answered
        assert answered is not None  # checked by load_project
        letter_docs = {value: doc for (reg, value), doc in letters_by_decision.items() if reg == register_id}
        outgoing_ids = {doc.register_id for doc in letter_docs.values() if doc.register_id}
        if len(outgoing_ids) != 1:
            raise OutputError(f"the letters answering {register_id} must share one outgoing register")
        outgoing_id = outgoing_ids.pop()
        assert outgoing_id is not None
        outgoing_path = register_path(out_dir, outgoing_id)
        backups = project.policy.settings.register_backups
        columns = {doc.answers.column for doc in letter_docs.values() if doc.answers is not None}
        if len(columns) != 1:
            raise OutputError(f"the letters answering {register_id} must read one decision column")
        decision_column = columns.pop()
        folder: tuple[Path, Path] | None = None
        written: list[tuple[_Letter, str]] = []
        try:
            with open_register(source, backups=backups) as requests:
                # decide holds the requests lock, so no other decide writes the outgoing register meanwhile
                sent_rows = read_register(outgoing_path)[1] if outgoing_path.exists() else []
                already = _letters_already_sent(project, outgoing_id, sent_rows)
                pending: list[_Letter] = []
                marks: list[tuple[int, str]] = []
                problems: list[Problem] = []
                for row in requests.rows():
                    values, issues = check_row(project, register_id, row.values)
                    reference = str(values.get("reference") or "")
                    decision = values.get(decision_column)
                    where = f"{source}:{row.number}"
                    unreadable = [i for i in issues if i.field_id == decision_column]
                    if unreadable:  # «مقبول» typed for «قبول»: say so rather than skip the row in silence
                        problems += [Problem(where, row.number, None, i.field_id, str(i)) for i in unreadable]
                        continue
                    if not reference or decision not in letter_docs or values.get(answered.letter_column):
                        continue
                    document = letter_docs[decision]
                    if issues:
                        problems += [Problem(where, row.number, None, i.field_id, str(i)) for i in issues]
                        continue
                    sent = already.get((reference, document.title))
                    if sent:
                        marks.append((row.number, sent))
                        continue
                    record, letter_issues = check_record(document, project.policy, _letter_input(document, values))
                    if letter_issues:
                        problems += [Problem(where, row.number, None, i.field_id, str(i)) for i in letter_issues]
                        continue
                    pending.append(_Letter(row.number, reference, document, record))
                if problems:
                    raise DataError("صفوف في السجل لا تكفي لكتابة خطاب القرار، ولم يُكتب أي خطاب:", problems)
                if not pending and not marks:
                    lines.append("لا توجد قرارات جديدة تحتاج إلى خطابات")
                    continue
                if pending:
                    ensure_register(project, outgoing_id, out_dir)
                    with open_register(outgoing_path, backups=backups) as out:
                        folder, written = _write_letters(project, out, outgoing_id, pending, out_dir, today)
                for letter, letter_reference in written:
                    marks.append((letter.row_number, letter_reference))
                for row_number, letter_reference in marks:
                    update: dict[str, Any] = {answered.letter_column: letter_reference, answered.date_column: today}
                    if answered.status_column and answered.status:
                        update[answered.status_column] = answered.status
                    requests.update(row_number, cells_for(project, register_id, update))
        except BaseException:
            if folder is not None:
                shutil.rmtree(folder[0], ignore_errors=True)
            raise
        lines.append(f"{register_id}: {len(written)} خطاب، و{len(marks) - len(written)} طلب عُلّم دون خطاب جديد")
        if folder is not None:
            _move_into_place(*folder, out_dir)
            lines.append(f"المجلد: {folder[1]}")
    return "\n".join(lines)


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


def _letters_already_sent(project: Project, outgoing_id: str, rows: list[Any]) -> dict[tuple[str, str], str]:
    """(request reference, letter title) -> letter reference, from the outgoing register."""
    from ..registers.rows import check_row

    sent: dict[tuple[str, str], str] = {}
    for row in rows:
        values, _ = check_row(project, outgoing_id, row.values)
        if values.get("request_reference") and values.get("reference") and values.get("document"):
            sent[(str(values["request_reference"]), str(values["document"]))] = str(values["reference"])
    return sent


def _write_letters(
    project: Project, out: Any, outgoing_id: str, pending: list[_Letter], out_dir: Path, today: date
) -> tuple[tuple[Path, Path] | None, list[tuple[_Letter, str]]]:
    """Allocate references, render into a staging folder, append outgoing rows; the caller commits."""
    from ..registers.rows import row_for

    if not pending:
        return None, []
    policy = project.policy
    document0 = pending[0].document
    assert document0.numbering is not None
    scheme = policy.numbering[document0.numbering]
    prefix = scheme.prefix_for(to_hijri(today)[0], today.year)
    label = reference_label(project, outgoing_id)
    first = out.next_sequence(label, prefix)
    final = batch_folder(out_dir, "decisions", today)
    batches = final.parent
    stage = Path(tempfile.mkdtemp(prefix=".decisions-", suffix=".stage", dir=batches))
    renderers = CaseRenderers(project)
    written: list[tuple[_Letter, str]] = []
    try:
        (stage / "docx").mkdir()
        views = []
        for i, letter in enumerate(pending):
            reference = scheme.format(prefix, first + i)
            view = build_view(letter.document, policy, letter.record, reference=reference, issue_date=today)
            views.append(view)
            (stage / "docx" / f"{reference}-{letter.document.id}.docx").write_bytes(renderers.docx.render(view))
            if (out_dir / "cases" / letter.request_reference).is_dir():  # a copy for the case file, moved in later
                copy = stage / _CASE_COPIES / letter.request_reference / f"{reference}-{letter.document.id}.pdf"
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(renderers.pdf.render(view))
            signatory = policy.signatories.get(letter.document.signatory or "")
            extra = {
                "document": letter.document.title,
                "request_reference": letter.request_reference,
                "addressee": letter.record.get(letter.document.addressee or "", ""),
                "signatory": signatory.title if signatory else "",
            }
            out.append(row_for(project, outgoing_id, {}, reference=reference, issue_date=today, extra=extra))
            written.append((letter, reference))
        (stage / "print.pdf").write_bytes(renderers.pdf.render_batch(views))
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return (stage, final), written


_CASE_COPIES = "case-copies"


def _move_into_place(stage: Path, final: Path, out_dir: Path) -> None:
    """After both registers are committed: the case copies into their case folders, the batch into place."""
    copies = stage / _CASE_COPIES
    if copies.is_dir():
        for pdf in sorted(copies.glob("*/*.pdf")):
            os.replace(pdf, out_dir / "cases" / pdf.parent.name / pdf.name)
        shutil.rmtree(copies)
    os.replace(stage, final)
