"""`wathiqa register print`: a register's rows, or those of one status or period, as an Arabic PDF to file.

The rows are read as `register show` reads them (:mod:`.lookup`): the workbook without its lock, and the rows
still waiting in the office database's journal, printed and marked «*». Every argument is checked before
anything is read or written: an unknown register, status or date is one message and no file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from ..config.project import Project, RegisterColumn
from ..content.text import (
    Calendar,
    DateError,
    DigitStyle,
    format_gregorian,
    format_hijri,
    isolate_html,
    parse_date,
    to_display_digits,
    today,
)
from ..errors import OutputError, UsageError
from ..office.audit import command_line_actor, record_event
from ..office.db import OfficeDB
from .folders import atomic_write_bytes
from .lookup import RegisterRecord, read_register_table, status_id, status_label

if TYPE_CHECKING:
    from ..reports.wording import RegisterPrintWording

__all__ = ["PRINT_FOLDER", "RegisterPrint", "print_file_name", "print_register"]

log = logging.getLogger(__name__)

PRINT_FOLDER = Path("registers") / "print"
"""Where printed registers go, under the output folder."""


@dataclass(frozen=True)
class RegisterPrint:
    """What `register print` wrote."""

    register_id: str
    title: str
    path: Path
    rows: int
    pending: int
    """Of ``rows``, those still waiting in the journal (marked «*»)."""
    pages: int
    status: str | None
    """The status option id the rows were selected by."""
    start: date | None
    end: date | None


def print_register(
    project: Project,
    register_id: str,
    out_dir: Path,
    *,
    status: str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
    actor: str | None = None,
) -> RegisterPrint:
    """Print the rows of ``register_id`` (of one status, received between ``start`` and ``end``) to a PDF under
    ``out_dir/registers/print``, and record who printed what in the audit trail (``actor``: the app's account, or
    the command line's login name); :class:`UsageError` for an unknown register, status or date."""
    if register_id not in project.registers:
        known = ", ".join(sorted(project.registers))
        raise UsageError(f"unknown register {register_id!r}; the registers are: {known}")
    calendar = project.policy.settings.calendar
    wanted = status_id(project, register_id, status) if status is not None else None
    first = _as_date(start, "--from", calendar)
    last = _as_date(end, "--to", calendar)
    if first is not None and last is not None and last < first:
        raise UsageError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    date_column = project.date_column(register_id)
    if (first or last) and date_column is None:
        raise UsageError(f"register {register_id!r} has no date column; --from and --to cannot be used with it")

    table = read_register_table(project, register_id, out_dir, status=wanted)
    records = [r for r in table.rows if _in_period(r, date_column, first, last)]
    from ..render.register_pdf import PrintedRow, RegisterSheet, register_pdf
    from ..reports.wording import load_wording

    words = load_wording(project).register_print
    digits = project.policy.settings.digits
    printed_on = today(project.policy)
    pending = sum(1 for r in records if r.pending)
    sheet = RegisterSheet(
        register_id=register_id,
        title=table.title,
        columns=project.print_columns(register_id),
        rows=[PrintedRow(r.cells, r.pending) for r in records],
        selection=_selection(project, register_id, wanted, date_column, first, last, words),
        count=words.count.format(count=to_display_digits(str(len(records)), digits)),
        pending_note=words.pending if pending else None,
        empty=words.empty,
        number_header=words.number,
        printed_on=printed_on,
        printed_line=words.printed.format(date=_day(printed_on, calendar, digits)),
    )
    pdf, pages = register_pdf(project, sheet)
    path = out_dir / PRINT_FOLDER / print_file_name(register_id, wanted, first, last)
    atomic_write_bytes(path, pdf)
    log.info("printed %d rows of %s to %s (%d pages)", len(records), register_id, path, pages)
    printed = RegisterPrint(register_id, table.title, path, len(records), pending, pages, wanted, first, last)
    _audit(out_dir, actor or command_line_actor(), printed)
    return printed


def _audit(out_dir: Path, actor: str, printed: RegisterPrint) -> None:
    """A printed register holds personal data on paper: who printed which rows is kept, like every issue."""
    selection = [f"status={printed.status}"] if printed.status else []
    if printed.start or printed.end:
        selection.append(f"from={printed.start or '…'} to={printed.end or '…'}")
    details = f"{' '.join(selection) or 'all rows'}; rows={printed.rows} pages={printed.pages}; {printed.path.name}"
    try:
        record_event(OfficeDB(out_dir), actor, "print_register", printed.register_id, details)
    except OutputError:  # the print is made and handed over; a trail that cannot be written is the log's to tell
        log.exception("could not record the print of %s in the audit trail", printed.register_id)


def print_file_name(register_id: str, status: str | None, start: date | None, end: date | None) -> str:
    """``requests.pdf``, ``requests-received.pdf``, ``requests-2026-11-11_2026-12-09.pdf``,
    ``requests-from-2026-11-11.pdf``: ASCII, and one name per selection, so printing it again replaces it."""
    parts = [register_id]
    if status is not None:
        parts.append(status)
    if start is not None and end is not None:
        parts.append(f"{start.isoformat()}_{end.isoformat()}")
    elif start is not None:
        parts.append(f"from-{start.isoformat()}")
    elif end is not None:
        parts.append(f"to-{end.isoformat()}")
    return "-".join(parts) + ".pdf"


def _as_date(value: date | str | None, option: str, calendar: Calendar) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return parse_date(value, calendar)
    except DateError as err:
        raise UsageError(f"{option} {value!r}: {err}") from err


def _in_period(record: RegisterRecord, column: RegisterColumn | None, first: date | None, last: date | None) -> bool:
    if column is None or (first is None and last is None):
        return True
    day = record.values.get(column.id)
    if not isinstance(day, date):
        return False  # a row without its date cannot be said to be in the period
    return (first is None or first <= day) and (last is None or day <= last)


def _day(day: date, calendar: Calendar, digits: DigitStyle) -> str:
    return format_hijri(day, digits) if calendar == "hijri" else format_gregorian(day, digits)


def _selection(
    project: Project,
    register_id: str,
    status: str | None,
    column: RegisterColumn | None,
    first: date | None,
    last: date | None,
    words: RegisterPrintWording,
) -> list[Markup]:
    """The lines under the title saying which rows are printed: the status, the period, or every row."""
    settings = project.policy.settings
    lines: list[Markup] = []
    if status is not None:
        lines.append(Markup(escape(words.status.format(status=status_label(project, register_id, status)))))
    if column is not None and (first or last):
        start = isolate_html(_day(first, settings.calendar, settings.digits)) if first else Markup("")
        end = isolate_html(_day(last, settings.calendar, settings.digits)) if last else Markup("")
        template = words.between if first and last else words.since if first else words.until
        lines.append(Markup(escape(template)).format(column=column.label, start=start, end=end))
    if not lines:
        lines.append(Markup(escape(words.all_rows)))
    return lines
