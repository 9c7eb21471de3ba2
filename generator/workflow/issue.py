"""`wathiqa issue DOC_ID --data FILE`: one case, all or nothing.

Validate the record; under the register's lock allocate the next reference; render every document of the
case (the form itself and the documents issued with it: declaration, acknowledgment) into a staging folder;
append the register row; commit the register; then move the folder into ``cases/REFERENCE/``. If any step
fails, the register is not changed (so no reference is consumed) and the staging folder is removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..config.model import Document
from ..config.project import Project
from ..content.context import build_view
from ..content.records import load_record_file, record_to_json, validate_record
from ..content.text import to_hijri
from ..content.text import today as issue_day
from ..errors import OutputError, UsageError
from .folders import ensure_writable_dir

log = logging.getLogger(__name__)


LOCK_WAIT = 120.0
"""Seconds to wait for another clerk's issue to finish: documents render under the lock (all or nothing)."""


@dataclass(frozen=True)
class IssueResult:
    reference: str
    folder: Path
    files: list[Path]


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
    return issue_record(project, document, record, out_dir, today=today or issue_day())


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

    ensure_writable_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(build_register(project, register_id))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path


def reference_label(project: Project, register_id: str) -> str:
    return next(c.label for c in project.register_columns(register_id) if c.type == "reference")


def issue_record(
    project: Project, document: Document, record: Mapping[str, Any], out_dir: Path, *, today: date
) -> IssueResult:
    """Issue one validated record: the reference, the case folder and the register row, all or nothing."""
    from ..registers import open_register
    from ..registers.rows import row_for

    assert document.numbering is not None and document.register_id is not None
    policy = project.policy
    ensure_writable_dir(out_dir)
    path = ensure_register(project, document.register_id, out_dir)
    cases = ensure_writable_dir(out_dir / "cases")
    scheme = policy.numbering[document.numbering]
    prefix = scheme.prefix_for(to_hijri(today)[0], today.year)
    renderers = CaseRenderers(project)
    stage = Path(tempfile.mkdtemp(prefix=".case-", suffix=".stage", dir=cases))
    try:
        with open_register(path, backups=policy.settings.register_backups, timeout=LOCK_WAIT) as tx:
            reference = scheme.format(prefix, tx.next_sequence(reference_label(project, document.register_id), prefix))
            final = cases / reference
            if final.exists():
                raise OutputError(f"{final}: a case folder with this reference already exists; nothing was written")
            files = renderers.render_case(document, record, reference, today, stage)
            extra = dict(project.registers[document.register_id].initial)
            tx.append(
                row_for(project, document.register_id, record, reference=reference, issue_date=today, extra=extra)
            )
        os.replace(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    log.info("issued %s into %s", reference, final)
    return IssueResult(reference, final, [final / f.name for f in files])


class CaseRenderers:
    """The PDF and DOCX renderers, made once per run (templates and fonts are loaded once)."""

    def __init__(self, project: Project) -> None:
        from ..render.docx import DocxRenderer
        from ..render.pdf import PdfRenderer

        self.project = project
        self.pdf = PdfRenderer(project)
        self.docx = DocxRenderer(project)

    def render_case(
        self, document: Document, record: Mapping[str, Any], reference: str, today: date, folder: Path
    ) -> list[Path]:
        """Render the document and those issued with it into ``folder``; also keep the validated record."""
        files: list[Path] = []
        for doc in [document, *(self.project.documents[i] for i in document.issue_with)]:
            view = build_view(doc, self.project.policy, record, reference=reference, issue_date=today)
            for suffix, data in ((".pdf", self.pdf.render(view)), (".docx", self.docx.render(view))):
                target = folder / f"{doc.id}{suffix}"
                target.write_bytes(data)
                files.append(target)
        data_file = folder / "record.json"
        data_file.write_text(record_to_json(record) + "\n", encoding="utf-8")
        files.append(data_file)
        return files
