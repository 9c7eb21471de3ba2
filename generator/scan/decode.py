"""A page's QR code read with zxing-cpp, and the page turned upright by the code's orientation.

The code is printed at the top of every page in one place, so the angle zxing-cpp reports for it is the
angle of the whole sheet: a page fed sideways or upside down is turned by that angle (to the nearest quarter
turn; a scanner's few degrees of skew are left as scanned).

A page may show no code (a blank back), a code of another office, or, rarely, two of ours (two sheets
overlapping on the glass): only a page with exactly one code of the reference format has a :class:`Reading`
with a ``code``. A first pass reads with zxing-cpp's default (local average) binarizer; a page it misses is read
once more with the global histogram one, which copes better with a grey, noisy scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import zxingcpp
from PIL import Image

from ..content.page_code import PageCode, parse_page_code

__all__ = ["Reading", "read_page", "upright"]


@dataclass(frozen=True)
class Reading:
    """What a page's codes say: the page code (None unless exactly one of ours), the texts seen, the turn."""

    code: PageCode | None
    texts: tuple[str, ...]
    quarter_turns: int
    """Counter-clockwise quarter turns that make the page upright."""


def _read(image: Image.Image, binarizer: zxingcpp.Binarizer) -> list[zxingcpp.Barcode]:
    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return list(zxingcpp.read_barcodes(image, formats=formats, binarizer=binarizer))


def read_page(image: Image.Image) -> Reading:
    """Read one page (grayscale); see the module's docstring."""
    found = _read(image, zxingcpp.Binarizer.LocalAverage)
    if not found:
        found = _read(image, zxingcpp.Binarizer.GlobalHistogram)
    texts = tuple(sorted({barcode.text for barcode in found}))
    ours = {code for code in (parse_page_code(text) for text in texts) if code is not None}
    if len(ours) != 1:
        return Reading(None, texts, 0)
    code = next(iter(ours))
    barcode = next(b for b in found if parse_page_code(b.text) == code)
    return Reading(code, texts, round(barcode.orientation / 90) % 4)


def upright(image: Image.Image, reading: Reading) -> Image.Image:
    """The page turned as its code says (``Image.rotate`` turns counter-clockwise)."""
    if reading.quarter_turns == 0:
        return image
    return image.rotate(90 * reading.quarter_turns, expand=True)
