"""Requests awaiting a decision: accept, or apologise with a reason; then the letters (the decide workflow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ...config.model import Register
from ...config.project import RegisterColumn
from ...errors import AlreadyAnsweredError, InputError
from ...office.drafts import delete_draft, get_draft, list_drafts, save_draft
from .. import messages
from ..fields import display_value
from ..security import role_required
from ..state import office
from .common import audit, entry_of, link_for

bp = Blueprint("decisions", __name__)


@dataclass(frozen=True)
class DecisionRegister:
    """A register whose rows get decision letters, and the columns the decisions page needs."""

    register: Register
    decision: RegisterColumn
    reason: RegisterColumn | None
    details: RegisterColumn | None
    shown: list[RegisterColumn]


def decision_registers() -> list[DecisionRegister]:
    project = office().project
    found: dict[str, DecisionRegister] = {}
    for document in project.documents.values():
        if document.answers is None or document.answers.register_id in found:
            continue
        register = project.registers[document.answers.register_id]
        columns = project.register_columns(register.id)
        decision = next(c for c in columns if c.id == document.answers.column)
        status = register.answered.status_column if register.answered else None
        # the reason of an apology: the register's own choice column that is neither the decision nor the status
        reason = next(
            (c for c in columns if c.type == "choice" and c.field is None and c.id not in (decision.id, status)),
            None,
        )
        # its details: the free-text column right after the reason, if there is one
        after = columns[columns.index(reason) + 1] if reason and columns.index(reason) + 1 < len(columns) else None
        details = after if after is not None and after.type == "long_text" and after.field is None else None
        reference = [c for c in columns if c.type == "reference"]
        names = [c for c in columns if c.field is not None and c.type == "text"][:1]
        kinds = [c for c in columns if c.field is not None and c.type == "choice" and c.field.required][:1]
        dates = [c for c in columns if c.field is None and c.type == "date"][:2]
        found[register.id] = DecisionRegister(register, decision, reason, details, [*reference, *names, *kinds, *dates])
    return list(found.values())


def _rows(entry: DecisionRegister) -> tuple[list[Any], list[Any]]:
    """(rows awaiting a decision, rows decided whose letter is not written yet)."""
    state = office()
    if not (state.out_dir / "registers" / f"{entry.register.id}.xlsx").is_file():
        return [], []
    from ... import read_register

    table = read_register(state.project, entry.register.id, state.out_dir)
    letter_column = entry.register.answered.letter_column if entry.register.answered else None
    awaiting, unanswered = [], []
    for row in table.rows:
        if _voided(row):
            continue
        if not row.values.get(entry.decision.id):
            awaiting.append(row)
        elif letter_column and not row.values.get(letter_column):
            unanswered.append(row)
    return awaiting, unanswered


def _voided(row: Any) -> bool:
    """A voided case is never decided: it is not listed."""
    from ...workflow.amend import VOID

    return bool(row.values.get("status") == VOID)


def _cells(entry: DecisionRegister, row: Any) -> list[str]:
    policy = office().project.policy
    return [display_value(row.values.get(c.id), policy, list_id=c.list, kind=c.type) for c in entry.shown]


@bp.get("/decisions")
@role_required("archivist")
def index() -> tuple[str, int]:
    refused = session.pop(_REFUSED, None)
    if isinstance(refused, dict):
        return _page(problem=str(refused.get("problem", "")), problem_reference=str(refused.get("reference", "")),
                     kept=refused)  # fmt: skip
    draft_id = request.args.get("kept", type=int)
    if draft_id is not None:  # a decision sent when the session had ended: what was chosen and typed, as it was
        draft = get_draft(office().db, draft_id)
        if draft is None or not draft.document.startswith(DECISION):
            abort(404)
        kept = {k: v for k, v in draft.fields.items() if isinstance(v, str)}
        return _page(problem=messages.DECISION_KEPT, problem_reference=kept.get("_reference", ""), kept=kept)
    return _page(_batch_shown(request.args.get("batch", "")))


DECISION = "decide:"
"""The ``document`` of a draft that holds a decision sent after its session ended: ``decide:REFERENCE``."""
_TYPED = ("decision", "reason", "details", "early_reason")


def keep_refused_decision(reference: str) -> str | None:
    """A decision sent after its session ended: what was chosen and typed becomes a draft, and the decisions
    page shows it again beside its request after sign-in (until the decision is recorded)."""
    typed = {k: request.form.get(k, "").strip() for k in _TYPED}
    if not any(typed.values()):
        return None
    fields: dict[str, str | list[str]] = {k: v for k, v in typed.items() if v}
    fields["_reference"] = reference
    title = f"قرار الطلب {reference}"
    earlier = next((d.id for d in list_drafts(office().db) if d.document == DECISION + reference), None)
    draft_id = save_draft(office().db, DECISION + reference, title, fields, "", earlier)
    return url_for("decisions.index", kept=draft_id) + f"#d-{reference}"


_REFUSED = "decision_refused"
"""Session key: the decision the archivist sent and why it was not recorded, shown once by the next GET."""


def _refused(reference: str, problem: str) -> Response:
    """Nothing was recorded: back to the page (a GET), the message beside the request and what was chosen kept."""
    kept = {k: request.form.get(k, "") for k in ("decision", "reason", "details", "early_reason")}
    session[_REFUSED] = {"reference": reference, "problem": problem, **kept}
    return redirect(url_for("decisions.index") + f"#d-{reference}")


def _batch_shown(name: str) -> Any:
    """The letters of a decisions batch, read back from its folder: what a POST wrote, shown by the GET it
    redirected to (POST-redirect-GET: reloading or going Back never records or writes anything again)."""
    import json

    from ...workflow.decide import LETTERS_FILE, DecideResult, LetterWritten

    if not name:
        return None
    out_dir = office().out_dir
    folder = entry_of(out_dir / "batches", name, want_dir=True)
    try:
        manifest = json.loads(entry_of(folder, LETTERS_FILE).read_text(encoding="utf-8"))
    except ValueError:
        abort(404)
    result = DecideResult(folders=[folder])
    for item in manifest:
        letter, request_reference, doc_id = str(item["letter"]), str(item["request"]), str(item["document"])
        name = f"{letter}-{doc_id}"
        files = [folder / "docx" / f"{name}.docx", out_dir / "cases" / request_reference / f"{name}.pdf"]
        result.letters.append(LetterWritten(request_reference, letter, doc_id, [f for f in files if f.is_file()]))
    return result


def _page(
    result: Any = None,
    problem: str | None = None,
    status: int = 200,
    problem_reference: str = "",
    kept: dict[str, Any] | None = None,
    answered: AlreadyAnsweredError | None = None,
) -> tuple[str, int]:
    policy = office().project.policy
    sections = []
    for entry in decision_registers():
        awaiting, unanswered = _rows(entry)
        sections.append(
            {
                "entry": entry,
                "awaiting": [(row, _cells(entry, row), *_timing_shown(t)) for row, t in due_first(entry, awaiting)],
                "unanswered": [(row, _cells(entry, row)) for row in unanswered],
                "decisions": [(i.id, i.label) for i in policy.lists[entry.decision.list or ""].items],
                "reasons": [(i.id, i.label) for i in policy.lists[entry.reason.list or ""].items]
                if entry.reason
                else [],
            }
        )
    letters = []
    if result is not None:
        titles = {d.id: d.title for d in office().project.documents.values()}
        for letter in result.letters:
            files = [(p.name, link_for(p)) for p in letter.files if p.suffix in (".pdf", ".docx")]
            letters.append((letter, titles.get(letter.document_id, letter.document_id), files))
    page = render_template(
        "decisions.html",
        sections=sections,
        result=result,
        letters=letters,
        problem=problem,
        answered=answered,
        problem_reference=problem_reference,
        kept=kept or {},
        early_refused=policy.service_standard.early_decisions == "refuse",
        print_link=_print_link(result),
    )
    return page, status


def _print_link(result: Any) -> str | None:
    if result is None:
        return None
    for folder in result.folders:
        if (Path(folder) / "print.pdf").is_file():
            return link_for(Path(folder) / "print.pdf")
    return None


def _decide() -> Any:
    from ... import decide

    state = office()
    result = decide(state.project, state.out_dir, renderers=state.issuer.renderers())
    audit("decide", "", f"{len(result.letters)} letters")
    return result


@bp.post("/decisions/<register_id>/<reference>")
@role_required("archivist")
def record(register_id: str, reference: str) -> Any:
    from ... import record_and_decide

    state = office()
    entry = next((e for e in decision_registers() if e.register.id == register_id), None)
    if entry is None:
        abort(404)
    decision = request.form.get("decision", "")
    if not decision:
        return _refused(reference, messages.CHOOSE_DECISION)
    values: dict[str, Any] = {}
    reason = request.form.get("reason", "").strip()
    details = request.form.get("details", "").strip()
    if entry.reason is not None and reason:
        values[entry.reason.id] = reason
    if entry.details is not None and details:
        values[entry.details.id] = details
    early_reason = request.form.get("early_reason", "").strip()
    try:
        answered = record_and_decide(
            state.project, state.out_dir, reference, decision, values, register_id=register_id,
            renderers=state.issuer.renderers(), early_reason=early_reason,
        )  # fmt: skip
    except AlreadyAnsweredError as err:  # a second click, or a colleague who answered it a moment before
        return _page(answered=err, status=409)
    except InputError as err:  # back to the page, the problem beside the request (POST-redirect-GET)
        return _refused(reference, _arabic_problem(err))
    for draft in list_drafts(state.db):  # a decision kept when a session ended is recorded now
        if draft.document == DECISION + reference:
            delete_draft(state.db, draft.id)
    if answered.recorded.pending:
        flash(messages.DECISION_PENDING.format(answered.recorded.waiting_reason), "pending")
    early = f"; {messages.EARLY_AUDIT.format(early_reason)}" if early_reason and answered.recorded.early else ""
    audit("record_decision", reference, decision + (f" ({reason})" if reason else "") + early)
    if answered.result is None:
        assert answered.letters_problem is not None
        return _page(problem=_arabic_problem(answered.letters_problem), status=409)
    audit("decide", "", f"{len(answered.result.letters)} letters")
    return _shown(answered.result)


@bp.post("/decisions/letters")
@role_required("archivist")
def letters() -> Response | Any:
    return _letters_then_redirect()


def _letters_then_redirect() -> Response | Any:
    """Write the letters, then send the browser to the page that shows them (POST-redirect-GET)."""
    try:
        result = _decide()
    except InputError as err:
        return _page(problem=_arabic_problem(err), status=409)
    return _shown(result)


def _shown(result: Any) -> Response:
    """Send the browser to the page that shows the letters just written (POST-redirect-GET)."""
    if result.marked:
        flash(messages.LETTERS_MARKED.format(len(result.marked)), "ok")
    if result.in_progress:
        flash(messages.LETTERS_IN_PROGRESS.format(len(result.in_progress)), "pending")
    for waiting in result.waiting:
        flash(waiting.reason, "pending")
    if not result.folders:
        flash(messages.NO_NEW_LETTER, "ok")
        return redirect(url_for("decisions.index"))
    return redirect(url_for("decisions.index", batch=result.folders[-1].name))


def due_first(entry: DecisionRegister, rows: list[Any]) -> list[tuple[Any, Any]]:
    """The awaiting rows with their timing against the reply standard: those whose earliest reply date has come
    first (the longest waiting first), then the others by their earliest reply date."""
    from ...content.text import today
    from ...workflow.timing import reply_timing

    project = office().project
    day = today()
    timed = [(row, reply_timing(project, entry.register.id, row.values, day)) for row in rows]
    return sorted(
        timed,
        key=lambda rt: (not rt[1].overdue, -(rt[1].waited or 0) if rt[1].overdue else rt[1].days_left),
    )


def _timing_shown(timing: Any) -> tuple[Any, str, str, str]:
    """The timing, and its earliest reply date, days waited and days left as the page prints them."""
    from ...content.text import count_ar, to_display_digits

    policy = office().project.policy
    digits = policy.settings.digits
    earliest = display_value(timing.earliest, policy) if timing.earliest else "—"
    left = count_ar(timing.days_left, messages.DAYS, digits)
    return timing, earliest, to_display_digits(str(timing.waited or 0), digits), left


def overdue_requests() -> list[tuple[str, str, int]]:
    """(reference, name, days waited) of every request whose earliest reply date has come and that still waits
    for its decision, the longest waiting first: what the home page shows an archivist."""
    found: list[tuple[str, str, int]] = []
    for entry in decision_registers():
        awaiting, _ = _rows(entry)
        reference = next((c.id for c in entry.shown if c.type == "reference"), "")
        name = next((c.id for c in entry.shown if c.field is not None and c.type == "text"), "")
        for row, timing in due_first(entry, awaiting):
            if timing.overdue:
                found.append((str(row.values.get(reference, "")), str(row.values.get(name, "")), timing.waited or 0))
    return sorted(found, key=lambda f: -f[2])


def _arabic_problem(err: InputError) -> str:
    found = [p.message for p in err.problems] or [str(err)]
    return messages.NOTHING_RECORDED.format(messages.JOINED.join(found))
