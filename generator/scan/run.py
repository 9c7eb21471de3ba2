"""`wathiqa scan`: a stack of pages read, grouped per document, filed into its case, the rest queued.

1. Every input is checked before anything is read (:func:`.pages.open_inputs`): bad input stops the scan with
   one Arabic message and nothing filed.
2. Each page in turn is read (:func:`.decode.read_page`), turned upright and kept as a JPEG in a staging
   folder: memory holds one page at a time however long the stack.
3. Then the pages are judged together, never guessing (:data:`.reasons.REASONS`): a page is filed only when
   its code is ours, its case and document exist, it is not in the stack twice nor filed already, and every
   page of its document is then present. Everything else waits in the queue with its picture.
4. Each complete document is filed (:mod:`.filing`), its register marked, the event audited.
"""

from __future__ import annotations

import logging
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PIL import Image

from ..config.project import Project
from ..content.page_code import PageCode
from ..content.text import today as system_today
from ..errors import DataError
from ..faults import fault_point
from ..office.audit import command_line_actor, record_event
from ..office.db import OfficeDB
from ..workflow.folders import ensure_writable_dir, remove_dead_stages, stage_dir
from . import queue
from .decode import read_page, upright
from .filing import CaseDocument, case_document, case_known, file_pages, filed_pages, journal_signed
from .pages import ScanInput, iter_pages, open_inputs
from .reasons import Reason

log = logging.getLogger(__name__)

__all__ = ["FiledDocument", "QueuedPage", "ScanResult", "assign_page", "scan"]


@dataclass(frozen=True)
class FiledDocument:
    reference: str
    doc_id: str
    pages: tuple[int, ...]
    """The pages filed by this scan."""
    path: Path


@dataclass(frozen=True)
class QueuedPage:
    id: int
    source: str
    page: int
    reason: Reason
    code: str


@dataclass
class ScanResult:
    """What a scan did: pages read, documents filed, pages queued, and how many wait in all."""

    pages: int = 0
    filed: list[FiledDocument] = field(default_factory=list)
    queued: list[QueuedPage] = field(default_factory=list)
    waiting: int = 0
    registers_waiting: list[str] = field(default_factory=list)


@dataclass
class _Page:
    source: ScanInput
    number: int
    staged: Path
    code: PageCode | None
    texts: tuple[str, ...]
    reason: Reason | None = None
    document: CaseDocument | None = None


def _judge_alone(page: _Page, project: Project, out_dir: Path, db: OfficeDB, seen_before: set[str]) -> None:
    """Everything that can be said of a page without its neighbours."""
    code = page.code
    forms = {d.code: d.id for d in project.documents.values()}
    if page.source.sha256 in seen_before:
        page.reason = "file_scanned"
    elif code is None:
        page.reason = "foreign" if page.texts else "unreadable"
    elif code.form_code not in forms:
        page.reason = "unknown_form"
    elif code.reference is None:
        page.reason = "blank_form"
    else:
        with db.read() as conn:
            known = case_known(conn, code.reference)
        document = case_document(out_dir, code.reference, forms[code.form_code]) if known else None
        if not known:
            page.reason = "unknown_case"
        elif document is None:
            page.reason = "not_in_case"
        elif not code.known_page:
            page.reason = "page_unknown"
        else:
            page.document = document


def _judge_groups(pages: list[_Page]) -> dict[tuple[str, str, int], dict[int, _Page]]:
    """Pages grouped per document (and its page count); a page in the stack twice: the later ones queued.
    Groups whose document would still lack a page after filing are queued whole."""
    groups: dict[tuple[str, str, int], dict[int, _Page]] = defaultdict(dict)
    for page in pages:
        if page.reason is not None or page.document is None or page.code is None:
            continue
        key = (page.document.reference, page.document.doc_id, page.code.pages)
        if page.code.page in groups[key]:
            page.reason = "duplicate"
        else:
            groups[key][page.code.page] = page
    complete = {}
    for key, members in groups.items():
        total = key[2]
        document = next(iter(members.values())).document
        assert document is not None
        _, filed = filed_pages(document.signed)
        for number, page in list(members.items()):
            if number in filed:
                page.reason = "already_filed"
                del members[number]
        if not members:
            continue
        if set(filed) | set(members) != set(range(1, total + 1)):
            for page in members.values():
                page.reason = "incomplete"
            continue
        complete[key] = members
    return complete


def _queue(db: OfficeDB, out_dir: Path, page: _Page, result: ScanResult) -> None:
    assert page.reason is not None
    with Image.open(page.staged) as image:
        image.load()
        page_id = queue.queue_page(
            db, out_dir, image, page.source.path.name, page.number, page.reason, page.code.text if page.code else ""
        )
    result.queued.append(
        QueuedPage(page_id, page.source.path.name, page.number, page.reason, page.code.text if page.code else "")
    )


