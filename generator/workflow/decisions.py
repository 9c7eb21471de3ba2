"""Recording a decision from the office app: what the archivist would otherwise type into the register.

The decision (and, for an apology, its reason) is checked against what its letter needs before anything is
written, then journaled as an update of the request's row, keyed by the request's reference, and applied at once
(or when the register is closed, if it is open in Excel). `decide` then writes the letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..content.records import check_record
from ..errors import CaseStateError, DataError, Problem, UsageError
from ..office import journal
from ..office.db import OfficeDB
from .amend import MSG_VOIDED, VOID
from .decide import _answerings, _letter_input
from .lookup import read_register_table
from .sync import apply_pending

__all__ = ["DECISION", "DecisionRecorded", "record_decision"]

DECISION = "#decision"


@dataclass(frozen=True)
class DecisionRecorded:
    reference: str
    decision: str
    pending: bool
    waiting_reason: str = ""


def record_decision(
    project: Project,
    out_dir: Path,
    register_id: str,
    reference: str,
    decision: str,
    values: Mapping[str, Any] | None = None,
) -> DecisionRecorded:
    """Record ``decision`` (an option id of the decision column) for the row ``reference``, with ``values``
    (other columns by id, e.g. the reason of an apology). DataError, in Arabic, if the letter could not be
    written from what the row would then hold; nothing is written in that case."""
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
    answered = project.registers[register_id].answered
    if answered is not None and row.values.get(answered.letter_column):
        raise DataError("", [Problem(str(table.path), row.number, None, answered.letter_column,
                                     "صدر خطاب الرد على هذا الطلب من قبل؛ لا يمكن تغيير قراره")])  # fmt: skip
    update: dict[str, Any] = {k: v for k, v in (values or {}).items()}
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
    return DecisionRecorded(reference, decision, bool(waiting), waiting)
