"""A day's sheet (.xlsx or .csv): upload, see each bad row in Arabic, merge the rest, watch, download.

The upload is kept in a private temporary folder outside the output folder (never served, never executed),
parsed by the library, and removed when its merge ends or after an hour. The merge runs in a worker thread
(:mod:`..jobs`); its page refreshes itself until the work is done, with or without JavaScript.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...errors import InputError
from .. import messages
from ..state import office
from .common import MIMETYPES, actor, entry_of, link_for, send_entry
from .documents import fillable

bp = Blueprint("batches", __name__)

SUFFIXES = (".xlsx", ".csv")
UPLOAD_TTL = 3600.0
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Upload:
    token: str
    doc_id: str
    folder: Path
    path: Path
    name: str
    created: float


class Uploads:
    """Sheets uploaded and checked, waiting for the clerk to press «دمج»."""

    def __init__(self) -> None:
        self._items: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def add(self, doc_id: str, name: str, data: bytes, suffix: str) -> Upload:
        self._expire()
        folder = Path(tempfile.mkdtemp(prefix="wathiqa-upload-"))
        path = folder / f"sheet{suffix}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        upload = Upload(secrets.token_urlsafe(16), doc_id, folder, path, name, time.monotonic())
        with self._lock:
            self._items[upload.token] = upload
        return upload

    def take(self, token: str) -> Upload | None:
        with self._lock:
            return self._items.pop(token, None)

    def get(self, token: str) -> Upload | None:
        with self._lock:
            return self._items.get(token)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            old = [u for u in self._items.values() if now - u.created > UPLOAD_TTL]
            for upload in old:
                del self._items[upload.token]
        for upload in old:
            shutil.rmtree(upload.folder, ignore_errors=True)


def _uploads() -> Uploads:
    found = current_app.extensions.get("wathiqa_uploads")
    if not isinstance(found, Uploads):
        found = current_app.extensions.setdefault("wathiqa_uploads", Uploads())
    return found


def _batches_dir() -> Path:
    return office().out_dir / "batches"


def _recent_batches(limit: int = 20) -> list[str]:
    try:
        with os.scandir(_batches_dir()) as entries:
            found = [
                (e.stat(follow_symlinks=False).st_mtime, e.name)
                for e in entries
                if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
            ]
    except OSError:
        return []
    return [name for _, name in sorted(found, reverse=True)[:limit]]


def _documents() -> list[Any]:
    return list(office().project.documents.values())


def _new_page(problem: str | None = None, doc_id: str | None = None, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "batch_new.html", documents=_documents(), recent=_recent_batches(), problem=problem, doc_id=doc_id
    )
    return page, status


@bp.get("/batches/new")
def new() -> tuple[str, int]:
    return _new_page(doc_id=request.args.get("doc"))


def _sheet_problem(name: str, data: bytes, suffix: str) -> str | None:
    if suffix not in SUFFIXES:
        return messages.UPLOAD_TYPE
    if not data:
        return messages.UPLOAD_EMPTY
    if suffix == ".xlsx" and not data.startswith(_XLSX_MAGIC):
        return messages.UPLOAD_NOT_XLSX
    if suffix == ".csv":
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return messages.UPLOAD_NOT_UTF8
    return None


@bp.post("/batches/new")
def upload() -> Any:
    state = office()
    doc_id = request.form.get("document", "")
    if doc_id not in state.project.documents:
        return _new_page(messages.UPLOAD_NO_DOCUMENT, status=422)
    sheet = request.files.get("sheet")
    if sheet is None or not sheet.filename:
        return _new_page(messages.UPLOAD_NO_FILE, doc_id=doc_id, status=422)
    name = os.path.basename(sheet.filename.replace("\\", "/"))
    suffix = os.path.splitext(name)[1].lower()
    data = sheet.read()
    problem = _sheet_problem(name, data, suffix)
    if problem:
        return _new_page(problem, doc_id=doc_id, status=422)
    from ... import validate_batch

    upload = _uploads().add(doc_id, name, data, suffix)
    try:
        total, invalid = validate_batch(state.project, doc_id, upload.path)
    except InputError as err:
        shutil.rmtree(upload.folder, ignore_errors=True)
        _uploads().take(upload.token)
        found = [p.message for p in err.problems] or [str(err)]
        return _new_page(messages.UPLOAD_UNREADABLE.format(messages.JOINED.join(found)), doc_id=doc_id, status=422)
    document = state.project.documents[doc_id]
    return render_template(
        "batch_check.html",
        upload=upload,
        invalid=invalid,
        total=total,
        document=document,
        issues_cases=fillable(document),
    )


@bp.post("/batches/uploads/<token>/merge")
def merge(token: str) -> Response:
    from ... import merge as merge_rows

    upload = _uploads().take(token)
    if upload is None:
        abort(404)
    state = office()
    project, out_dir, doc_id, path = state.project, state.out_dir, upload.doc_id, upload.path
    who = actor()
    issues_cases = fillable(project.documents[doc_id])

    def work(progress: Any) -> Any:
        if issues_cases:  # applications: one case (reference, folder, register row) per good row
            from ...workflow.batch_issue import issue_batch

            return issue_batch(project, doc_id, path, out_dir, progress=progress)
        return merge_rows(project, doc_id, path, out_dir, skip_invalid=True, progress=progress)

    def finished(job: Any) -> None:
        from ...office.audit import record_event

        if issues_cases and job.result:
            for _, reference in job.result.cases:
                record_event(state.db, who, "issue", reference, f"{doc_id} ({upload.name})")
            return
        details = f"{upload.name}: " + (f"{job.result.generated} generated" if job.result else job.error or "")
        record_event(state.db, who, "merge", doc_id, details)

    job = state.jobs.start(doc_id, who, work, upload_dir=upload.folder, on_done=finished)
    return redirect(url_for("batches.job", job_id=job.id))


@bp.get("/batches/jobs/<job_id>")
def job(job_id: str) -> str:
    found = office().jobs.get(job_id)
    if found is None:
        abort(404)
    document = office().project.documents[found.doc_id]
    if found.state == "done" and fillable(document):
        return render_template("batch_issued.html", job=found, document=document, result=found.result)
    batch = None
    files: list[tuple[str, str | None]] = []
    if found.state == "done" and found.result is not None:
        folder = Path(found.result.folder)
        batch = folder.name
        files = [
            (p.name, link_for(p)) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in (".pdf", ".xlsx")
        ]
    return render_template(
        "batch_job.html", job=found, document=document, batch=batch, files=files, issuing=fillable(document)
    )


@bp.get("/batches/template/<doc_id>.xlsx")
def template(doc_id: str) -> Response:
    """An empty sheet with the document's columns (Arabic headers, right to left) to fill and upload."""
    from ..batch_template import template_sheet

    project = office().project
    document = project.documents.get(doc_id)
    if document is None:
        abort(404)
    response = Response(template_sheet(project, document), mimetype=MIMETYPES[".xlsx"])
    response.headers["Content-Disposition"] = f'attachment; filename="{doc_id}-template.xlsx"'
    return response


