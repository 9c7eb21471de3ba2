"""The story of one case, in order: received, acknowledged, waiting, decided, answered, surveyed, corrected, voided.

Nothing here is stored twice: the story is read from where each fact already lives — the register row (dates,
status, decision, reply letter), the case folder (its documents, ``history.json``, the decision letters' copies),
the audit trail (who issued and who decided, and why early), the journal (what still waits for the register) and
the other registers (a survey or a contact from the same mobile or national ID).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..office import journal
from ..office.audit import AuditEntry, entries_about
from ..office.db import OfficeDB
from .amend import IssuedCase
from .find import case_registers
from .lookup import read_register_table
from .timing import reply_timing

__all__ = ["StoryEvent", "case_story"]


@dataclass(frozen=True)
class StoryEvent:
    """One step of a case's life, as the case page lists it."""

    kind: str
    """received, issued, acknowledged, waiting, due, status, decided, letter, correct, void, related, pending."""
    day: date | None
    detail: str = ""
    by: str = ""
    at: str = ""
    """UTC time of the audit or history entry, when there is one."""
    link: str = ""
    """A reference of another case (``related``), a letter's file name (``letter``), the folder of the files a
    correction replaced (``correct``), the status set (``status``)."""


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def case_story(project: Project, out_dir: Path, case: IssuedCase, today: date) -> list[StoryEvent]:
    """The case's events, oldest first (events of one day in the order the office lives them)."""
    db = OfficeDB(out_dir)
    audit = entries_about(db, case.reference) if db.exists() else []
    events: list[StoryEvent] = []
    events += _intake(project, case, audit)
    events += _decision(project, case, audit, today)
    events += _changes(case)
    events += _related(project, out_dir, case)
    events += _waiting_in_journal(db, case)
    order = {k: i for i, k in enumerate(_ORDER)}
    return sorted(events, key=lambda e: (e.day or date.max, order.get(e.kind, 99), e.at))


_ORDER = ("received", "issued", "acknowledged", "status", "correct", "decided", "letter", "void", "related",
          "waiting", "due", "pending")  # fmt: skip


def _by(audit: list[AuditEntry], action: str) -> AuditEntry | None:
    return next((e for e in reversed(audit) if e.action == action), None)


def _intake(project: Project, case: IssuedCase, audit: list[AuditEntry]) -> list[StoryEvent]:
    values = case.row.values if case.row else {}
    register_id = case.document.register_id
    dated = project.date_column(register_id) if register_id else None
    received = _day(values.get(dated.id)) if dated else None
    issued = _by(audit, "issue")
    by, at = (issued.actor, issued.at) if issued else ("", "")
    events = [
        StoryEvent("received", received or case.issued_on),
        StoryEvent("issued", case.issued_on, case.document.title, by, at),
    ]
    for doc_id in case.document.issue_with:  # the acknowledgment letter, issued with the case
        letter = project.documents[doc_id]
        if letter.kind == "letter" and (case.folder / f"{doc_id}.pdf").exists():
            events.append(StoryEvent("acknowledged", case.issued_on, letter.title))
    return events


def _decision(project: Project, case: IssuedCase, audit: list[AuditEntry], today: date) -> list[StoryEvent]:
    if case.row is None or case.document.register_id is None:
        return []
    values = case.row.values
    events: list[StoryEvent] = []
    decision = values.get("decision")
    recorded = _by(audit, "record_decision")
    if decision:
        label = _label(project, case.document.register_id, "decision", decision)
        day = _day(values.get("decision_date")) or (_day(recorded.at[:10]) if recorded else None)
        reason = str(values.get("early_reason") or "")
        events.append(StoryEvent("decided", day, label + (f" — {reason}" if reason else ""),
                                 recorded.actor if recorded else "", recorded.at if recorded else ""))  # fmt: skip
    letter = values.get("letter_reference")
    if letter:
        copy = next((p.name for p in sorted(case.folder.glob(f"{letter}-*.pdf"))), "")
        events.append(StoryEvent("letter", _day(values.get("answered_on")), str(letter), link=copy))
    elif not decision and not case.voided:
        timing = reply_timing(project, case.document.register_id, values, today)
        if timing.earliest is not None:
            events.append(StoryEvent("due" if timing.overdue else "waiting", timing.earliest, str(timing.waited or 0)))
    return events


def _changes(case: IssuedCase) -> list[StoryEvent]:
    events = []
    for h in case.history:
        extra = f"v{h.version}" if h.kind == "correct" else h.status if h.kind == "status" else ""
        events.append(StoryEvent(h.kind, date.fromisoformat(h.day), h.reason, h.by, h.at, extra))
    return events


def _related(project: Project, out_dir: Path, case: IssuedCase) -> list[StoryEvent]:
    """Other cases from the same person (a survey, a contact, another request): same national ID or mobile."""
    keys = {str(case.record[k]) for k in ("national_id", "mobile") if case.record.get(k)}
    if not keys:
        return []
    events = []
    for register_id in case_registers(project):
        try:
            table = read_register_table(project, register_id, out_dir)
        except Exception:  # a register not there yet, or unreadable: the case page still opens
            continue
        reference = next((c.id for c in table.columns if c.type == "reference"), "")
        dated = project.date_column(register_id)
        for row in table.rows:
            other = str(row.values.get(reference) or "")
            if not other or other == case.reference:
                continue
            if keys & {str(row.values.get(k) or "") for k in ("national_id", "mobile")}:
                day = _day(row.values.get(dated.id)) if dated else None
                events.append(StoryEvent("related", day, table.title, link=other))
    return events


def _waiting_in_journal(db: OfficeDB, case: IssuedCase) -> list[StoryEvent]:
    if not db.exists():
        return []
    waiting = [e for e in journal.open_entries(db) if e.target == case.reference and e.state == "ready"]
    return [StoryEvent("pending", None, e.last_error or "") for e in waiting[:1]]


def _label(project: Project, register_id: str, column_id: str, value: Any) -> str:
    column = next((c for c in project.register_columns(register_id) if c.id == column_id), None)
    if column is None or column.list is None:
        return str(value)
    return project.policy.lists[column.list].labels().get(str(value), str(value))

