"""DOCX letters per record: :class:`DocxRenderer` (compiled once) against docxtpl's render + save in a loop.

Run with ``python -m bench.docx_bench``; :func:`run` returns the figures for ``make bench``. Both sides build
the same context from the same view; the document XML of every record is checked equal, outside the timers.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

from generator.config.project import load_project
from generator.content.context import DocumentView, build_view
from generator.content.examples import example_fields
from generator.content.records import validate_record
from generator.render.docx import DocxRenderer, docx_context

ROOT = Path(__file__).resolve().parent.parent
DOC_ID = "acknowledgment"
NAMES = ["عبدالله محمد أحمد القحطاني", "نورة سعد الدوسري", "Ali & Sons <Co>", "سعد عبدالرحمن العتيبي"]


def _views(n: int) -> list[DocumentView]:
    project = load_project(ROOT / "policies" / "policy.yml")
    document = project.documents[DOC_ID]
    base = validate_record(document, project.policy, dict(example_fields(document)))
    views = []
    for i in range(n):
        record = base | {"applicant_name": NAMES[i % len(NAMES)], "gender": ("male", "female")[i % 2]}
        issued = date(2026, 11, 1) + timedelta(days=i % 60)
        views.append(build_view(document, project.policy, record, reference=f"REQ-1448-{i + 1:05d}", issue_date=issued))
    return views


def _document_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml")


def run(n: int = 200) -> dict[str, Any]:
    """Median ms per record of both ways, and their ratio; raises if any record's document XML differs."""
    views = _views(n)
    project = load_project(ROOT / "policies" / "policy.yml")
    renderer = DocxRenderer(project)
    path = renderer.template_path(project.documents[DOC_ID].kind)
    renderer.render(views[0])  # compile outside the loop: that is the point of the fast path

    naive_s: list[float] = []
    ours_s: list[float] = []
    for view in views:
        started = time.perf_counter()
        tpl = DocxTemplate(path)
        tpl.render(docx_context(view), autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        naive_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        ours = renderer.render(view)
        ours_s.append(time.perf_counter() - started)

        if _document_xml(ours) != _document_xml(out.getvalue()):
            raise AssertionError(f"document.xml differs from docxtpl's for {view.reference}")
    naive_ms = statistics.median(naive_s) * 1000
    ours_ms = statistics.median(ours_s) * 1000
    return {
        "n": n,
        "naive_ms": round(naive_ms, 2),
        "ours_ms": round(ours_ms, 2),
        "ratio": round(naive_ms / ours_ms, 1),
        "same_document_xml": True,
    }


def main() -> int:
    result = run()
    print(
        f"DOCX {DOC_ID}, {result['n']} records: docxtpl {result['naive_ms']:.1f} ms/record, "
        f"wathiqa {result['ours_ms']:.1f} ms/record, {result['ratio']:.1f}x (target >= 4x); "
        "document.xml identical for every record"
    )
    return 0 if result["ratio"] >= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
