"""What a printed page's QR code says: ``REFERENCE FORM-CODE PAGE/PAGES`` (``FORM-CODE PAGE/PAGES`` on a blank form).

One format, written by the renderers and read back by the scanner (:mod:`generator.scan`). Every character is
one of QR's alphanumeric mode (digits, capitals, space, ``-`` and ``/``: references are ``REQ-1448-00012``,
form codes ``BR-F-01``, both held to that alphabet by the model), so the code stays a version-2 symbol, small
enough to print at about 21 mm on every page and be read at 150 dpi.

``PAGE`` 0 means "a page of this document, which one is not known": a DOCX is paginated by Word or Writer, not
by wathiqa, so its code cannot hold the page number (see :mod:`generator.render.docx`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["ALPHANUMERIC", "PageCode", "parse_page_code"]

ALPHANUMERIC: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
"""The characters of QR's alphanumeric mode (ISO/IEC 18004, table 5)."""

_TOKEN = r"[A-Z0-9][A-Z0-9-]*"
_CODE = re.compile(rf"^(?:(?P<reference>{_TOKEN}) )?(?P<form>{_TOKEN}) (?P<page>\d{{1,4}})/(?P<pages>\d{{1,4}})$")


@dataclass(frozen=True)
class PageCode:
    """One page's identity: the case reference (None on a blank form), the form code, the page of how many."""

    reference: str | None
    form_code: str
    page: int
    pages: int

    def __post_init__(self) -> None:
        if not 0 <= self.page <= self.pages or (self.pages == 0 and self.page != 0):
            raise ValueError(f"page {self.page} of {self.pages}")
        if not set(self.text) <= ALPHANUMERIC:
            raise ValueError(f"{self.text!r} is not QR alphanumeric")

    @property
    def text(self) -> str:
        head = f"{self.reference} {self.form_code}" if self.reference else self.form_code
        return f"{head} {self.page}/{self.pages}"

    @property
    def known_page(self) -> bool:
        """Whether the code says which page it is (a DOCX's code does not)."""
        return self.page > 0


def parse_page_code(text: str) -> PageCode | None:
    """The page code a QR holds, or None if the text is not one (another office's code, a URL, noise)."""
    match = _CODE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return PageCode(match["reference"], match["form"], int(match["page"]), int(match["pages"]))
    except ValueError:
        return None
