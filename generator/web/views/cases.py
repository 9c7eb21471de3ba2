"""Issued cases: the list, one case (its data, documents and history), a document of it, all of it in one PDF;
correcting a case (the issue form, prefilled), voiding it, setting its status."""

from __future__ import annotations

import functools
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...config.model import Document, FieldDef
from ...content.text import to_hijri
from ...errors import CaseStateError, DataError, InputError
from ...office.drafts import CORRECTION, delete_draft, get_draft, save_draft
from ...workflow.amend import CaseChangedError, IssuedCase, open_case, settable_statuses
from .. import messages
from ..display import shown_digits
from ..fields import FormValues, decided_later, display_value, form_sections, read_form, record_input
from ..security import current_user, role_required
from ..state import office
from .common import actor, entry_of, send_entry
from .documents import draft_title, new_token

log = logging.getLogger(__name__)

bp = Blueprint("cases", __name__)

PAGE_SIZE = 25
"""Cases per page of the list (``WATHIQA_CASES_PAGE`` in the app's configuration changes it)."""


def _cases_dir() -> Path:
    return office().out_dir / "cases"


@bp.get("/cases")
def index() -> str:
    """Every role finds a case here: by reference, name, national ID or mobile (spelt any way), status, dates."""
    from ...content.validate import FieldError, check_date
    from ...workflow.find import case_registers, find_cases

    state = office()
    policy = state.project.policy
    query = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    statuses = _search_statuses()
    if status not in statuses:
        status = ""
    days: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in ("from", "to"):
        typed = request.args.get(key, "").strip()
        if typed:
            try:
                days[key] = check_date(typed, policy.settings.calendar)
            except FieldError as err:
                errors[key] = err.message_ar
    hits = [] if errors else find_cases(
        state.project, state.out_dir, query=query, status=status, start=days.get("from"), end=days.get("to")
    )  # fmt: skip
    size = int(current_app.config.get("WATHIQA_CASES_PAGE", PAGE_SIZE))
    pages = max(1, -(-len(hits) // size))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    shown = hits[(page - 1) * size : page * size]
    return render_template(
        "cases.html",
        hits=[(h, display_value(h.day, policy), statuses.get(h.status, "")) for h in shown],
        total=len(hits),
        page=page,
        pages=pages,
        query=query,
        status=status,
        statuses=statuses,
        typed={k: request.args.get(k, "") for k in ("from", "to")},
        errors=errors,
        searched=bool(query or status or request.args.get("from") or request.args.get("to")),
        any_register=bool(case_registers(state.project)),
        page_link=lambda n: url_for("cases.index", **{**request.args.to_dict(), "page": n}),
    )


def _search_statuses() -> dict[str, str]:
    """Every status of the registers of cases, by option id (the policy's labels)."""
    from ...workflow.find import case_registers

    project = office().project
    found: dict[str, str] = {}
    for register_id in case_registers(project):
        column = next((c for c in project.register_columns(register_id) if c.id == "status" and c.list), None)
        if column is not None and column.list is not None:
            found.update(project.policy.lists[column.list].labels())
    return found


@dataclass(frozen=True)
class CaseFile:
    """One document of a case as the page lists it: its title, its files, and a letter's own reference."""

    document: Document
    title: str
    pdf: str | None
    docx: str | None = None
    note: str = ""


def case_documents(folder: Path) -> list[CaseFile]:
    """The documents of a case in issue order (the form, then those issued with it), then the decision letters
    sent for it (their copies ``LETTER-REFERENCE-DOC_ID.pdf``), oldest first."""
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
    def present_file(name: str) -> str | None:
        return name if name in files else None

    found = [
        CaseFile(project.documents[i], project.documents[i].title, present_file(f"{i}.pdf"), present_file(f"{i}.docx"))
        for i in ordered
    ]
    letters = [d for d in project.documents.values() if d.answers is not None]
    for name in sorted(files):
        letter = next((d for d in letters if name.endswith(f"-{d.id}.pdf")), None)
        if letter is not None:
            found.append(CaseFile(letter, letter.title, name, note=name.removesuffix(f"-{letter.id}.pdf")))
    return found


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


def _issued_case(reference: str) -> IssuedCase | None:
    """The case as the library reads it (history, register row); None for a folder it cannot read (an old one)."""
    entry_of(_cases_dir(), reference, want_dir=True)
    state = office()
    try:
        return open_case(state.project, state.out_dir, reference)
    except InputError:
        return None


@bp.get("/cases/<reference>")
def case(reference: str) -> str:
    folder = entry_of(_cases_dir(), reference, want_dir=True)
    documents = case_documents(folder)
    issued = _issued_case(reference)
    register_id = issued.document.register_id if issued else None
    statuses = settable_statuses(office().project, register_id) if register_id and issued and issued.row else []
    return render_template(
        "case.html",
        reference=reference,
        documents=documents,
        data=_case_data(folder, [f.document for f in documents if not f.note]),
        case=issued,
        story=_story(issued),
        statuses=statuses,
        may_correct=_may_correct(issued),
        status_token=new_token(),
        void_token=new_token(),
    )


def _may_correct(issued: IssuedCase | None) -> bool:
    user = current_user()
    if issued is None or issued.voided or user is None:
        return False
    return not issued.answered or user.can("archivist")


def _story(issued: IssuedCase | None) -> list[dict[str, str]]:
    """The case's timeline as the page lists it: what happened, when, by whom, and the detail (a reason, a note)."""
    from ...content.text import count_ar, to_display_digits, today
    from ...workflow.story import case_story

    if issued is None:
        return []
    state = office()
    policy = state.project.policy
    digits = policy.settings.digits
    labels = _status_labels(issued)
    rows = []
    for event in case_story(state.project, state.out_dir, issued, today()):
        detail = event.detail
        if event.kind == "status":
            status = labels.get(event.link, event.link)
            detail = f"{status} — {detail}" if detail else status
        elif event.kind in ("waiting", "due"):
            detail = messages.STORY_WAITED.format(count_ar(int(event.detail or 0), messages.DAYS, digits))
        elif event.kind == "correct":
            kept = messages.STORY_KEPT.format(event.link)
            detail = f"{kept} — {detail}" if detail else kept
        rows.append(
            {
                "kind": event.kind,
                "what": messages.STORY.get(event.kind, event.kind),
                "day": display_value(event.day, policy) if event.day else "",
                "detail": to_display_digits(detail, digits) if event.kind in ("waiting", "due") else detail,
                "by": event.by,
                "link": event.link,
            }
        )
    return rows


def _status_labels(issued: IssuedCase) -> dict[str, str]:
    project = office().project
    register_id = issued.document.register_id
    column = next((c for c in project.register_columns(register_id) if c.id == "status"), None) if register_id else None
    return project.policy.lists[column.list].labels() if column and column.list else {}


# ------------------------------------------------------------------------------------------- correct
def form_values(document: Document, record: dict[str, Any]) -> FormValues:
    """The issue form's values from a recorded case: what the clerk would type to issue it again."""
    calendar = office().project.policy.settings.calendar
    values: FormValues = {}
    for f in document.input_fields():
        value = record.get(f.id)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            values[f.id] = [str(v) for v in value]
        elif isinstance(value, bool):
            values[f.id] = "yes" if value else "no"
        elif f.type == "date" and isinstance(value, str):
            values[f.id] = _date_text(value, calendar)
        else:
            values[f.id] = str(value)
    return values


def _date_text(iso: str, calendar: str) -> str:
    from datetime import date

    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    if calendar == "hijri":
        year, month, number = to_hijri(day)
        return f"{year:04d}-{month:02d}-{number:02d}"
    return day.isoformat()


def _correct_page(
    issued: IssuedCase,
    values: FormValues,
    errors: dict[str, str],
    problem: str | None = None,
    status: int = 200,
    *,
    token: str | None = None,
    version: int | None = None,
    differences: list[tuple[str, str]] | None = None,
    note: str | None = None,
    draft_id: int | None = None,
    reason: str | None = None,
) -> tuple[str, int]:
    """The correction form. ``token`` and ``version`` travel with it: the same form sent twice makes one version,
    and a form drawn before another clerk's correction is not issued over it without a look."""
    project = office().project
    document = issued.document
    page = render_template(
        "case_correct.html",
        case=issued,
        document=document,
        sections=form_sections(document, project.policy, values, errors, skip=decided_later(project, document)),
        error_count=len(errors),
        problem=problem,
        calendar=project.policy.settings.calendar,
        token=token or new_token(),
        version=issued.version if version is None else version,
        differences=differences or [],
        note=note,
        draft_id=draft_id,
        reason=request.form.get("_reason", "") if reason is None else reason,
    )
    return page, status


def _differences(document: Document, sent: dict[str, Any], now: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields the clerk sees where the data sent (validated) differs from the case as another correction
    left it: each field's label and the value there now («—»: empty now)."""
    skip = decided_later(office().project, document)
    there = form_values(document, now)
    return [
        (f.label, _shown_value(there.get(f.id)))
        for f in document.input_fields()
        if f.id not in skip and sent.get(f.id) != now.get(f.id)
    ]


def _shown_value(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return "، ".join(value)
    return value or "—"


def _correctable(reference: str) -> IssuedCase:
    issued = _issued_case(reference)
    if issued is None:
        abort(404)
    return issued


@bp.get("/cases/<reference>/correct")
def correct_form(reference: str) -> tuple[str, int] | Response:
    issued = _correctable(reference)
    refusal = _correction_refused(issued)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("cases.case", reference=reference))
    draft_id = request.args.get("draft", type=int)
    if draft_id is not None:  # a correction kept when its session ended: what the clerk typed, as typed
        draft = get_draft(office().db, draft_id)
        if draft is None or draft.document != CORRECTION + reference:
            abort(404)
        values = {k: v for k, v in draft.fields.items() if not k.startswith("_")}
        version = str(draft.fields.get("_version", ""))
        return _correct_page(
            issued, values, {}, note=messages.CORRECTION_KEPT, draft_id=draft_id,
            version=int(version) if version.isdigit() else None, reason=str(draft.fields.get("_reason", "")),
        )  # fmt: skip
    return _correct_page(issued, form_values(issued.document, issued.record), {})


def keep_refused_correction(reference: str) -> str | None:
    """A correction sent after its session ended: its fields (and the version it was drawn from) become a draft
    of that case's correction, and the path that shows them again is returned."""
    issued = _issued_case(reference)
    if issued is None:
        return None
    state = office()
    values: dict[str, str | list[str]] = dict(
        read_form(issued.document, request.form, skip=decided_later(state.project, issued.document))
    )
    if not values:
        return None
    for key in ("_version", "_reason"):
        if request.form.get(key, "").strip():
            values[key] = request.form.get(key, "").strip()
    draft_id = request.form.get("_draft", type=int)
    draft_id = save_draft(state.db, CORRECTION + reference, draft_title(issued.document, values), values, "", draft_id)
    log.info("a correction of %s sent without a valid session was kept as draft %s", reference, draft_id)
    return url_for("cases.correct_form", reference=reference, draft=draft_id)


def _correction_refused(issued: IssuedCase) -> str | None:
    from ...workflow.amend import MSG_ANSWERED, MSG_VOIDED

    if issued.voided:
        return MSG_VOIDED
    user = current_user()
    if issued.answered and not (user and user.can("archivist")):
        return MSG_ANSWERED
    return None


@bp.post("/cases/<reference>/correct")
def correct(reference: str) -> Any:
    from ... import check_record, correct_case

    issued = _correctable(reference)
    state = office()
    document = issued.document
    values = read_form(document, request.form, skip=decided_later(state.project, document))
    reason = request.form.get("_reason", "").strip()
    token = request.form.get("_token", "")[:64]
    version = request.form.get("_version", type=int)
    draft_id = request.form.get("_draft", type=int)
    again = functools.partial(_correct_page, issued, values, token=token or None, version=version, draft_id=draft_id)
    if request.form.get("_action") == "stay":  # Enter pressed in a field: nothing is corrected
        return again({}, note=messages.ENTER_CORRECTS_NOTHING)
    checked = check_record(state.project, document.id, record_input(document, values))
    if checked.errors:
        return again(dict(checked.errors), status=422)
    user = current_user()
    try:
        result = correct_case(
            state.project, state.out_dir, reference, record_input(document, values), by=actor(), reason=reason,
            renderers=state.issuer.renderers(), after_answer=bool(user and user.can("archivist")),
            base_version=version, token=token,
        )  # fmt: skip
    except CaseChangedError as err:  # the form now stands on the version there: sent again, it is issued
        differences = _differences(document, checked.record, err.record)
        return again({}, str(err), 409, version=err.later.version, differences=differences)
    except CaseStateError as err:
        return again({}, str(err), 409)
    except DataError as err:
        return again({}, str(err), 422)
    draft = get_draft(state.db, draft_id) if draft_id is not None else None
    if draft is not None and draft.document == CORRECTION + reference:
        delete_draft(state.db, draft.id)
    shown = Markup('<bdi dir="ltr">{}</bdi>').format(reference)
    number = shown_digits(result.version, state.project.policy)
    if result.repeated:
        flash(Markup(messages.CORRECTED_BEFORE).format(shown, number), "ok")
    elif result.pending:
        flash(Markup(messages.CORRECTED_PENDING).format(shown, number, result.waiting_reason), "pending")
    else:
        flash(Markup(messages.CORRECTED).format(shown, number), "ok")
    return redirect(url_for("cases.case", reference=reference))


# ------------------------------------------------------------------------------------------- void, status
@bp.post("/cases/<reference>/void")
@role_required("archivist")
def void(reference: str) -> Response:
    from ... import void_case

    _correctable(reference)
    state = office()
    try:
        result = void_case(
            state.project, state.out_dir, reference, request.form.get("reason", ""), by=actor(),
            token=request.form.get("_token", "")[:64],
        )  # fmt: skip
    except CaseStateError as err:
        flash(str(err), "error")
        return redirect(url_for("cases.case", reference=reference))
    flash(messages.VOIDED_PENDING.format(result.waiting_reason) if result.pending else messages.VOIDED, "ok")
    return redirect(url_for("cases.case", reference=reference))


@bp.post("/cases/<reference>/status")
@role_required("archivist")
def status(reference: str) -> Response:
    from ... import set_case_status

    _correctable(reference)
    state = office()
    try:
        result = set_case_status(
            state.project, state.out_dir, reference, request.form.get("status", ""), request.form.get("note", ""),
            by=actor(), token=request.form.get("_token", "")[:64],
        )  # fmt: skip
    except CaseStateError as err:
        flash(str(err), "error")
        return redirect(url_for("cases.case", reference=reference))
    flash(messages.STATUS_SET_PENDING.format(result.waiting_reason) if result.pending else messages.STATUS_SET, "ok")
    return redirect(url_for("cases.case", reference=reference))


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
    for found in case_documents(folder):  # the decision letters too: the whole case in one print
        if found.pdf:
            writer.append(str(entry_of(folder, found.pdf)))
    if not writer.pages:
        abort(404)
    buffer = io.BytesIO()
    writer.write(buffer)
    response = Response(buffer.getvalue(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{reference}.pdf"'
    return response
