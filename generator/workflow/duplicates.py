"""Has this applicant an open request already? The same national ID or mobile in a register row still open.

The office app warns the clerk before issuing a second request for the same person and names the open one;
the clerk decides (an applicant may have two sites). Only registers of requests (those answered by a letter)
are looked at, and only the applicant's own national ID and mobile. "Open" means no decision was recorded yet,
the request was not answered and not voided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.model import FieldDef
from ..config.project import Project
from ..content.text import to_ascii_digits
from ..errors import InputError

__all__ = ["OpenRequest", "open_requests_of"]

MATCHED_TYPES = ("national_id", "mobile")
"""Field types that name one person: the same value in two open requests is worth a question."""

CLOSED_STATUSES = frozenset({"decided", "answered", "void", "voided", "cancelled"})


@dataclass(frozen=True)
class OpenRequest:
    reference: str
    name: str
    """The row's first text value after the reference (the applicant's name on a request)."""
    matched: tuple[str, ...]
    """The labels of the fields whose value is the same."""


def _key(value: Any) -> str:
    return to_ascii_digits(str(value or "")).strip()


def _is_open(project: Project, register_id: str, values: Mapping[str, Any]) -> bool:
    register = project.registers[register_id]
    if values.get("decision"):
        return False
    status = values.get((register.answered.status_column if register.answered else None) or "status")
    return not (status in CLOSED_STATUSES or (register.answered is not None and status == register.answered.status))


def _person_fields(project: Project, doc_id: str) -> list[FieldDef]:
    """The applicant's own national ID and mobile: the first field of each type (a teacher's mobile comes later)."""
    first: dict[str, FieldDef] = {}
    for f in project.document(doc_id).input_fields():
        if f.type in MATCHED_TYPES:
            first.setdefault(f.type, f)
    return list(first.values())


def open_requests_of(project: Project, doc_id: str, record: Mapping[str, Any], out_dir: Path) -> list[OpenRequest]:
    """The open rows of the document's register with the record's national ID or mobile (validated values)."""
    from .lookup import read_register_table

    document = project.document(doc_id)
    if document.register_id is None or project.registers[document.register_id].answered is None:
        return []  # not a register of requests awaiting an answer (a contact, a survey)
    wanted = {f.id: (f.label, _key(record.get(f.id))) for f in _person_fields(project, doc_id)}
    wanted = {field_id: item for field_id, item in wanted.items() if item[1]}
    if not wanted:
        return []
    try:
        table = read_register_table(project, document.register_id, out_dir)
    except InputError:  # no register yet: nothing is open
        return []
    reference = next((c.id for c in table.columns if c.type == "reference"), None)
    name = next((c.id for c in table.columns if c.type == "text" and c.field is not None), None)
    found: list[OpenRequest] = []
    for row in table.rows:
        matched = tuple(label for field_id, (label, value) in wanted.items() if _key(row.values.get(field_id)) == value)
        if matched and reference and _is_open(project, document.register_id, row.values):
            applicant = str(row.values.get(name or "") or "")
            found.append(OpenRequest(str(row.values.get(reference) or ""), applicant, matched))
    return found
