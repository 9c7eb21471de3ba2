"""Finding an issued case: by reference, name, national ID, mobile, status and dates, in every register of cases.

Every issued case has a row in its register (or waiting in the journal), so the registers are where a case is
looked for: the archivists' own edits count. Names are compared in :func:`generator.content.text.search_form`
(vowel marks, tatweel and the hamza forms of alef ignored, «عبد الله» = «عبدالله»), word by word in any order.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..content.text import search_words, words_match
from ..errors import OutputError
from .lookup import RegisterRecord, RegisterTable, RowKey, read_register_table, row_key

__all__ = ["CaseHit", "case_registers", "find_cases"]


@dataclass(frozen=True, slots=True)
class CaseHit:
    """One case found: what the list of cases shows of it."""

    reference: str
    register_id: str
    title: str
    """The register's title: which kind of case it is."""
    name: str
    day: date | None
    """The day the case was received (the register's date column)."""
    status: str
    """The status's option id ('' when the register has none)."""
    pending: bool


def case_registers(project: Project) -> list[str]:
    """The registers whose rows are issued cases (of a document with a numbering scheme that a clerk issues)."""
    found: list[str] = []
    for document in project.documents.values():
        issued = document.numbering and document.register_id and document.answers is None
        if issued and document.register_id not in found:
            found.append(str(document.register_id))
    return found


def find_cases(
    project: Project,
    out_dir: Path,
    *,
    query: str = "",
    status: str = "",
    start: date | None = None,
    end: date | None = None,
) -> list[CaseHit]:
    """The cases whose row holds every word of ``query`` (any column, any order), with ``status`` (an option id),
    received between ``start`` and ``end`` (inclusive); the newest first."""
    wanted = search_words(query)
    hits: list[CaseHit] = []
    for register_id in case_registers(project):
        try:
            table = read_register_table(project, register_id, out_dir)
        except OutputError:  # the register does not exist yet: no case of that kind was issued
            continue
        for hit, words in _index(project, table):
            if status and hit.status != status:
                continue
            if (start or end) and (hit.day is None or (start and hit.day < start) or (end and hit.day > end)):
                continue
            if wanted and not words_match(wanted, words):
                continue
            hits.append(hit)
    hits.sort(key=lambda h: (h.day or date.min, h.reference), reverse=True)
    return [h for h in hits if h.reference]


_INDEX_LOCK = threading.Lock()
_Words = tuple[str, ...]
_INDEX: dict[tuple[int, str], tuple[tuple[Any, ...], list[tuple[CaseHit, _Words]], dict[RowKey, _Words]]] = {}
"""Each register's cases with their words in search form, for the version of the register they were made from
(and the words by row, for the next version): folding every cell of a year's register takes seconds, a search
through the folded words milliseconds."""


def _index(project: Project, table: RegisterTable) -> list[tuple[CaseHit, _Words]]:
    key = (id(project), table.register_id)
    with _INDEX_LOCK:
        kept = _INDEX.get(key)
    if kept is not None and table.version and kept[0] == table.version:
        return kept[1]
    columns = {c.id: c for c in table.columns}
    reference = next((c.id for c in table.columns if c.type == "reference"), None)
    if reference is None:
        return []
    name = next((c.id for c in table.columns if c.field is not None and c.type == "text"), None)
    dated = project.date_column(table.register_id)
    day_column = dated.id if dated is not None else None
    earlier = kept[2] if kept is not None else {}
    words_of: dict[RowKey, _Words] = {}
    index = []
    for row in table.rows:
        cells = row_key(row.cells)
        words = earlier.get(cells)
        if words is None:  # a row not seen in the previous version: folded now (names repeat: one copy each)
            words = tuple(sys.intern(word) for word in _row_words(row))
        words_of[cells] = words
        hit = CaseHit(
            str(row.values.get(reference) or ""),
            table.register_id,
            table.title,
            str(row.values.get(name) or "") if name and name in columns else "",
            _day(row.values.get(day_column)) if day_column else None,
            str(row.values.get("status") or ""),
            row.pending,
        )
        index.append((hit, words))
    with _INDEX_LOCK:
        _INDEX[key] = (table.version, index, words_of)
    return index


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _row_words(row: RegisterRecord) -> list[str]:
    words: list[str] = []
    for value in row.cells.values():
        if isinstance(value, str | int) and not isinstance(value, bool):
            words += search_words(str(value))
    return words
