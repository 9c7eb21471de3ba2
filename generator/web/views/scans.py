"""/scans: upload the morning's signed stack, follow its reading, and put by hand what it could not file.

The upload is spooled to a private temporary folder (never served) and scanned by the library in the app's
job worker (:mod:`..jobs`), whose page refreshes itself until done. The queue lists every page waiting with
its thumbnail, why it waits, and a form to file it into a case (reference, document, page: filled in from its
code where the code said it) or to discard it. Pictures are served by queue id only, never by a path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from ...content.page_code import parse_page_code
from ...errors import InputError
from ...scan import REASONS, Waiting, assign_page, discard, waiting, waiting_page
from ...scan.queue import SCANS_DIR
from .. import messages
from ..state import office
from .common import actor, audit, entry_of, link_for
from .documents import new_token

bp = Blueprint("scans", __name__)


def _form_defaults(page: Waiting) -> dict[str, Any]:
    """What the assign form starts with: the case, document and page the code says, when it says them."""
    code = parse_page_code(page.code) if page.code else None
    if code is None:
        return {"reference": "", "document": "", "page": ""}
    forms = {d.code: d.id for d in office().project.documents.values()}
    return {
        "reference": code.reference or "",
        "document": forms.get(code.form_code, ""),
        "page": str(code.page) if code.page else "",
    }


def _index(problems: dict[int, str] | None = None, upload_problem: str | None = None, status: int = 200) -> Any:
    pages = waiting(office().db)
    page = render_template(
        "scans.html",
        pages=pages,
        reasons=REASONS,
        defaults={p.id: _form_defaults(p) for p in pages},
        documents=list(office().project.documents.values()),
        problems=problems or {},
        upload_problem=upload_problem,
        upload_token=new_token(),
    )
    return page, status


@bp.get("/scans")
def index() -> Any:
    return _index()


@bp.post("/scans")
def upload() -> Any:
    files = [f for f in request.files.getlist("stack") if f.filename]
    if not files:
        return _index(upload_problem=messages.SCAN_NO_FILE, status=422)
    folder = Path(tempfile.mkdtemp(prefix="wathiqa-scan-"))
    paths = []
    for number, stored in enumerate(files, 1):
        name = os.path.basename(stored.filename.replace("\\", "/")) if stored.filename else ""
        path = folder / f"{number:03d}" / (name or "scan")  # the clerk's own file name, shown in the queue
        path.parent.mkdir()
        stored.save(path)  # streamed from werkzeug's spooled file: a big stack is never held whole
        paths.append(path)
    state = office()
    project, out_dir, who = state.project, state.out_dir, actor()

    def work(progress: Any) -> Any:
        from ... import scan_stack

        return scan_stack(project, paths, out_dir, actor=who, progress=progress)

    token = request.form.get("_token", "")[:64]
    job = state.jobs.start("scan", who, work, upload_dir=folder, token=token)  # pressed twice: the first job
    return redirect(url_for("scans.job", job_id=job.id))


@bp.get("/scans/jobs/<job_id>")
def job(job_id: str) -> str:
    found = office().jobs.get(job_id)
    if found is None or found.doc_id != "scan":
        abort(404)
    filed = []
    if found.state == "done" and found.result is not None:
        filed = [(f, link_for(f.path)) for f in found.result.filed]
    return render_template("scan_job.html", job=found, filed=filed, reasons=REASONS)


def _picture(page_id: int, which: str) -> Response:
    page = waiting_page(office().db, page_id)
    if page is None:
        abort(404)
    name = page.thumbnail if which == "thumb" else page.image
    path = office().out_dir / SCANS_DIR / name
    if not path.is_file() or path.is_symlink():
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)


@bp.get("/scans/pages/<int:page_id>/thumb")
def thumbnail(page_id: int) -> Response:
    return _picture(page_id, "thumb")


@bp.get("/scans/pages/<int:page_id>/image")
def image(page_id: int) -> Response:
    return _picture(page_id, "image")


@bp.post("/scans/pages/<int:page_id>/assign")
def assign(page_id: int) -> Any:
    state = office()
    reference = request.form.get("reference", "").strip()
    doc_id = request.form.get("document", "")
    try:
        number = int(request.form.get("page", "").strip().translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))
    except ValueError:
        return _index({page_id: messages.SCAN_PAGE_NUMBER}, status=422)
    try:
        filed = assign_page(state.project, state.out_dir, page_id, reference, doc_id, number, actor=actor())
    except InputError as err:
        return _index({page_id: str(err)}, status=422)
    flash(messages.SCAN_FILED.format(filed.reference), "ok")
    return redirect(url_for("scans.index"))


@bp.post("/scans/pages/<int:page_id>/discard")
def throw_away(page_id: int) -> Response:
    page = waiting_page(office().db, page_id)
    if page is None or not discard(office().db, page_id, actor()):
        flash(messages.SCAN_GONE, "error")
    else:
        audit("scan_discard", str(page_id), f"{page.source} {page.page} {page.code}")
        flash(messages.SCAN_DISCARDED, "ok")
    return redirect(url_for("scans.index"))


# --------------------------------------------------------------------------------------------- a case's papers


@bp.app_context_processor
def _papers() -> dict[str, Any]:
    """``case_papers(reference)`` for the case page's «الأوراق الموقعة والمرفقات» (``_case_papers.html``)."""
    from ...workflow.papers import case_papers

    def papers(reference: str) -> Any:
        state = office()
        return case_papers(state.project, state.out_dir, reference)

    return {"case_papers": papers}


@bp.post("/cases/<reference>/attachments")
def attach(reference: str) -> Response:
    from ...workflow.papers import attach as keep

    state = office()
    entry_of(state.out_dir / "cases", reference, want_dir=True)
    item = request.form.get("item", "")
    stored = request.files.get("file")
    data = stored.read() if stored is not None and stored.filename else b""
    try:
        path = keep(state.project, state.out_dir, reference, item, data)
    except InputError as err:
        flash(messages.ATTACH_FAILED.format(err), "error")
    else:
        audit("attach", reference, path.name)
        flash(messages.ATTACHED, "ok")
    return redirect(url_for("cases.case", reference=reference) + "#papers")
