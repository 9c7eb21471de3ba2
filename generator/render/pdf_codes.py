"""Every page's own QR code (``REFERENCE FORM-CODE PAGE/PAGES``), drawn into the PDF once the pages are known.

A page number exists in WeasyPrint only as a CSS counter, which a QR code cannot hold; laying a document out
twice (once to count, once with per-page codes) would halve the speed of a batch. So the layout is done once,
and the codes are drawn while WeasyPrint writes the PDF (its ``finisher`` hook, before the trailer): each page
gets one more content stream holding its QR code as filled rectangles — no image, no font, a few hundred bytes.

Where: on a document's first page, into the letterhead's empty ``.qr-slot`` box (found in the laid-out page,
so the stylesheet stays the one place that places it); on the pages after, in the top margin above the left
edge of the text, which the stylesheet keeps free on those pages (``@page`` ``margin-top``).

The QR code is drawn :data:`SIDE_MM` wide *including* its 4-module quiet zone (ISO/IEC 18004), error level M.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import pydyf
import segno

from ..content.page_code import PageCode

__all__ = ["SIDE_MM", "SLOT_CLASS", "PageStamper", "qr_rectangles"]

SIDE_MM: Final = 21.0
"""The printed side of a page's QR code, quiet zone included."""

SLOT_CLASS: Final = "qr-slot"
"""The class of the letterhead's empty box that the first page's code is drawn into."""

QUIET: Final = 4
"""Modules of white around the symbol: the standard's quiet zone, so a scan finds the code's edges."""

_PX_PER_MM: Final = 96 / 25.4
_PT_PER_PX: Final = 0.75
_TOP_MM: Final = 6.0
"""Where a continuation page's code starts below the paper's top edge (inside the printable area)."""


def qr_rectangles(text: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code of ``text`` as (side in modules with the quiet zone, dark runs as (row, first column, length))."""
    matrix = segno.make(text, error="m", micro=False).matrix
    size = len(matrix) + 2 * QUIET
    runs: list[tuple[int, int, int]] = []
    for row, line in enumerate(matrix):
        start = -1
        for col, dark in enumerate([*line, 0]):
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                runs.append((row + QUIET, start + QUIET, col - start))
                start = -1
    return size, runs


def _stream_ops(text: str, x_pt: float, top_pt: float, side_pt: float) -> bytes:
    """PDF operators painting the code with its top-left corner at (x, top), in default PDF user space.

    Marked as an artifact so a tagged PDF's structure stays whole; black in DeviceRGB like WeasyPrint's text.
    """
    size, runs = qr_rectangles(text)
    module = side_pt / size
    ops = [b"/Artifact BMC q 0 0 0 rg"]
    for row, col, length in runs:
        y = top_pt - (row + 1) * module
        ops.append(b"%.3f %.3f %.3f %.3f re" % (x_pt + col * module, y, length * module, module))
    ops.append(b"f Q EMC")
    return b"\n".join(ops)


def _slot(page_box: Any) -> Any | None:
    """The letterhead's QR slot box on a laid-out page, if the page has one."""
    for box in page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and SLOT_CLASS in (element.get("class") or "").split():
            return box
    return None


class PageStamper:
    """A WeasyPrint ``finisher``: draw each page's code, given each document's code head and page count."""

    def __init__(self, heads: Sequence[tuple[str | None, str, int]]) -> None:
        """``heads``: per document in order, (reference or None, form code, pages)."""
        self.heads = heads

    def codes(self) -> Iterator[PageCode]:
        for reference, form_code, pages in self.heads:
            for page in range(1, pages + 1):
                yield PageCode(reference, form_code, page, pages)

    def __call__(self, document: Any, pdf: pydyf.PDF) -> None:
        # q and Q around the page's own stream: WeasyPrint leaves its flipped matrix set at the end of it.
        save = pydyf.Stream([b"q"])
        restore = pydyf.Stream([b"Q"])
        pdf.add_object(save)
        pdf.add_object(restore)
        numbers = pdf.pages["Kids"][::3]
        side_px = SIDE_MM * _PX_PER_MM
        for page, number, code in zip(document.pages, numbers, self.codes(), strict=True):
            box = page._page_box
            slot = _slot(box) if code.page == 1 else None
            if slot is not None:
                x_px, y_px = slot.content_box_x(), slot.content_box_y()
            else:
                x_px, y_px = box.margin_left, _TOP_MM * _PX_PER_MM
            stream = pydyf.Stream(
                [_stream_ops(code.text, x_px * _PT_PER_PX, (page.height - y_px) * _PT_PER_PX, side_px * _PT_PER_PX)],
                compress=True,
            )
            pdf.add_object(stream)
            pdf_page = pdf.objects[number]
            pdf_page["Contents"] = pydyf.Array(
                [save.reference, pdf_page["Contents"], restore.reference, stream.reference]
            )
