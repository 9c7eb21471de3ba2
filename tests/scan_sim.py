"""A scanner, simulated: issued documents rendered as a scanner sees the printed sheets, then turned, skewed,
speckled and JPEG-compressed, and bundled into one scan PDF. Shared by tests/test_scan.py and bench/scan_bench.py.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pypdfium2
import segno
from PIL import Image, ImageDraw, ImageFilter

__all__ = ["code_page", "printed", "scanned", "stack_pdf"]


def printed(out: Path, reference: str, doc_id: str, dpi: int = 200) -> list[Image.Image]:
    """The pages of an issued document as a scanner sees them: rendered in grayscale at ``dpi``."""
    document = pypdfium2.PdfDocument(out / "cases" / reference / f"{doc_id}.pdf")
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def scanned(image: Image.Image, *, angle: float = 0, noise: int = 0, quality: int = 0, seed: int = 0) -> Image.Image:
    """A sheet through a scanner: turned by ``angle`` degrees (white fills the corners), speckled with noise,
    and JPEG-compressed at ``quality`` (0: not compressed)."""
    out = image.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC) if angle else image
    if noise:
        rng = random.Random(seed)
        out = out.copy()
        draw = ImageDraw.Draw(out)
        for _ in range(noise):
            x, y = rng.randrange(out.width), rng.randrange(out.height)
            draw.point((x, y), fill=rng.choice((0, 90, 160)))
        out = out.filter(ImageFilter.GaussianBlur(0.4))
    if quality:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=quality)
        out = Image.open(io.BytesIO(buffer.getvalue()))
        out.load()
    return out


def code_page(text: str, size: tuple[int, int] = (1654, 2339)) -> Image.Image:
    """A sheet with only a QR code on it (another office's paper, a DOCX page, a hand-filled blank form)."""
    page = Image.new("L", size, 255)
    png = io.BytesIO()
    segno.make(text, error="m").save(png, kind="png", scale=12, border=4)
    qr = Image.open(png).convert("L")
    page.paste(qr, (120, 120))
    return page


def stack_pdf(path: Path, pages: list[Image.Image], dpi: int = 200) -> Path:
    """One scan PDF, each page one picture, as an office scanner writes it."""
    first, *rest = [page.convert("L") for page in pages]
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=dpi)
    return path
