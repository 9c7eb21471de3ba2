"""Issuing one case: validate, give the reference, render, put the folder in place, record the row.

The steps, each safe to be cut short by a crash (the next run of any command completes or settles it):

1. the record is validated and its register row computed: invalid data stops here, with nothing written;
2. in one office-database transaction the reference is given and the row is journaled (``preparing``);
3. every document of the case is rendered into a staging folder, with no lock held;
4. the folder is moved into ``cases/REFERENCE/`` (every file fsynced first, the parent after) and the journal
   entry becomes ``ready``;
5. the row is appended to the register under its lock (milliseconds). If the register is open in Excel, the
   row waits in the journal and the clerk is told it will be added when the file is closed.

A failure while rendering gives the reference back when nobody took a later one, and leaves no folder.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.model import Document
from ..config.project import Project
from ..content.context import build_view
from ..content.records import record_to_json, validate_record
from ..content.text import today as current_day
from ..errors import OutputError, UsageError
from ..faults import fault_point
from ..office import journal
from ..office.db import OfficeDB
from ..office.sequences import give_back
from ..sources import load_record_file
from .folders import ensure_writable_dir, move_into_place, remove_dead_stages, stage_dir
from .references import allocate_references, prefix_of
from .sync import apply_pending, ensure_register

if TYPE_CHECKING:
    from ..render.docx import DocxRenderer
    from ..render.pdf import PdfRenderer

log = logging.getLogger(__name__)

__all__ = ["CaseRenderers", "IssueResult", "issuable", "issue_case", "issue_record"]


@dataclass(frozen=True)
class IssueResult:
    """What issuing a case did."""

    reference: str
    folder: Path
    files: list[Path]
    pending: bool
    """True when the register could not be written (open in Excel): the row waits in the journal."""
    waiting_reason: str = ""


def issuable(project: Project, doc_id: str) -> Document:
    """The document, if it can be issued on its own (it has a numbering scheme and a register)."""
    document = project.document(doc_id)
    if document.numbering is None or document.register_id is None:
        parents = [d.id for d in project.documents.values() if doc_id in d.issue_with]
        hint = f"; it is issued with {', '.join(parents)}" if parents else ""
        raise UsageError(f"{doc_id} has no numbering scheme and register, so it is not issued on its own{hint}")
    return document


def issue_case(
    project: Project, doc_id: str, data_path: Path, out_dir: Path, *, today: date | None = None
) -> IssueResult:
    """Validate the data file and issue the case; see the module docstring."""
    document = issuable(project, doc_id)
    loaded = load_record_file(data_path)
    record = validate_record(document, project.policy, loaded.data, source=loaded)
    return issue_record(project, document, record, out_dir, today=today or current_day(project.policy))


def issue_record(
    project: Project,
    document: Document,
    record: Mapping[str, Any],
    out_dir: Path,
    *,
    today: date,
    renderers: CaseRenderers | None = None,
) -> IssueResult:
    """Issue one validated record; see the module docstring."""
    from ..registers.rows import row_for

    assert document.numbering is not None and document.register_id is not None
    register_id = document.register_id
    ensure_writable_dir(out_dir)
    cases = ensure_writable_dir(out_dir / "cases")
    ensure_register(project, register_id, out_dir)
    remove_dead_stages(cases)
    extra = dict(project.registers[register_id].initial)
    placeholder = project.policy.numbering[document.numbering].format(prefix_of(project, document.numbering, today), 0)
    cells = row_for(project, register_id, record, reference=placeholder, issue_date=today, extra=extra)
    renderers = renderers or CaseRenderers(project)
    db = OfficeDB(out_dir)

    with db.write() as conn:
        (reference,) = allocate_references(conn, project, out_dir, document.numbering, today)
        final = cases / reference
        cells = row_for(project, register_id, record, reference=reference, issue_date=today, extra=extra)
        entry_id = journal.add(conn, register_id, "append", reference, cells, waits_for=final, source=document.id)
    stage: Path | None = None
    try:  # from here on, a failure (a Ctrl-C too) gives the reference back
        fault_point("issue.allocated")
        stage = stage_dir(cases, reference)
        if final.exists():
            raise OutputError(f"{final}: a case folder with this reference already exists; nothing was written")
        files = renderers.render_case(document, record, reference, today, stage)
        write_case_file(stage, document.id, reference, today)
        fault_point("issue.rendered")
        move_into_place(stage, final)  # every file on disk before the folder's name is
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        with db.write() as conn:
            prefix = prefix_of(project, document.numbering, today)
            given_back = give_back(conn, document.numbering, prefix, _seq(reference))
            journal.mark(conn, [entry_id], "abandoned", "تعذر إصدار المستندات")  # the next case may get its key
        log.info("issue of %s failed; reference %s", reference, "given back" if given_back else "left unused")
        raise
    fault_point("issue.moved")
    with db.write() as conn:
        if journal.mark(conn, [entry_id], "ready"):
            raise journal.JournalConflict(f"journal: the row of {reference} was settled by another run")
    fault_point("issue.ready")
    sync = apply_pending(project, out_dir, registers=[register_id], db=db)
    waiting = next((w.reason for w in sync.waiting if w.register_id == register_id and w.key == reference), "")
    log.info("issued %s into %s%s", reference, final, " (register row pending)" if waiting else "")
    return IssueResult(reference, final, [final / f.name for f in files], bool(waiting), waiting)


CASE_FILE = "case.json"
"""What the case folder was issued as: with record.json it is enough to queue the register row again after the
office database was lost (``wathiqa register sync --recover``)."""


def write_case_file(folder: Path, doc_id: str, reference: str, day: date) -> None:
    data = {"document": doc_id, "reference": reference, "issued_on": day.isoformat()}
    (folder / CASE_FILE).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")


def _seq(reference: str) -> int:
    digits = reference.rpartition("-")[2]
    return int(digits) if digits.isdigit() else -1


class CaseRenderers:
    """The PDF and DOCX renderers, made once (templates and fonts are loaded once) and reused."""

    def __init__(self, project: Project) -> None:
        from ..render.docx import DocxRenderer
        from ..render.pdf import PdfRenderer

        self.project = project
        self.pdf: PdfRenderer = PdfRenderer(project)
        self.docx: DocxRenderer = DocxRenderer(project)

    def render_case(
        self,
        document: Document,
        record: Mapping[str, Any],
        reference: str,
        today: date,
        folder: Path,
        *,
        corrected_on: date | None = None,
    ) -> list[Path]:
        """Render the document and those issued with it into ``folder``; also keep the validated record.
        ``corrected_on``: the documents are a corrected copy, marked «نسخة مصححة» with that day."""
        files: list[Path] = []
        for doc in [document, *(self.project.documents[i] for i in document.issue_with)]:
            view = build_view(doc, self.project.policy, record, reference=reference, issue_date=today)
            if corrected_on is not None:
                view.extras["corrected_on"] = corrected_on
            for suffix, data in ((".pdf", self.pdf.render(view)), (".docx", self.docx.render(view))):
                target = folder / f"{doc.id}{suffix}"
                target.write_bytes(data)
                files.append(target)
        data_file = folder / "record.json"
        data_file.write_text(record_to_json(record) + "\n", encoding="utf-8")
        files.append(data_file)
        return files
