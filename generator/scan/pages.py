"""Reading a stack: every page of every input file as a grayscale image, one page at a time.

Inputs are checked whole before a single page is read (:func:`open_inputs`): a zero-byte file, an encrypted
or damaged PDF, a file that is no image, each stops the scan with one Arabic message naming the file, and
nothing is filed. Then :func:`iter_pages` yields the pages in order, so a 500-page stack never holds more than
one page image in memory.

A PDF page that is one picture (what an office scanner writes) gives that picture as it is, turned grayscale:
no resampling. Any other page (a PDF printed to PDF, a page with text) is rendered by PDFium at
:data:`RENDER_DPI`. Photos (JPEG, PNG, TIFF, every frame of a multi-page TIFF) are read by Pillow and turned
upright by their EXIF orientation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ..errors import DataError

__all__ = ["MAX_DPI", "RENDER_DPI", "ScanInput", "ScanPage", "iter_pages", "open_inputs"]

RENDER_DPI: Final = 200
"""Resolution a PDF page without a scanner's picture is rendered at (grayscale)."""

MAX_DPI: Final = 300
"""A scanner's picture finer than this is scaled down to :data:`RENDER_DPI`: a QR code needs no more, and a
600-dpi page is four times the work and the memory."""

A4_WIDTH_IN: Final = 210 / 25.4

_IMAGE_FORMATS: Final = {"JPEG", "PNG", "TIFF", "MPO"}


@dataclass(frozen=True)
class ScanInput:
    """One input file, checked: its kind, its page count and its SHA-256 (a file scanned twice is noticed)."""

    path: Path
    kind: str
    """"pdf" or "image"."""
    pages: int
    sha256: str


@dataclass
class ScanPage:
    """One page of the stack: where it came from (file, page number from 1) and its grayscale image."""

    source: ScanInput
    number: int
    image: Image.Image


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pdf_pages(path: Path) -> int:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as err:
        if "password" in str(err).lower():
            raise DataError(
                f"{path}: ملف PDF محمي بكلمة مرور، فلا يمكن قراءة صفحاته. احفظه من الماسح دون حماية ثم أعد المسح"
            ) from err
        raise DataError(f"{path}: ملف PDF تالف أو غير مكتمل، فلا يمكن قراءة صفحاته") from err
    try:
        return len(document)
    finally:
        document.close()


def _image_pages(path: Path) -> int:
    try:
        with Image.open(path) as image:
            if image.format not in _IMAGE_FORMATS:
                raise DataError(f"{path}: نوع الصورة {image.format} غير مقبول؛ المقبول: PDF أو JPEG أو PNG أو TIFF")
            return int(getattr(image, "n_frames", 1))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as err:
        raise DataError(f"{path}: الملف ليس PDF ولا صورة مقروءة (JPEG أو PNG أو TIFF)") from err


def open_inputs(paths: list[Path]) -> list[ScanInput]:
    """Every input checked before any page is read; the first bad one raises :class:`DataError` (in Arabic)."""
    if not paths:
        raise DataError("لم يُذكر ملف للمسح")
    inputs = []
    for path in paths:
        if not path.is_file():
            raise DataError(f"{path}: الملف غير موجود")
        if path.stat().st_size == 0:
            raise DataError(f"{path}: الملف فارغ (حجمه صفر): لم يحفظ الماسح شيئًا فيه")
        with path.open("rb") as handle:
            is_pdf = handle.read(1024).lstrip().startswith(b"%PDF")
        pages = _pdf_pages(path) if is_pdf else _image_pages(path)
        if pages == 0:
            raise DataError(f"{path}: لا صفحات في الملف")
        inputs.append(ScanInput(path, "pdf" if is_pdf else "image", pages, _sha256(path)))
    return inputs


def _scaled(image: Image.Image, dpi: float) -> Image.Image:
    if dpi <= MAX_DPI:
        return image
    factor = RENDER_DPI / dpi
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _scanner_picture(page: Any) -> Image.Image | None:
    """The page's own picture when the page is exactly one picture and no text (a scanner's page), else None."""
    import pypdfium2.raw as pdfium_c

    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    try:
        picture = objects[0].get_bitmap(render=False).to_pil()
    except Exception:  # an image filter PDFium cannot hand over raw (JBIG2 …): render the page instead
        return None
    width_in = page.get_width() / 72
    return _scaled(picture.convert("L"), picture.width / width_in if width_in else RENDER_DPI)


def _iter_pdf(source: ScanInput) -> Iterator[ScanPage]:
    import pypdfium2

    document = pypdfium2.PdfDocument(source.path)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                image = _scanner_picture(page)
                if image is None:
                    image = page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil().convert("L")
            finally:
                page.close()
            yield ScanPage(source, index + 1, image)
    finally:
        document.close()


def _iter_image(source: ScanInput) -> Iterator[ScanPage]:
    with Image.open(source.path) as image:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            upright = ImageOps.exif_transpose(frame.copy()) or frame.copy()
            dpi = float(upright.width) / A4_WIDTH_IN  # a photo's own dpi says nothing of the paper: assume A4
            yield ScanPage(source, index + 1, _scaled(upright.convert("L"), dpi))


def iter_pages(inputs: list[ScanInput]) -> Iterator[ScanPage]:
    """Every page of every input, in order, one image at a time."""
    for source in inputs:
        yield from (_iter_pdf(source) if source.kind == "pdf" else _iter_image(source))
