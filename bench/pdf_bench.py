"""Print PDF of N one-page acknowledgment letters: ``render_batch`` against one WeasyPrint PDF per letter.

Run with ``python -m bench.pdf_bench [N]``; :func:`run` returns the figures for ``make bench``. Both sides
render the same letters from the same HTML; the naive side is what a first version would write: one
``HTML(...).write_pdf()`` per letter, the stylesheet and fonts loaded each time, one core. Every page of
the batch is then checked to carry its own reference, in order, and the footer of its own document.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import time
from datetime import date
from pathlib import Path

from pypdf import PdfReader
from weasyprint import HTML

from generator.config.project import Project, load_project
from generator.content.context import DocumentView, build_view
from generator.content.text import strip_tatweel
from generator.render.pdf import PdfRenderer

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DOC_ID = "acknowledgment"
NAMES = ("عبدالله محمد القحطاني", "نورة سعد الدوسري", "فهد خالد العتيبي", "مريم علي الزهراني")
BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def letters(project: Project, n: int) -> list[DocumentView]:
    """``n`` filled acknowledgment letters, each with its own reference REQ-1448-00001 ..."""
    document = project.documents[DOC_ID]
    views = []
    for i in range(1, n + 1):
        record = {
            "applicant_name": NAMES[i % len(NAMES)],
            "gender": "female" if i % 4 == 1 else "male",
            "request_type": "open_womens_house" if i % 2 else "open_circle",
        }
        views.append(
            build_view(document, project.policy, record, reference=f"REQ-1448-{i:05d}", issue_date=date(2026, 11, 24))
        )
    return views


def naive(renderer: PdfRenderer, views: list[DocumentView]) -> list[bytes]:
    """One WeasyPrint PDF per letter, in a loop (the stylesheet is linked, so parsed each time)."""
    base_url = (renderer.templates_dir / "html").as_uri() + "/"
    fetcher = renderer.engine.fetcher
    return [HTML(string=renderer.html(v), base_url=base_url, url_fetcher=fetcher).write_pdf() for v in views]


def check_pages(pdf: bytes, views: list[DocumentView]) -> int:
    """Every page carries its own reference, in order, and its document's footer; return the page count."""
    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) != len(views):
        raise AssertionError(f"{len(reader.pages)} pages for {len(views)} letters")
    code = views[0].document.code
    for page, view in zip(reader.pages, views, strict=True):
        text = BIDI_MARKS.sub("", strip_tatweel(page.extract_text()))
        assert view.reference is not None
        found = re.findall(r"REQ-\d{4}-\d{5}", text)
        if not found or set(found) != {view.reference}:
            raise AssertionError(f"page of {view.reference}: references found {found}")
        if code not in text:
            raise AssertionError(f"page of {view.reference}: footer code {code} missing")
    return len(reader.pages)


def run(n: int = 500, workers: int = 2) -> dict[str, float]:
    project = load_project(ROOT / "policies" / "policy.yml")
    renderer = PdfRenderer(project, archival=False)
    views = letters(project, n)
    renderer.render(views[0])  # warm both sides alike: imports, first font load
    naive_n = min(n, 100)  # the baseline is linear; 100 letters measure it well enough
    started = time.perf_counter()
    naive(renderer, views[:naive_n])
    naive_ms = (time.perf_counter() - started) * 1000 / naive_n
    started = time.perf_counter()
    pdf = renderer.render_batch(views, workers=workers)
    batch_ms = (time.perf_counter() - started) * 1000 / n
    pages = check_pages(pdf, views)
    figures = {
        "letters": float(n),
        "pages": float(pages),
        "naive_ms_per_page": round(naive_ms, 1),
        "batch_ms_per_page": round(batch_ms, 1),
        "speedup": round(naive_ms / batch_ms, 2),
        "batch_mib": round(len(pdf) / 2**20, 2),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 500
    figures = run(n)
    for key, value in figures.items():
        print(f"{key:>20}: {value}")
    ok = figures["speedup"] >= 3.0
    print(f"{'target >= 3x':>20}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
