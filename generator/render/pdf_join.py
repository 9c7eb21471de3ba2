"""Joining PDFs into one print file, page by page, without holding the whole batch in memory.

The workers of a batch each return a chunk as one PDF; :class:`StreamingPdf` copies their objects into the
target file as they come, so a merge of thousands of letters uses the memory of one chunk.
"""

from __future__ import annotations

import hashlib
import io
from typing import IO, Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject, StreamObject

__all__ = ["StreamingPdf"]


class StreamingPdf:
    """Concatenate PDFs page by page into one file, writing each object as soon as it is copied.

    Only the byte offsets of written objects and the page ids stay in memory. The first PDF's catalogue
    entries that make a PDF/A (``/Metadata``, ``/OutputIntents``) and its language and information are kept.
    """

    _CATALOG, _PAGES, _INFO = 1, 2, 3

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.offsets: dict[int, int] = {}
        self.kids: list[int] = []
        self.next_id = 4
        self.catalog_extra: dict[str, bytes] = {}
        self.info: bytes = b"<< >>"
        self.digest = hashlib.md5(usedforsecurity=False)
        self.version = b"1.7"
        self.position = 0
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.target.write(data)
        self.position += len(data)

    def _begin(self, number: int) -> None:
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n" % number)

    def add(self, pdf_bytes: bytes, *, catalogue: bool = False) -> None:
        self.digest.update(pdf_bytes)
        reader = PdfReader(io.BytesIO(pdf_bytes))
        numbers: dict[int, int] = {}
        queue: list[IndirectObject] = []

        def renumber(ref: IndirectObject) -> int:
            if ref.idnum not in numbers:
                numbers[ref.idnum] = self.next_id
                self.next_id += 1
                queue.append(ref)
            return numbers[ref.idnum]

        def serialise(obj: PdfObject, skip_parent: bool = False) -> bytes:
            if isinstance(obj, IndirectObject):
                return b"%d 0 R" % renumber(obj)
            if isinstance(obj, DictionaryObject):
                parts = [b"<<"]
                for key, value in obj.items():
                    if key == "/Length" and isinstance(obj, StreamObject):
                        continue
                    if skip_parent and key == "/Parent":
                        parts.append(b"/Parent %d 0 R" % self._PAGES)
                        continue
                    parts.append(_plain(key) + b" " + serialise(value))
                if isinstance(obj, StreamObject):
                    parts.append(b"/Length %d" % len(obj._data))
                parts.append(b">>")
                return b" ".join(parts)
            if isinstance(obj, ArrayObject):
                return b"[" + b" ".join(serialise(item) for item in obj) + b"]"
            return _plain(obj)

        page_ids = []
        for page in reader.pages:
            ref = page.indirect_reference
            assert ref is not None
            page_ids.append(renumber(ref))
        if catalogue:
            root = reader.trailer["/Root"].get_object()
            assert isinstance(root, DictionaryObject)
            for key in ("/Metadata", "/OutputIntents", "/Lang", "/MarkInfo", "/ViewerPreferences"):
                if key in root:
                    self.catalog_extra[key] = serialise(root.raw_get(key))
            if "/Info" in reader.trailer:
                info = reader.trailer["/Info"].get_object()
                assert isinstance(info, DictionaryObject)
                self.info = serialise(info)
            self.version = reader.pdf_header.removeprefix("%PDF-").encode() or self.version
        pages = set(page_ids)
        while queue:
            ref = queue.pop(0)
            obj = ref.get_object()
            number = numbers[ref.idnum]
            assert obj is not None
            body = serialise(obj, skip_parent=number in pages)
            self._begin(number)
            self._write(body)
            if isinstance(obj, StreamObject):
                self._write(b"\nstream\n" + obj._data + b"\nendstream")
            self._write(b"\nendobj\n")
        self.kids.extend(page_ids)

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % kid for kid in self.kids)
        self._begin(self._PAGES)
        self._write(b"<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n" % (len(self.kids), kids))
        extra = b" ".join(key.encode() + b" " + value for key, value in self.catalog_extra.items())
        self._begin(self._CATALOG)
        self._write(b"<< /Type /Catalog /Pages %d 0 R %s >>\nendobj\n" % (self._PAGES, extra))
        self._begin(self._INFO)
        self._write(self.info + b"\nendobj\n")
        xref_at = self.position
        size = self.next_id
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        for number in range(1, size):
            offset = self.offsets.get(number)
            lines.append(b"%010d 00000 n \n" % offset if offset is not None else b"0000000000 65535 f \n")
        self._write(b"".join(lines))
        file_id = self.digest.hexdigest().encode()
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, self._CATALOG, self._INFO, file_id, file_id, xref_at)
        )


def _plain(obj: Any) -> bytes:
    """A direct PDF object (name, number, string, boolean, null) in PDF syntax."""
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()