@bp.get("/batches/<batch>")
def batch(batch: str) -> str:
    folder = entry_of(_batches_dir(), batch, want_dir=True)
    files = sorted(n for n in os.listdir(folder) if n.endswith((".pdf", ".xlsx")) and (folder / n).is_file())
    docx_dir = folder / "docx"
    docx = sorted(os.listdir(docx_dir)) if docx_dir.is_dir() and not docx_dir.is_symlink() else []
    return render_template("batch.html", batch=batch, files=files, docx=[n for n in docx if n.endswith(".docx")])


@bp.get("/batches/<batch>/<name>")
def file(batch: str, name: str) -> Response:
    folder = entry_of(_batches_dir(), batch, want_dir=True)
    if name == "docx.zip":
        return _docx_zip(batch, folder)
    return send_entry(folder, name, allowed=frozenset({".pdf", ".xlsx"}))


@bp.get("/batches/<batch>/docx/<name>")
def docx(batch: str, name: str) -> Response:
    folder = entry_of(entry_of(_batches_dir(), batch, want_dir=True), "docx", want_dir=True)
    return send_entry(folder, name, allowed=frozenset({".docx"}))


def _docx_zip(batch: str, folder: Path) -> Response:
    docx_dir = entry_of(folder, "docx", want_dir=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(os.listdir(docx_dir)):
            path = docx_dir / name
            if name.endswith(".docx") and path.is_file() and not path.is_symlink():
                archive.write(path, name)
    response = Response(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{batch}-docx.zip"'
    return response
