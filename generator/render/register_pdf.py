"""A register's rows as a printable Arabic PDF, A4 landscape: templates/html/register.html (on the office prints'
page, reports/page.html) laid out by the documents' WeasyPrint engine (shipped fonts, templates-only fetcher).

The table is the register's printed columns (``print:`` in its YAML), in the widths declared there; its header
row repeats on every page (a ``thead``), no row is split across two pages, and every cell is written as the
documents write values: dates in the policy's calendar, codes, IDs and phone numbers isolated left to right so
that their order survives inside Arabic lines, digits as the policy says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape

from ..config.project import Project, RegisterColumn
from ..content.text import format_gregorian, format_hijri, isolate_html, to_display_digits
from ..registers import CellValue

__all__ = ["PrintedRow", "RegisterSheet", "cell_markup", "register_pdf"]

TEMPLATE = "register.html"

_LATIN = re.compile("[A-Za-z0-9]")
_DIGIT_TYPES = frozenset({"national_id", "mobile", "number", "rating", "time"})
_CODE_TYPES = frozenset({"reference", "email", "url"})


@dataclass(frozen=True)
class PrintedRow:
    cells: dict[str, CellValue]
    """By column label, as the workbook (or the journal) holds them."""
    pending: bool = False


@dataclass(frozen=True)
class RegisterSheet:
    """Everything the printed register shows, already selected and worded."""

    register_id: str
    title: str
    columns: Sequence[RegisterColumn]
    rows: Sequence[PrintedRow]
    selection: Sequence[Markup]
    """Lines saying which rows these are (the status, the dates), or the words for every row."""
    count: str
    pending_note: str | None
    empty: str
    number_header: str
    printed_on: date
    printed_line: str


def cell_markup(project: Project, column: RegisterColumn, value: CellValue) -> Markup:
    """One cell as printed: a date in the policy's calendar, a code or number isolated left to right."""
    if value is None or value == "":
        return Markup("")
    digits = project.policy.settings.digits
    if isinstance(value, datetime):
        return isolate_html(to_display_digits(value.strftime("%Y-%m-%d %H:%M"), digits))
    if isinstance(value, date):
        calendar = project.policy.settings.calendar
        return isolate_html(format_hijri(value, digits) if calendar == "hijri" else format_gregorian(value, digits))
    if isinstance(value, bool):
        return Markup(escape(project.policy.labels.yes if value else project.policy.labels.no))
    if isinstance(value, int | float):
        number = str(int(value)) if float(value).is_integer() else str(value)
        return isolate_html(to_display_digits(number, digits))
    text = str(value)
    if column.type in _DIGIT_TYPES or column.type == "hijri_text":
        return isolate_html(to_display_digits(text, digits))
    if column.type in _CODE_TYPES or (_LATIN.search(text) and not _has_arabic(text)):
        return isolate_html(text)
    return Markup(escape(text))


def _values(project: Project, sheet: RegisterSheet, row: PrintedRow) -> list[tuple[RegisterColumn, CellValue]]:
    """The printed cells of a row; a Hijri column left empty (a row typed in Excel) shows its date in Hijri."""
    labels = {c.id: c.label for c in project.register_columns(sheet.register_id)}
    out: list[tuple[RegisterColumn, CellValue]] = []
    for column in sheet.columns:
        value = row.cells.get(column.label)
        if column.type == "hijri_text" and value in (None, "") and column.of in labels:
            day = row.cells.get(labels[column.of])
            if isinstance(day, date):
                value = format_hijri(day.date() if isinstance(day, datetime) else day, project.policy.settings.digits)
        out.append((column, value))
    return out


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _shares(project: Project, columns: Sequence[RegisterColumn]) -> list[float]:
    """Each column's share of the table's width, in percent, from its width in characters."""
    from .xlsx import column_width

    widths = [column_width(c, project.policy) for c in columns]
    number_column = 4.0  # the «م» column
    total = sum(widths) + number_column
    return [round(100 * w / total, 2) for w in [number_column, *widths]]


def register_html(project: Project, sheet: RegisterSheet) -> str:
    from ..reports.html import print_html

    policy = project.policy
    digits = policy.settings.digits
    shares = _shares(project, sheet.columns)
    rows = [
        (to_display_digits(str(n), digits), row.pending, [cell_markup(project, c, v) for c, v in values])
        for n, row in enumerate(sheet.rows, start=1)
        for values in [_values(project, sheet, row)]
    ]
    return print_html(
        project,
        TEMPLATE,
        digits=digits,
        footer=f"{sheet.title} — {sheet.printed_line}",
        made_on=sheet.printed_on,
        sheet=sheet,
        rows=rows,
        number_share=shares[0],
        columns=list(zip(sheet.columns, shares[1:], strict=True)),
    )


def register_pdf(project: Project, sheet: RegisterSheet) -> tuple[bytes, int]:
    """The printed register as PDF bytes, and its number of pages."""
    from .pdf import PdfRenderer

    engine = PdfRenderer(project, archival=False).engine
    document = engine.document(register_html(project, sheet))
    return engine.pdf([document], None), len(document.pages)
