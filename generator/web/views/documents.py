"""The kit (every blank document) and the data-entry form of a document: issue, preview, drafts."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...config.model import Document
from ...errors import DataError, InputError
from ...office.drafts import delete_draft as remove_draft
from ...office.drafts import get_draft, list_drafts, save_draft
from .. import messages
from ..fields import FormValues, decided_later, form_sections, read_form, record_input
from ..state import office
from .common import actor, audit, entry_of, send_entry

log = logging.getLogger(__name__)

bp = Blueprint("documents", __name__)

_kit_lock = threading.Lock()


def fillable(document: Document) -> bool:
    """Documents a clerk fills and issues on their own (decision letters come from the decisions page)."""
    return document.numbering is not None and document.register_id is not None and document.answers is None


def _document(doc_id: str) -> Document:
    document = office().project.documents.get(doc_id)
    if document is None:
        abort(404)
    return document


@bp.get("/documents")
def kit() -> str:
    project = office().project
    with_parent = {child: parent.title for parent in project.documents.values() for child in parent.issue_with}
    return render_template(
        "documents.html",
        documents=list(project.documents.values()),
        fillable={d.id for d in project.documents.values() if fillable(d)},
        with_parent=with_parent,
    )


@bp.get("/documents/<doc_id>/blank.<suffix>")
def blank(doc_id: str, suffix: str) -> Response:
    document = _document(doc_id)
    if suffix not in ("pdf", "docx"):
        abort(404)
    state = office()
    folder = state.out_dir / "blank"
    name = f"{document.id}.{suffix}"
    if not (folder / name).is_file():
        from ... import build_kit

        with _kit_lock:
            if not (folder / name).is_file():
                build_kit(state.project, state.out_dir, only=[document.id])
    return send_entry(folder, name)


@bp.get("/fonts/<name>")
def font(name: str) -> Response:
    return send_entry(office().project.templates_dir / "fonts", name, allowed=frozenset({".ttf"}))


def _form_page(
    document: Document,
    values: FormValues,
    errors: dict[str, str],
    *,
    draft_id: int | None = None,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    project = office().project
    policy = project.policy
    page = render_template(
        "form.html",
        document=document,
        sections=form_sections(document, policy, values, errors, skip=decided_later(project, document)),
        error_count=len(errors),
        draft_id=draft_id,
        problem=problem,
        calendar=policy.settings.calendar,
    )
    return page, status


@bp.get("/documents/<doc_id>/new")
def new(doc_id: str) -> tuple[str, int]:
    document = _document(doc_id)
    if not fillable(document):
        abort(404)
    draft_id = request.args.get("draft", type=int)
    values: FormValues = {}
    if draft_id is not None:
        draft = get_draft(office().db, draft_id)
        if draft is None or draft.document != document.id:
            abort(404)
        values = draft.fields
    return _form_page(document, values, {}, draft_id=draft_id)


def _draft_title(document: Document, values: FormValues) -> str:
    for f in document.input_fields():
        value = values.get(f.id)
        if f.type == "text" and isinstance(value, str) and value:
            return value[:80]
    return ""


def _field_errors(err: DataError, document: Document) -> dict[str, str]:
    known = {f.id for f in document.input_fields()}
    labels = {f.id: f.label for f in document.input_fields()}
    errors: dict[str, str] = {}
    for problem in err.problems:
        field_id = problem.path.split(".")[0].split("[")[0]
        if field_id in known:
            message = problem.message
            prefix = f"«{labels[field_id]}»: "
            errors.setdefault(field_id, message.removeprefix(prefix))
    return errors


@bp.post("/documents/<doc_id>/new")
def submit(doc_id: str) -> Any:
    document = _document(doc_id)
    if not fillable(document):
        abort(404)
    state = office()
    values = read_form(document, request.form, skip=decided_later(state.project, document))
    draft_id = request.form.get("_draft", type=int)
    action = request.form.get("_action", "issue")
    if action == "draft":
        draft_id = save_draft(state.db, document.id, _draft_title(document, values), values, actor(), draft_id)
        audit("draft_save", document.id, str(draft_id))
        flash(messages.DRAFT_SAVED, "ok")
        return redirect(url_for("documents.new", doc_id=document.id, draft=draft_id))
    from ... import check_record

    checked = check_record(state.project, document.id, record_input(document, values))
    if checked.errors:
        return _form_page(document, values, dict(checked.errors), draft_id=draft_id, status=422)
    if action == "preview":
        return _preview(document, values)
    return _issue(document, values, draft_id)


def _preview(document: Document, values: FormValues) -> Response:
    pdf = office().issuer.preview(document.id, record_input(document, values))
    audit("preview", document.id)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{document.id}-draft.pdf"'
    return response


def _issue(document: Document, values: FormValues, draft_id: int | None) -> Any:
    state = office()
    try:
        result = state.issuer.issue(document.id, record_input(document, values))
    except DataError as err:
        errors = _field_errors(err, document)
        problem = None if errors else str(err)
        return _form_page(document, values, errors, draft_id=draft_id, problem=problem, status=422)
    except InputError as err:  # the output folder or a register cannot be written: nothing was issued
        log.warning("issue of %s refused: %s", document.id, err)
        return _form_page(document, values, {}, draft_id=draft_id, problem=str(err), status=409)
    audit("issue", result.reference, document.id + (" (pending)" if result.pending else ""))
    if draft_id is not None:
        remove_draft(state.db, draft_id)
    reference = Markup('<bdi dir="ltr">{}</bdi>').format(result.reference)
    if result.pending:
        message = Markup(messages.ISSUED_PENDING)
        flash(message.format(reference, result.waiting_reason), "pending")
    else:
        flash(Markup(messages.ISSUED).format(reference), "ok")
    return redirect(url_for("cases.case", reference=result.reference))


@bp.get("/drafts")
def drafts() -> str:
    project = office().project
    titles = {d.id: d.title for d in project.documents.values()}
    return render_template("drafts.html", drafts=list_drafts(office().db), titles=titles)


@bp.post("/drafts/<int:draft_id>/delete")
def delete_draft(draft_id: int) -> Response:
    if not remove_draft(office().db, draft_id):
        abort(404)
    audit("draft_delete", str(draft_id))
    flash(messages.DRAFT_DELETED, "ok")
    return redirect(url_for("documents.drafts"))


__all__ = ["bp", "entry_of", "fillable"]
