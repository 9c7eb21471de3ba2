"""`wathiqa merge DOC_ID --data FILE`: a batch of letters, validated first, printed in one go.

Every record is validated before anything is written. By default one invalid row stops the batch (exit 2, a
report of every invalid row with its row number, field and Arabic message); with ``--skip-invalid`` the valid
rows are generated and the report is written beside them. The output is one print-ready PDF with every
letter in order (both cores), one DOCX per record and a report, in ``batches/DOC_ID-DATE-N/``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from ..config.model import Document
from ..config.project import Project
from ..content.context import DocumentView, build_view
from ..content.records import BatchRow, FieldIssue, check_record, read_batch
from ..content.text import today as issue_day
from ..content.validate import FieldError, check_text
from ..errors import DataError, Problem
from .folders import ensure_writable_dir, staged_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InvalidRow:
    number: int
    issues: list[FieldIssue]


@dataclass
class MergeSummary:
    """What a merge did, for the terminal and for report.txt."""

    doc_id: str
    folder: Path | None
    generated: int = 0
    invalid: list[InvalidRow] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    source: str = ""

    def text(self) -> str:
        lines = [
            f"المستند: {self.doc_id}",
            f"الملف: {self.source}",
            f"عدد الخطابات المولدة: {self.generated}",
            f"عدد الصفوف غير الصالحة: {len(self.invalid)}",
        ]
        if self.folder is not None:
            lines.append(f"المجلد: {self.folder}")
        for row in self.invalid:
            for issue in row.issues:
                lines.append(f"  الصف {row.number}: {issue}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Item:
    number: int
    record: dict[str, Any]
    reference: str | None


def _reference_keys(project: Project) -> set[str]:
    keys = {"reference", project.policy.labels.reference}
    for register_id in project.registers:
        keys |= {c.label for c in project.register_columns(register_id) if c.type == "reference"}
    return keys


def _validate_rows(
    project: Project, document: Document, rows: Sequence[BatchRow]
) -> tuple[list[_Item], list[InvalidRow]]:
    keys = _reference_keys(project)
    reference_field = next((f for f in document.data_fields() if f.auto == "reference"), None)
    items: list[_Item] = []
    invalid: list[InvalidRow] = []
    for row in rows:
        record, issues = check_record(document, project.policy, row.values, ignore_unknown=True)
        reference = None
        given = next((row.values[k] for k in keys if row.values.get(k) not in (None, "")), None)
        if given is not None:
            try:
                reference = check_text(given, max_length=60)
            except FieldError as err:
                issues.append(FieldIssue("reference", project.policy.labels.reference, err.message_ar))
        elif reference_field is not None and record.get(reference_field.id):
            reference = str(record[reference_field.id])
        if issues:
            invalid.append(InvalidRow(row.number, issues))
        else:
            items.append(_Item(row.number, record, reference))
    return items, invalid


def batch_folder(out_dir: Path, doc_id: str, today: date) -> Path:
    """The next free ``batches/DOC_ID-YYYYMMDD-N`` folder (not created)."""
    batches = ensure_writable_dir(out_dir / "batches")
    stem = f"{doc_id}-{today:%Y%m%d}"
    n = 1
    while (batches / f"{stem}-{n}").exists():
        n += 1
    return batches / f"{stem}-{n}"


def merge_batch(
    project: Project,
    doc_id: str,
    data_path: Path,
    out_dir: Path,
    *,
    skip_invalid: bool = False,
    err: TextIO | None = None,
    today: date | None = None,
) -> MergeSummary:
    """Validate every record of the batch file, then write the batch folder; see the module docstring."""
    document = project.document(doc_id)
    today = today or issue_day()
    rows = list(read_batch(data_path))
    if not rows:
        raise DataError("", [Problem(str(data_path), None, None, "", "الملف لا يحتوي على أي سجل")])
    items, invalid = _validate_rows(project, document, rows)
    summary = MergeSummary(doc_id, None, invalid=invalid, source=str(data_path))
    if invalid and not skip_invalid:
        problems = [
            Problem(str(data_path), row.number, None, issue.field_id, f"الصف {row.number}: {issue}")
            for row in invalid
            for issue in row.issues
        ]
        raise DataError(f"{len(invalid)} من {len(rows)} صفوف غير صالحة، ولم يُكتب أي ملف:", problems)
    if not items:
        raise DataError("لا يوجد أي صف صالح، ولم يُكتب أي ملف", [])

    from ..render.docx import DocxRenderer
    from ..render.pdf import PdfRenderer

    pdf = PdfRenderer(project)
    docx = DocxRenderer(project)
    final = batch_folder(out_dir, doc_id, today)
    progress = _Progress(err or sys.stderr, total=len(items) * 2)
    with progress, staged_dir(final, replace=False) as stage:
        docx_dir = stage / "docx"
        docx_dir.mkdir()
        width = len(str(len(items)))

        def views() -> Iterator[DocumentView]:
            for item in items:
                yield build_view(document, project.policy, item.record, reference=item.reference, issue_date=today)

        for i, item in enumerate(items, 1):
            view = build_view(document, project.policy, item.record, reference=item.reference, issue_date=today)
            name = f"{i:0{width}d}" + (f"-{item.reference}" if item.reference else "")
            (docx_dir / f"{name}.docx").write_bytes(docx.render(view))
            progress.advance()
        with (stage / "print.pdf").open("wb") as handle:  # streamed: memory does not grow with the batch
            pdf.write_batch(views(), handle, progress=lambda done: progress.set(len(items) + done))
        summary.folder = final
        summary.generated = len(items)
        summary.references = [item.reference or "" for item in items]
        (stage / "report.txt").write_text(summary.text() + "\n", encoding="utf-8")
    log.info("merged %d records into %s", len(items), final)
    return summary


class _Progress:
    """A progress bar on a terminal (rich); silent when the output is not a terminal."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.total = total
        self._bar: Any = None
        self._task: Any = None
        if stream.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(file=stream), transient=True)
            self._task = self._bar.add_task("…", total=total)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def set(self, completed: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=completed)
