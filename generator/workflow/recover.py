"""Recovering the office database from the registers and the folders, after it was lost or damaged.

What the database holds can be found again on disk:

* the reference sequences start, on first use of each prefix, from the highest number in the registers, the
  case folders and the decision batches (:func:`generator.workflow.references.highest_on_paper`), so no
  number already on paper is given again;
* a case folder whose reference is not in its register (its row was waiting when the database was lost, or
  was removed from the register since) is queued again from its ``case.json`` and ``record.json``, unless its
  row already waits in the journal; only what was really queued is counted;
* a decision letter of a batch's ``letters.json`` missing from the outgoing register, or whose request is not
  marked answered, is queued again: the letter exists, so it is recorded, never written a second time.

``wathiqa register sync --recover`` runs this; it writes nothing but the journal, then applies it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..errors import OutputError
from ..office import journal
from ..office.db import DAMAGED_NAME, OfficeDB
from .sync import reference_label, register_path

log = logging.getLogger(__name__)

__all__ = ["RecoverResult", "recover"]


@dataclass(frozen=True)
class RecoverResult:
    cases_queued: list[str]
    letters_queued: list[str]
    kept: dict[str, int] = field(default_factory=dict)
    """Rows of the accounts, drafts and audit trail copied from ``office.db.damaged`` (office.db keep_from)."""


def _references_in(project: Project, out_dir: Path, register_id: str) -> set[str]:
    from ..registers import read_register

    path = register_path(out_dir, register_id)
    if not path.is_file():
        return set()
    label = reference_label(project, register_id)
    _, rows = read_register(path, sheet=project.registers[register_id].sheet)
    return {str(r.values[label]).strip() for r in rows if r.values.get(label) not in (None, "")}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recover(project: Project, out_dir: Path) -> RecoverResult:
    """Queue again what a lost office database was still waiting to record; see the module docstring."""
    from ..content.records import check_record
    from ..registers.rows import row_for

    db = OfficeDB(out_dir)
    if db.path.exists() and not db.exists():
        db.path.unlink()  # an empty file left by a failed creation
    kept = db.keep_from(out_dir / DAMAGED_NAME)
    in_register: dict[str, set[str]] = {}

    def known(register_id: str) -> set[str]:
        if register_id not in in_register:
            in_register[register_id] = _references_in(project, out_dir, register_id)
        return in_register[register_id]

    cases: list[str] = []
    letters: list[str] = []
    with db.write() as conn:
        for folder in sorted((out_dir / "cases").glob("*/")):
            case = _read_json(folder / "case.json")
            record = _read_json(folder / "record.json")
            if not isinstance(case, dict) or not isinstance(record, dict):
                continue
            document = project.documents.get(str(case.get("document")))
            if document is None or document.register_id is None or folder.name in known(document.register_id):
                continue
            values, issues = check_record(document, project.policy, record)
            if issues:
                log.warning("%s: record.json no longer fits %s; queue it by hand", folder, document.id)
                continue
            issued = date.fromisoformat(str(case["issued_on"]))
            extra = dict(project.registers[document.register_id].initial)
            register_id = document.register_id
            cells = row_for(project, register_id, values, reference=folder.name, issue_date=issued, extra=extra)
            if journal.requeue(conn, register_id, "append", folder.name, cells, source=document.id):
                cases.append(folder.name)
        letters = _queue_letters(conn, project, out_dir, known)
    log.info("recovered %d case rows and %d letters", len(cases), len(letters))
    return RecoverResult(cases, letters, kept)


def _queue_letters(conn: Any, project: Project, out_dir: Path, known: Any) -> list[str]:
    from ..registers.rows import cells_for
    from .decide import ANSWER, LETTERS_FILE, _Letter, _outgoing_cells

    queued: list[str] = []
    for manifest in sorted((out_dir / "batches").glob(f"*/{LETTERS_FILE}")):
        entries = _read_json(manifest)
        if not isinstance(entries, list):
            raise OutputError(f"{manifest}: unreadable; recover its letters by hand")
        for item in entries:
            document = project.documents.get(str(item.get("document")))
            if document is None or document.register_id is None or document.answers is None:
                continue
            sent_on = date.fromisoformat(str(item["sent_on"]))
            letter_reference, request = str(item["letter"]), str(item["request"])
            if letter_reference not in known(document.register_id):
                record = {document.addressee: ""} if document.addressee else {}
                letter = _Letter(request, document, record)
                cells = _outgoing_cells(project, document.register_id, letter, letter_reference, sent_on)
                register_id = document.register_id
                if journal.requeue(conn, register_id, "append", letter_reference, cells, source=request):
                    queued.append(letter_reference)
            answered = project.registers[document.answers.register_id].answered
            if answered is None:
                continue
            if request in _answered_requests(project, out_dir, document.answers.register_id):
                continue
            update: dict[str, Any] = {answered.letter_column: letter_reference, answered.date_column: sent_on}
            if answered.status_column and answered.status:
                update[answered.status_column] = answered.status
            journal.requeue(
                conn, document.answers.register_id, "update", request + ANSWER,
                cells_for(project, document.answers.register_id, update), target=request, source=letter_reference,
            )  # fmt: skip
    return queued


def _answered_requests(project: Project, out_dir: Path, register_id: str) -> set[str]:
    from ..registers import read_register

    register = project.registers[register_id]
    path = register_path(out_dir, register_id)
    if register.answered is None or not path.is_file():
        return set()
    columns = {c.id: c.label for c in project.register_columns(register_id)}
    label, letter = reference_label(project, register_id), columns[register.answered.letter_column]
    _, rows = read_register(path, sheet=register.sheet)
    return {str(r.values[label]).strip() for r in rows if r.values.get(label) and r.values.get(letter)}
