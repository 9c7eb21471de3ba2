"""Issued cases: the list, one case (its data and documents), a document of it, all of it in one PDF."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template
from werkzeug.wrappers import Response

from ...config.model import Document, FieldDef
from ..fields import display_value
from ..state import office
from .common import entry_of, send_entry

bp = Blueprint("cases", __name__)

LIST_LIMIT = 200


def _cases_dir() -> Path:
    return office().out_dir / "cases"


def _case_names() -> list[str]:
    try:
        entries = os.scandir(_cases_dir())
    except OSError:
        return []
    with entries:
        found = [
            (e.stat(follow_symlinks=False).st_mtime, e.name)
            for e in entries
            if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
        ]
    return [name for _, name in sorted(found, reverse=True)]


@bp.get("/cases")
def index() -> str:
    names = _case_names()
    return render_template("cases.html", names=names[:LIST_LIMIT], total=len(names))


def case_documents(folder: Path) -> list[tuple[Document, list[str]]]:
    """The documents of a case in issue order (the form, then those issued with it), with their files."""
    project = office().project
    files = set(os.listdir(folder))
    ids = {name.rsplit(".", 1)[0] for name in files if name.endswith((".pdf", ".docx"))}
    present = [d for d in project.documents.values() if d.id in ids]
    children = {i for d in present for i in d.issue_with}
    ordered: list[str] = []
    for doc in present:
        if doc.id not in children:
            ordered.extend(i for i in [doc.id, *doc.issue_with] if i in ids and i not in ordered)
    ordered.extend(d.id for d in present if d.id not in ordered)
    return [(project.documents[i], [n for n in (f"{i}.pdf", f"{i}.docx") if n in files]) for i in ordered]


def _case_data(folder: Path, documents: list[Document]) -> list[tuple[str, str]]:
    try:
        record: dict[str, Any] = json.loads((entry_of(folder, "record.json")).read_text(encoding="utf-8"))
    except Exception:  # an old case without its record, or a hand-edited one: show the documents only
        return []
    policy = office().project.policy
    defs: dict[str, FieldDef] = {}
    for doc in documents:
        for field_def in doc.data_fields():
            defs.setdefault(field_def.id, field_def)
    rows = []
    for key, value in record.items():
        known = defs.get(key)
        shown = display_value(value, policy, list_id=known.list if known else None, kind=known.type if known else None)
        if shown:
            rows.append((known.label if known else key, shown))
    return rows


@bp.get("/cases/<reference>")
def case(reference: str) -> str:
    folder = entry_of(_cases_dir(), reference, want_dir=True)
    documents = case_documents(folder)
    return render_template(
        "case.html",
        reference=reference,
        documents=documents,
        data=_case_data(folder, [d for d, _ in documents]),
    )


@bp.get("/cases/<reference>/<name>")
def file(reference: str, name: str) -> Response:
    folder = entry_of(_cases_dir(), reference, want_dir=True)
    if name == f"{reference}.pdf":
        return _combined(reference, folder)
    return send_entry(folder, name, allowed=frozenset({".pdf", ".docx"}))


def _combined(reference: str, folder: Path) -> Response:
    """Every PDF of the case in one file, in issue order, to print in one go."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for document, names in case_documents(folder):
        if f"{document.id}.pdf" in names:
            writer.append(str(entry_of(folder, f"{document.id}.pdf")))
    if not writer.pages:
        abort(404)
    buffer = io.BytesIO()
    writer.write(buffer)
    response = Response(buffer.getvalue(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{reference}.pdf"'
    return response
