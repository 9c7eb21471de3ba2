"""What a printed page shows, read back from a PDF: the text on each page and the size it is printed at."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from generator.content.text import strip_tatweel

BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class PrintedPage:
    width: float
    """Points, as the page is seen (a landscape page is wider than high)."""
    height: float
    text: str
    """The page's text, bidi marks and tatweel removed (pypdf's logical order)."""
    sizes: list[tuple[str, float]]
    """Each run of text with the size in points it is printed at."""

    @property
    def min_size(self) -> float:
        return min(size for _, size in self.sizes)

    def has(self, phrase: str) -> bool:
        """Every word of the phrase is on the page. Words, not the phrase: a header label wrapped on three lines
        of a cell comes out interleaved with its neighbours, and extractors drop spaces in Arabic lines."""
        text, phrase = _SPACES.sub("", self.text), strip_tatweel(phrase)
        return all(word.strip("()[]«»") in text for word in phrase.split())  # brackets come out mirrored


def printed_pages(pdf: bytes | Path) -> list[PrintedPage]:
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        sizes: list[tuple[str, float]] = []

        def visit(text: str, cm: Any, tm: Any, _font: Any, font_size: float, sizes: list[tuple[str, float]] = sizes) -> None:
            if not text.strip():
                return
            c = tm[2] * cm[0] + tm[3] * cm[2]
            d = tm[2] * cm[1] + tm[3] * cm[3]
            sizes.append((text.strip(), round(font_size * math.hypot(c, d), 2)))

        text = page.extract_text(visitor_text=visit)
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        if int(page.get("/Rotate", 0) or 0) % 180:
            width, height = height, width
        pages.append(PrintedPage(width, height, BIDI_MARKS.sub("", strip_tatweel(text)), sizes))
    return pages
