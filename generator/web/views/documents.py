"""The kit (every blank document) and the data-entry form of a document: issue, preview, drafts."""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any, cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...config.model import Document
from ...errors import DataError, InputError
from ...office import submissions
from ...office.drafts import delete_draft as remove_draft
from ...office.drafts import get_draft, list_drafts, save_draft
from ...workflow.duplicates import OpenRequest, open_requests_of
from .. import messages
from ..fields import FormValues, decided_later, form_sections, read_form, record_input
from ..security import keep_forms_with
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
    token: str | None = None,
    same_person: list[OpenRequest] | None = None,
    note: str | None = None,
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
        note=note,
        token=token or new_token(),
        same_person=same_person or [],
        calendar=policy.settings.calendar,
    )
    return page, status


def new_token() -> str:
    """The token of one drawn form: sending the same form twice gives the case it made the first time."""
    return secrets.token_urlsafe(18)


@bp.get("/documents/<doc_id>/new")
def new(doc_id: str) -> Any:
    document = _document(doc_id)
    if not fillable(document):
        abort(404)
    draft_id = request.args.get("draft", type=int)
    values: FormValues = {}
    if draft_id is not None:
        draft = get_draft(office().db, draft_id)
        if draft is None or draft.document != document.id:
            issued = submissions.find(office().db, draft=draft_id)
            if issued is not None:  # the draft was issued (in another tab, by another clerk): its case
                return _already_issued(issued)
            abort(404)
        values = draft.fields
    note = messages.FORM_KEPT if request.args.get("kept") else None
    return _form_page(document, values, {}, draft_id=draft_id, note=note)


def draft_title(document: Document, values: FormValues) -> str:
    """The name a draft is listed under on /drafts: its first text field (the applicant's name)."""
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
    token = request.form.get("_token", "")[:64] or new_token()
    action = request.form.get("_action", "issue")
    if action == "stay":  # Enter pressed in a field: the form's first, hidden button; nothing is issued
        return _form_page(document, values, {}, draft_id=draft_id, token=token, note=messages.ENTER_ISSUES_NOTHING)
    earlier = submissions.find(state.db, token=token, draft=draft_id)
    if earlier is not None and action in ("issue", "draft"):
        return _wait_for(earlier)
    if action == "draft":
        draft_id = save_draft(state.db, document.id, draft_title(document, values), values, actor(), draft_id)
        audit("draft_save", document.id, str(draft_id))
        flash(messages.DRAFT_SAVED, "ok")
        return redirect(url_for("documents.new", doc_id=document.id, draft=draft_id))
    from ... import check_record

    checked = check_record(state.project, document.id, record_input(document, values))
    if checked.errors:
        return _form_page(document, values, dict(checked.errors), draft_id=draft_id, token=token, status=422)
    if action == "preview":
        return _preview(document, values)
    if not request.form.get("_same_person"):
        same_person = open_requests_of(state.project, document.id, checked.record, state.out_dir)
        if same_person:
            return _form_page(document, values, {}, draft_id=draft_id, token=token, same_person=same_person, status=409)
    return _issue(document, values, draft_id, token)


def _preview(document: Document, values: FormValues) -> Response:
    pdf = office().issuer.preview(document.id, record_input(document, values))
    audit("preview", document.id)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{document.id}-draft.pdf"'
    return response


class _InFlight:
    """The issues running in this process, by form token: a second press of the same form waits for the first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}

    def claim(self, token: str, document: str, draft_id: int | None) -> submissions.Submission | None:
        """Claim the form in the database; the winner's event is there before anyone can wait for it."""
        with self._lock:
            earlier = submissions.claim(office().db, token, document, draft_id, actor())
            if earlier is None:
                self._events[token] = threading.Event()
            return earlier

    def done(self, token: str) -> None:
        with self._lock:
            event = self._events.pop(token, None)
        if event is not None:
            event.set()

    def wait(self, token: str, seconds: float) -> None:
        with self._lock:
            event = self._events.get(token)
        if event is not None:  # otherwise made by another process, or already done
            event.wait(seconds)


_in_flight = _InFlight()

WAIT_FOR_FIRST = 60.0
"""How long a second press waits for the first one's case before it is shown «جارٍ الإصدار» instead."""


def _issue(document: Document, values: FormValues, draft_id: int | None, token: str) -> Any:
    state = office()
    earlier = _in_flight.claim(token, document.id, draft_id)
    if earlier is not None:
        return _wait_for(earlier)
    try:
        try:
            result = state.issuer.issue(document.id, record_input(document, values))
        except BaseException:
            submissions.release(state.db, token)
            raise
        submissions.finish(state.db, token, result.reference)
    except DataError as err:
        errors = _field_errors(err, document)
        problem = None if errors else str(err)
        return _form_page(document, values, errors, draft_id=draft_id, problem=problem, token=token, status=422)
    except InputError as err:  # the output folder or a register cannot be written: nothing was issued
        log.warning("issue of %s refused: %s", document.id, err)
        return _form_page(document, values, {}, draft_id=draft_id, problem=str(err), token=token, status=409)
    finally:
        _in_flight.done(token)
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


def _wait_for(earlier: submissions.Submission) -> Any:
    """The same form sent again while its case is being made: wait for that case rather than make another."""
    if earlier.state == "issuing":
        _in_flight.wait(earlier.token, WAIT_FOR_FIRST)
        earlier = submissions.find(office().db, token=earlier.token) or earlier
    return _already_issued(earlier)


def _already_issued(earlier: submissions.Submission) -> Any:
    if earlier.state == "issued" and earlier.reference:
        reference = Markup('<bdi dir="ltr">{}</bdi>').format(earlier.reference)
        flash(Markup(messages.ALREADY_ISSUED).format(reference), "ok")
        return redirect(url_for("cases.case", reference=earlier.reference))
    return redirect(url_for("documents.issuing", token=earlier.token))


@bp.get("/issuing/<token>")
def issuing(token: str) -> Any:
    """A form whose case is still being made (sent twice, or by another process): this page until it is made."""
    earlier = submissions.find(office().db, token=token)
    if earlier is None:
        abort(404)
    if earlier.state == "issued":
        return _already_issued(earlier)
    return render_template("issuing.html", token=token), 202


def keep_refused_form() -> str | None:
    """A form sent after its session ended (or with a stale token): its fields become a draft owned by no one
    yet, and the path that shows them again is returned (the sign-in page goes there; the 400 page links it)."""
    if request.endpoint == "cases.correct" and request.view_args is not None:
        from .cases import keep_refused_correction

        return keep_refused_correction(str(request.view_args.get("reference")))
    if request.endpoint == "decisions.record" and request.view_args is not None:
        from .decisions import keep_refused_decision

        return keep_refused_decision(str(request.view_args.get("reference")))
    if request.endpoint != "documents.submit" or request.view_args is None:
        return None
    state = office()
    document = state.project.documents.get(str(request.view_args.get("doc_id")))
    if document is None or not fillable(document):
        return None
    values = read_form(document, request.form, skip=decided_later(state.project, document))
    if not any(values.values()):
        return None
    draft_id = request.form.get("_draft", type=int)
    draft_id = save_draft(state.db, document.id, draft_title(document, values), values, "", draft_id)
    log.info("a form of %s sent without a valid session was kept as draft %s", document.id, draft_id)
    return url_for("documents.new", doc_id=document.id, draft=draft_id, kept=1)


bp.record_once(lambda setup: keep_forms_with(cast(Flask, setup.app), keep_refused_form))


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
