"""A case's paper: what came back signed (``signed-DOC.pdf``, filed by :mod:`generator.scan`), what is attached
(``attachment-ITEM.pdf``: the ID copy, the site approval … that the application's checklist names), and what is
still missing.

The checklist is the policy's ``attachments`` list, as a multiple-choice field of the case's documents uses it;
an item the record ticks («المرفقات المقدمة مع الطلب») is expected, and missing until its file is attached.
An attachment arrives as a PDF, a JPEG or a PNG; a picture is kept as a one-page PDF so the case folder holds
PDFs only (printed with the case, served like its documents), written atomically.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..config.model import Document
from ..config.project import Project
from ..errors import DataError
from .folders import atomic_write_bytes

__all__ = ["ATTACHMENTS_LIST", "Attachment", "CasePapers", "SignedPaper", "attach", "case_papers"]

ATTACHMENTS_LIST: Final = "attachments"
"""The policy list whose items are a case's attachments (the application's checklist)."""

_A4_WIDTH_IN: Final = 210 / 25.4


@dataclass(frozen=True)
class SignedPaper:
    document: Document
    file: str | None
    """``signed-DOC.pdf`` once at least one page is filed."""
    pages: tuple[int, ...]
    of: int

    @property
    def complete(self) -> bool:
        return self.of > 0 and self.pages == tuple(range(1, self.of + 1))

    @property
    def lacking(self) -> tuple[int, ...]:
        """The pages not filed yet (of a document some of whose pages are)."""
        return tuple(n for n in range(1, self.of + 1) if n not in self.pages)


@dataclass(frozen=True)
class Attachment:
    id: str
    label: str
    expected: bool
    """Ticked in the record's checklist: the applicant said it comes with the request."""
    file: str | None


@dataclass(frozen=True)
class CasePapers:
    signed: list[SignedPaper]
    attachments: list[Attachment]

    @property
    def missing(self) -> list[str]:
        """What the case still lacks, as the clerk reads it: unsigned documents, expected attachments."""
        lacking = [p.document.title for p in self.signed if not p.complete]
        return lacking + [a.label for a in self.attachments if a.expected and a.file is None]


def _needs_signature(document: Document) -> bool:
    return document.kind == "declaration" or any(f.type == "signature" for f in document.all_fields())


def _checklist_fields(project: Project, documents: list[Document]) -> list[str]:
    return [f.id for d in documents for f in d.data_fields() if f.list == ATTACHMENTS_LIST]


def case_papers(project: Project, out_dir: Path, reference: str) -> CasePapers:
    """The case's signed documents and attachments (the case folder must exist)."""
    from ..scan.filing import filed_pages, signed_path

    folder = out_dir / "cases" / reference
    names = set(p.name for p in folder.iterdir())
    documents = [d for d in project.documents.values() if f"{d.id}.pdf" in names]
    signed = []
    for document in documents:
        if not _needs_signature(document):
            continue
        path = signed_path(folder, document.id)
        of, pages = filed_pages(path)
        signed.append(SignedPaper(document, path.name if path.is_file() else None, tuple(sorted(pages)), of))
    try:
        record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    ticked = {item for field in _checklist_fields(project, documents) for item in record.get(field) or []}
    items = project.policy.lists[ATTACHMENTS_LIST].items if ATTACHMENTS_LIST in project.policy.lists else []
    attachments = []
    for item in items:
        name = f"attachment-{item.id}.pdf"
        attachments.append(Attachment(item.id, item.label, item.id in ticked, name if name in names else None))
    return CasePapers(signed, attachments)


def _as_pdf(data: bytes) -> bytes:
    """The upload as PDF bytes: a PDF as it is (after checking it opens), a JPEG or PNG as a one-page A4-wide PDF."""
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted or not reader.pages:
                raise DataError("ملف PDF محمي بكلمة مرور أو بلا صفحات؛ احفظه دون حماية ثم أرفقه")
        except PdfReadError as err:
            raise DataError("ملف PDF تالف أو غير مكتمل") from err
        return data
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            opened = Image.open(io.BytesIO(data))
            image = ImageOps.exif_transpose(opened) or opened
            out = io.BytesIO()
            image.convert("RGB").save(out, "PDF", resolution=image.width / _A4_WIDTH_IN)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
            raise DataError("الصورة تالفة أو غير مقروءة") from err
        return out.getvalue()
    raise DataError("نوع الملف غير مقبول: أرفق ملف PDF أو صورة JPEG أو PNG")


def attach(project: Project, out_dir: Path, reference: str, item_id: str, data: bytes) -> Path:
    """Keep an attachment of the case as ``attachment-ITEM.pdf`` (replacing an earlier one); Arabic
    :class:`DataError` for an unknown item, an empty or unreadable file."""
    folder = out_dir / "cases" / reference
    if not (folder / "case.json").is_file():
        raise DataError(f"لا توجد حالة بالرقم {reference}")
    items = project.policy.lists[ATTACHMENTS_LIST].items if ATTACHMENTS_LIST in project.policy.lists else []
    if item_id not in {item.id for item in items}:
        raise DataError("اختر نوع المرفق من القائمة")
    if not data:
        raise DataError("الملف المرفوع فارغ")
    return atomic_write_bytes(folder / f"attachment-{item_id}.pdf", _as_pdf(data))
