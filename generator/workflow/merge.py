"""`wathiqa merge DOC_ID --data FILE`: a batch of letters, validated first, printed in one go.

Every record is validated before anything is written. By default one invalid row stops the batch (exit 2, a
report of every invalid row with its row number, field and Arabic message); with ``--skip-invalid`` the valid
rows are generated and the report is written beside them. The output is one print-ready PDF with every
letter in order (both cores), one DOCX per record and a report, in ``batches/DOC_ID-DATE-N/``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..config.model import Document
from ..config.project import Project
from ..content.context import DocumentView, build_view
from ..content.records import FieldIssue, check_record
from ..content.text import today as current_day
from ..content.validate import FieldError, check_text
from ..errors import DataError, Problem
from ..faults import fault_point
from ..sources import BatchRow, read_batch
from .folders import ensure_writable_dir, move_into_place, release_folder, remove_dead_stages, reserve_folder, stage_dir

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


def _given_reference(values: Mapping[str, Any], keys: set[str]) -> Any:
    """The row's reference: its first reference column that holds one, in the source's column order (a set's
    order changes from run to run with the hash seed, so the same file could give another reference)."""
    return next((value for key, value in values.items() if key in keys and value not in (None, "")), None)


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
        given = _given_reference(row.values, keys)
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


def _rows_of(source: Path | Sequence[Mapping[str, Any]], document: Document) -> list[BatchRow]:
    if isinstance(source, Path):  # columns read at most: the document's fields, with room for a register's
        return list(read_batch(source, max_columns=64 + 4 * len(document.data_fields())))
    return [BatchRow(i, dict(values)) for i, values in enumerate(source, 1)]


def validate_batch(
    project: Project, doc_id: str, source: Path | Sequence[Mapping[str, Any]]
) -> tuple[int, list[InvalidRow]]:
    """Validate every record of a batch without writing anything: (number of rows, the invalid ones)."""
    document = project.document(doc_id)
    rows = _rows_of(source, document)
    _, invalid = _validate_rows(project, document, rows)
    return len(rows), invalid


def merge_batch(
    project: Project,
    doc_id: str,
    source: Path | Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> MergeSummary:
    """Validate every record of the batch (a data file, or records), then write the batch folder; see the
    module docstring. ``progress(done, total)`` is called as letters are made (DOCX, then PDF pages)."""
    document = project.document(doc_id)
    today = today or current_day(project.policy)
    rows = _rows_of(source, document)
    where = str(source) if isinstance(source, Path) else "records"
    if not rows:
        raise DataError("", [Problem(where, None, None, "", "الملف لا يحتوي على أي سجل")])
    items, invalid = _validate_rows(project, document, rows)
    summary = MergeSummary(doc_id, None, invalid=invalid, source=where)
    if invalid and not skip_invalid:
        problems = [
            Problem(where, None, None, "", f"الصف {row.number}: {issue}")
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
    total = len(items) * 2
    report = progress or (lambda done, total: None)
    batches = ensure_writable_dir(out_dir / "batches")
    remove_dead_stages(batches)
    final = reserve_folder(batches, f"{doc_id}-{today:%Y%m%d}")
    stage = stage_dir(batches, final.name)
    try:
        fault_point("merge.reserved")
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
            report(i, total)
        with (stage / "print.pdf").open("wb") as handle:  # streamed: memory does not grow with the batch
            pdf.write_batch(views(), handle, progress=lambda done: report(len(items) + done, total))
        summary.folder = final
        summary.generated = len(items)
        summary.references = [item.reference or "" for item in items]
        (stage / "report.txt").write_text(summary.text() + "\n", encoding="utf-8")
        fault_point("merge.rendered")
        move_into_place(stage, final)  # the reserved folder is empty: rename replaces it
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        final.rmdir()
        raise
    finally:
        release_folder(final)
    fault_point("merge.moved")
    log.info("merged %d records into %s", len(items), final)
    return summary