def _file(
    project: Project, db: OfficeDB, members: dict[int, _Page], total: int, actor: str, day: date, result: ScanResult
) -> str | None:
    document = next(iter(members.values())).document
    assert document is not None
    new = {number: page.staged.read_bytes() for number, page in members.items()}
    with db.write() as conn:  # the write lock: one filer of a case at a time
        _, filed = filed_pages(document.signed)
        if set(filed) & set(new):  # another scan filed one of them meanwhile: file none, queue them all
            for number, page in members.items():
                page.reason = "already_filed" if number in filed else "incomplete"
            return None
        file_pages(document, total, new)
        register_id = journal_signed(conn, project, document, day)
    result.filed.append(FiledDocument(document.reference, document.doc_id, tuple(sorted(new)), document.signed))
    details = f"signed-{document.doc_id}.pdf: {sorted(new)}/{total}"
    record_event(db, actor or command_line_actor(), "scan", document.reference, details)
    return register_id


def scan(
    project: Project,
    paths: list[Path],
    out_dir: Path,
    *,
    actor: str = "",
    progress: Callable[[int, int], None] | None = None,
    day: date | None = None,
) -> ScanResult:
    """Read, file and queue every page of ``paths`` (see the module's docstring)."""
    from ..workflow.sync import apply_pending

    inputs = open_inputs(paths)
    ensure_writable_dir(out_dir)
    db = OfficeDB(out_dir)
    day = day or system_today(project.policy)
    total = sum(source.pages for source in inputs)
    seen_before = {source.sha256 for source in inputs if queue.scanned_before(db, source.sha256)}
    result = ScanResult(pages=total)
    scans = ensure_writable_dir(out_dir / queue.SCANS_DIR)
    remove_dead_stages(scans)  # the page pictures of a scan that was killed
    staging = stage_dir(scans, "scan")
    try:
        pages: list[_Page] = []
        for done, scanned in enumerate(iter_pages(inputs), 1):
            reading = read_page(scanned.image)
            staged = staging / f"{done:06d}.jpg"
            staged.write_bytes(queue.page_jpeg(upright(scanned.image, reading)))
            pages.append(_Page(scanned.source, scanned.number, staged, reading.code, reading.texts))
            del scanned
            if progress is not None:
                progress(done, total)
        fault_point("scan.read")
        for page in pages:
            _judge_alone(page, project, out_dir, db, seen_before)
        registers: set[str] = set()
        for (_, _, doc_total), members in _judge_groups(pages).items():
            register_id = _file(project, db, members, doc_total, actor, day, result)
            if register_id:
                registers.add(register_id)
        for page in pages:
            if page.reason is not None:
                _queue(db, out_dir, page, result)
        for source in inputs:
            queue.record_file(db, source.sha256, source.path.name, source.pages, actor)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if registers:
        synced = apply_pending(project, out_dir, registers=registers, db=db)
        result.registers_waiting = sorted({w.register_id for w in synced.waiting})
    result.waiting = len(queue.waiting(db))
    return result


def assign_page(
    project: Project, out_dir: Path, page_id: int, reference: str, doc_id: str, page: int, *, actor: str = ""
) -> FiledDocument:
    """A clerk files a waiting page by hand: case, document and page number; Arabic :class:`DataError` if any
    of them does not fit (the page stays in the queue)."""
    from pypdf import PdfReader

    from ..workflow.sync import apply_pending

    db = OfficeDB(out_dir)
    waiting = queue.waiting_page(db, page_id)
    if waiting is None:
        raise DataError("هذه الصفحة لم تعد في قائمة الانتظار (حُفظت أو استُبعدت)")
    reference = reference.strip().upper()
    with db.read() as conn:
        known = case_known(conn, reference)
    document = case_document(out_dir, reference, doc_id) if known else None
    if document is None:
        raise DataError(f"الرقم المرجعي {reference} لا يطابق حالة صدر لها هذا المستند")
    total = len(PdfReader(document.folder / f"{doc_id}.pdf").pages)
    if not 1 <= page <= total:
        raise DataError(f"رقم الصفحة {page} خارج صفحات المستند (من ١ إلى {total})")
    jpeg = (out_dir / queue.SCANS_DIR / waiting.image).read_bytes()
    register_id = None
    with db.write() as conn:
        _, filed = filed_pages(document.signed)
        if page in filed:
            raise DataError(f"الصفحة {page} من هذا المستند محفوظة من قبل في ملف الحالة")
        if not queue.mark_filed(conn, page_id, actor, f"{reference} {doc_id} {page}/{total}"):
            raise DataError("هذه الصفحة لم تعد في قائمة الانتظار (حُفظت أو استُبعدت)")
        order = file_pages(document, total, {page: jpeg})
        if order == list(range(1, total + 1)):
            register_id = journal_signed(conn, project, document, system_today(project.policy))
    record_event(db, actor or command_line_actor(), "scan_assign", reference, f"signed-{doc_id}.pdf: {page}/{total}")
    if register_id:
        apply_pending(project, out_dir, registers=[register_id], db=db)
    return FiledDocument(reference, doc_id, (page,), document.signed)
