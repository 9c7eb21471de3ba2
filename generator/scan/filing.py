"""Filing signed pages into their case: ``cases/<ref>/signed-<doc>.pdf``, pages in order, written atomically.

The signed PDF says itself which pages of the document it holds (``/WathiqaPages`` in its information, e.g.
``1 2`` of ``/WathiqaOf`` ``2``), so a page arriving later (a missing page scanned the next day, or put in by
hand) is inserted at its place, and a page already there is noticed. The file is read, extended and swapped in
while the office database's write lock is held, so two scans filing into one case never lose a page.

Once a document holds all its pages, the case's register gets its «موقّع» date (the register's
``signed_column``) through the journal, as an update: a register open in Excel never blocks the scan.
"""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from PIL import Image
from pypdf import PdfReader, PdfWriter

from ..config.project import Project
from ..office import journal
from ..workflow.folders import atomic_write_bytes

__all__ = [
    "SIGNED_KEY",
    "CaseDocument",
    "case_document",
    "case_known",
    "file_pages",
    "filed_pages",
    "journal_signed",
    "signed_path",
]

SIGNED_KEY: Final = "#signed"
"""Journal key suffix of a case's «موقّع» update (``REQ-1448-00012#signed``)."""

_PAGES: Final = "/WathiqaPages"
_OF: Final = "/WathiqaOf"
_A4_WIDTH_IN: Final = 210 / 25.4


@dataclass(frozen=True)
class CaseDocument:
    """A document issued for a case: where its signed copy goes, and how many pages its print has."""

    reference: str
    doc_id: str
    folder: Path

    @property
    def signed(self) -> Path:
        return signed_path(self.folder, self.doc_id)


def signed_path(case_folder: Path, doc_id: str) -> Path:
    return case_folder / f"signed-{doc_id}.pdf"


def case_known(conn: sqlite3.Connection, reference: str) -> bool:
    """Whether the office database gave this reference: a sequence with its prefix has reached its number."""
    for prefix, last in conn.execute("SELECT prefix, last FROM sequences"):
        rest = reference[len(prefix) :]
        if reference.startswith(prefix) and rest.isdigit() and 0 < int(rest) <= last:
            return True
    return False


def case_document(out_dir: Path, reference: str, doc_id: str) -> CaseDocument | None:
    """The document of the case, if the case folder exists and holds it as issued (``<doc_id>.pdf``)."""
    folder = out_dir / "cases" / reference
    if not (folder / "case.json").is_file() or not (folder / f"{doc_id}.pdf").is_file():
        return None
    return CaseDocument(reference, doc_id, folder)


def filed_pages(path: Path) -> tuple[int, list[int]]:
    """(pages of the document, the page numbers the signed PDF holds, in its order); (0, []) if none yet."""
    if not path.is_file():
        return 0, []
    info: dict[str, object] = dict(PdfReader(path).metadata or {})
    pages = [int(n) for n in str(info.get(_PAGES, "")).split()]
    return int(str(info.get(_OF, "0"))), pages


def _image_page(jpeg: bytes) -> PdfReader:
    """One scanned page as a one-page PDF, A4 wide whatever the scanner's resolution."""
    image = Image.open(io.BytesIO(jpeg))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=image.width / _A4_WIDTH_IN)
    return PdfReader(out)


def file_pages(document: CaseDocument, pages_total: int, new: dict[int, bytes]) -> list[int]:
    """Add pages (number -> JPEG) to the document's signed PDF, in page order; return the pages it now holds.

    The caller holds the office database's write lock and has checked that none of ``new`` is filed already.
    """
    path = document.signed
    _, filed = filed_pages(path)
    old = PdfReader(path) if filed else None
    writer = PdfWriter()
    order = sorted(set(filed) | set(new))
    for number in order:
        if number in new:
            writer.add_page(_image_page(new[number]).pages[0])
        else:
            assert old is not None
            writer.add_page(old.pages[filed.index(number)])
    writer.add_metadata(
        {
            "/Title": f"{document.reference} {document.doc_id}",
            "/Producer": "wathiqa scan",
            _PAGES: " ".join(map(str, order)),
            _OF: str(pages_total),
        }
    )
    out = io.BytesIO()
    writer.write(out)
    atomic_write_bytes(path, out.getvalue())
    return order


def journal_signed(conn: sqlite3.Connection, project: Project, document: CaseDocument, day: date) -> str | None:
    """Queue the case register's «موقّع» date (inside ``OfficeDB.write()``); the register's id, or None when
    the case's register has no such column."""
    from ..registers.rows import cells_for

    case = json.loads((document.folder / "case.json").read_text(encoding="utf-8"))
    main = project.documents.get(str(case.get("document", "")))
    register_id = main.register_id if main is not None else None
    if register_id is None or register_id not in project.registers:
        return None
    column = project.registers[register_id].signed_column
    if column is None:
        return None
    cells = cells_for(project, register_id, {column: day})
    journal.add(
        conn, register_id, "update", document.reference + SIGNED_KEY, cells,
        target=document.reference, source=f"signed-{document.doc_id}.pdf", state="ready",
    )  # fmt: skip
    return register_id
