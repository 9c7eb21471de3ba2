"""Recording a decision from the office app: what the archivist would otherwise type into the register.

The decision (and, for an apology, its reason) is checked against what its letter needs before anything is
written, then journaled as an update of the request's row, keyed by the request's reference, and applied at once
(or when the register is closed, if it is open in Excel). `decide` then writes the letter. A request whose letter
was written (or is being written) keeps its decision: it is answered once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..content.records import check_record
from ..content.text import format_dual
from ..content.text import today as current_day
from ..errors import AlreadyAnsweredError, CaseStateError, DataError, InputError, Problem, UsageError
from ..office import journal
from ..office.db import OfficeDB
from .amend import MSG_VOIDED, VOID
from .decide import ANSWER, DecideResult, _answerings, _letter_input, answering_lock, decide
from .issue import CaseRenderers
from .lookup import read_register_table
from .sync import apply_pending
from .timing import EARLY_REASON, check_early_decision, reply_timing

__all__ = ["DECISION", "DecisionAnswered", "DecisionRecorded", "answer_letter", "record_and_decide", "record_decision"]

DECISION = "#decision"


@dataclass(frozen=True)
class DecisionRecorded:
    reference: str
    decision: str
    pending: bool
    waiting_reason: str = ""
    early: bool = False
    """Decided before the request's earliest reply date (with the reason recorded in the row)."""


def record_decision(
    project: Project,
    out_dir: Path,
    register_id: str,
    reference: str,
    decision: str,
    values: Mapping[str, Any] | None = None,
    *,
    early_reason: str = "",
    today: date | None = None,
) -> DecisionRecorded:
    """Record ``decision`` (an option id of the decision column) for the row ``reference``, with ``values``
    (other columns by id, e.g. the reason of an apology), dated ``today``. DataError, in Arabic, if the letter
    could not be written from what the row would then hold, :class:`AlreadyAnsweredError` if the request has its
    letter already, :class:`CaseStateError` if it is voided or decided before its earliest reply date without
    ``early_reason`` (or at all, when the policy refuses early decisions: :mod:`.timing`); nothing is written in
    those cases."""
    with answering_lock(out_dir):  # no letter can be written between the check below and the journal entry
        return _record_decision(project, out_dir, register_id, reference, decision, values, early_reason, today)


@dataclass(frozen=True)
class DecisionAnswered:
    """A decision recorded, and what writing the letters did: their result, or why none could be written (another
    decided row the letters need is invalid); the decision stays recorded either way."""

    recorded: DecisionRecorded
    result: DecideResult | None
    letters_problem: InputError | None = None


def record_and_decide(
    project: Project,
    out_dir: Path,
    register_id: str,
    reference: str,
    decision: str,
    values: Mapping[str, Any] | None = None,
    *,
    renderers: CaseRenderers | None = None,
    early_reason: str = "",
    today: date | None = None,
) -> DecisionAnswered:
    """Record a decision and write its letter in one turn of :func:`answering_lock`: of two archivists (or two
    clicks) deciding one request, the second finds it answered (:class:`AlreadyAnsweredError`)."""
    with answering_lock(out_dir):
        recorded = _record_decision(project, out_dir, register_id, reference, decision, values, early_reason, today)
        try:
            return DecisionAnswered(recorded, decide(project, out_dir, renderers=renderers))
        except InputError as err:
            return DecisionAnswered(recorded, None, err)


def answer_letter(project: Project, out_dir: Path, register_id: str, reference: str) -> str | None:
    """The letter that answered (or is answering) the request ``reference``: its journaled answer, else the
    letter column of its row; None if it has none."""
    journaled = _journaled_answer(out_dir, register_id, reference)
    if journaled is not None:
        return journaled
    reference_column = next(c.id for c in project.register_columns(register_id) if c.type == "reference")
    table = read_register_table(project, register_id, out_dir)
    row = next((r for r in table.rows if r.values.get(reference_column) == reference), None)
    return _letter_of(project, register_id, row.values) if row is not None else None


def _journaled_answer(out_dir: Path, register_id: str, reference: str) -> str | None:
    for entry in journal.entries_for(OfficeDB(out_dir), register_id, "update"):
        if entry.key == reference + ANSWER and entry.source:
            return entry.source
    return None


def _letter_of(project: Project, register_id: str, values: Mapping[str, Any]) -> str | None:
    answered = project.registers[register_id].answered
    letter = values.get(answered.letter_column) if answered is not None else None
    return str(letter) if letter else None


def _record_decision(
    project: Project,
    out_dir: Path,
    register_id: str,
    reference: str,
    decision: str,
    values: Mapping[str, Any] | None,
    early_reason: str = "",
    today: date | None = None,
) -> DecisionRecorded:
    from ..registers.rows import cells_for

    answering = next((a for a in _answerings(project) if a.register_id == register_id), None)
    if answering is None:
        raise UsageError(f"register {register_id!r} receives no decisions")
    document = answering.letters.get(decision)
    if document is None:
        raise UsageError(f"unknown decision {decision!r}; the decisions are: {', '.join(answering.letters)}")
    table = read_register_table(project, register_id, out_dir)
    row = next((r for r in table.rows if r.values.get(answering.reference_column) == reference), None)
    if row is None:
        raise UsageError(f"no request {reference!r} in register {register_id!r}")
    if row.values.get("status") == VOID:
        raise CaseStateError(MSG_VOIDED)
    letter = _journaled_answer(out_dir, register_id, reference) or _letter_of(project, register_id, row.values)
    if letter is not None:
        raise AlreadyAnsweredError(reference, letter)
    update: dict[str, Any] = {k: v for k, v in (values or {}).items()}
    dated = _dated(project, register_id, row.values, early_reason, today or current_day())
    update.update(dated)
    update[answering.decision_column] = decision
    merged = {**row.values, **update}
    _, issues = check_record(document, project.policy, _letter_input(document, merged))
    if issues:
        problems = [Problem(str(table.path), row.number, None, i.field_id, str(i)) for i in issues]
        raise DataError("لا يكفي ما أُدخل لكتابة خطاب القرار، ولم يُكتب شيء:", problems)
    try:
        cells = cells_for(project, register_id, update)
    except KeyError as err:
        raise UsageError(str(err)) from err
    db = OfficeDB(out_dir)
    with db.write() as conn:
        journal.add(conn, register_id, "update", reference + DECISION, cells, target=reference, state="ready")
    sync = apply_pending(project, out_dir, registers=[register_id], db=db)
    waiting = next((w.reason for w in sync.waiting if w.key in (reference + DECISION, reference)), "")
    return DecisionRecorded(reference, decision, bool(waiting), waiting, EARLY_REASON in dated)


def _dated(
    project: Project, register_id: str, row: Mapping[str, Any], early_reason: str, today: date
) -> dict[str, Any]:
    """The decision's day and, when it comes before the earliest reply date, the reason given (the rule of
    :mod:`.timing`), for the register's columns that exist."""
    columns = {c.id for c in project.register_columns(register_id)}
    timing = reply_timing(project, register_id, row, today)
    settings = project.policy.settings
    shown = format_dual(timing.earliest, settings.calendar, settings.digits) if timing.earliest else ""
    reason = check_early_decision(project, timing, early_reason, shown)
    out: dict[str, Any] = {}
    if "decision_date" in columns:
        out["decision_date"] = today
    if reason and EARLY_REASON in columns:
        out[EARLY_REASON] = reason
    return out
