"""A day's sheet of applications issued as cases: one reference, one case folder and one register row per good row.

Letters (an acknowledgment of requests already in the register) are *merged* into one print PDF
(:mod:`.merge`); a document that is issued on its own (it has a numbering scheme and a register: an application,
a volunteer's form) is *issued*, row by row, exactly as the office app's form issues one case. Every row is
validated first; the bad rows are named and issue nothing; a row that fails while issuing (the output folder
cannot be written) is named too, and the others are still issued.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.project import Project
from ..content.text import today as current_day
from ..errors import DataError, InputError, Problem
from .issue import issuable, issue_record
from .merge import InvalidRow, _rows_of, _validate_rows

if TYPE_CHECKING:
    from .issue import CaseRenderers

__all__ = ["BatchIssued", "issue_batch"]


@dataclass
class BatchIssued:
    """What issuing a sheet did: the cases made (row number, reference), the bad rows, the rows that failed."""

    doc_id: str
    cases: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[InvalidRow] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    pending: int = 0
    """Cases whose register row waits (the register was open in Excel)."""

    @property
    def issued(self) -> int:
        return len(self.cases)


def issue_batch(
    project: Project,
    doc_id: str,
    source: Path | Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
    renderers: CaseRenderers | None = None,
) -> BatchIssued:
    """Issue one case per valid row of the sheet; see the module docstring."""
    from .issue import CaseRenderers

    document = issuable(project, doc_id)
    rows = _rows_of(source, document)
    if not rows:
        where = str(source) if isinstance(source, Path) else "records"
        raise DataError("", [Problem(where, None, None, "", "الملف لا يحتوي على أي سجل")])
    items, invalid = _validate_rows(project, document, rows)
    result = BatchIssued(doc_id, invalid=invalid)
    day = today or current_day(project.policy)
    loaded = renderers or CaseRenderers(project)
    for done, item in enumerate(items, 1):
        try:
            issued = issue_record(project, document, item.record, out_dir, today=day, renderers=loaded)
        except InputError as err:
            result.failed.append((item.number, str(err).splitlines()[0]))
        else:
            result.cases.append((item.number, issued.reference))
            result.pending += issued.pending
        if progress is not None:
            progress(done, len(items))
    return result
