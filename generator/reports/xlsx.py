"""report.xlsx: the report's tables on right-to-left sheets, with native Excel bar charts.

One sheet per section (and a summary first); each table is a title row, a header row and one row per line,
numbers kept as numbers (means ``0.00``, shares ``0%``). A table drawn as bars in the PDF gets a bar chart
beside it whose series reference that table's cells, titled in Arabic. Text from the registers (a city, a
comment) that looks like a formula is stored as text.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..content.text import Calendar, DigitStyle
from ..ooxml import archive
from .html import format_value
from .view import ReportView, Section, Table, Value, ValueKind, plain
from .wording import ReportWording

__all__ = ["CHART_ROWS", "report_xlsx"]

CHART_ROWS = 16
"""Rows a chart covers (7.5 cm at the default row height): the next table starts below it."""

_NUMBER_FORMATS: dict[str, str] = {"mean": "0.00", "share": "0%", "days": "0.0", "count": "0"}
_HEAD_FILL = PatternFill("solid", fgColor="1D5C4D")
_HEADER_FILL = PatternFill("solid", fgColor="E9EFED")
_FORMULA_START = ("=", "+", "-", "@")


def _put(
    ws: Worksheet, row: int, col: int, value: Value, kind: ValueKind, calendar: Calendar, digits: DigitStyle
) -> Cell:
    cell: Cell = ws.cell(row=row, column=col)
    if isinstance(value, date):
        value = format_value(value, "date", digits, calendar)  # Hijri dates are text (Excel's Hijri is not portable)
    if isinstance(value, str):
        cell.value = value
        if value.startswith(_FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True
        return cell
    cell.value = value
    if value is not None and kind in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[kind] if isinstance(value, float) or kind != "days" else "0"
    return cell


class _SheetWriter:
    def __init__(self, ws: Worksheet, calendar: Calendar, digits: DigitStyle) -> None:
        self.ws = ws
        self.calendar = calendar
        self.digits = digits
        self.row = 1
        ws.sheet_view.rightToLeft = True
        ws.column_dimensions["A"].width = 46
        for col in range(2, 8):
            ws.column_dimensions[get_column_letter(col)].width = 16

    def heading(self, text: str) -> None:
        cell = _put(self.ws, self.row, 1, text, "text", self.calendar, self.digits)
        cell.font = Font(bold=True, size=14, color="FFFFFF")
        cell.fill = _HEAD_FILL
        self.row += 2

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        cell = _put(self.ws, self.row, 1, text, "text", self.calendar, self.digits)
        cell.font = Font(bold=bold)
        cell.alignment = Alignment(wrap_text=False)
        self.row += 1

    def table(self, table: Table) -> None:
        ws = self.ws
        title = _put(ws, self.row, 1, table.title, "text", self.calendar, self.digits)
        title.font = Font(bold=True, size=12, color="1D5C4D")
        start = self.row
        self.row += 1
        header_row = self.row
        for col, text in enumerate((table.label_header, *table.headers), 1):
            cell = _put(ws, header_row, col, text, "text", self.calendar, self.digits)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for line in table.lines:
            self.row += 1
            _put(ws, self.row, 1, line.label, "text", self.calendar, self.digits)
            for col, value in enumerate(line.values, 2):
                _put(ws, self.row, col, value, line.kind or table.kinds[col - 2], self.calendar, self.digits)
        last = self.row
        self.row += 1
        if table.note:
            note = _put(ws, self.row, 1, table.note, "text", self.calendar, self.digits)
            note.font = Font(italic=True, size=9)
            self.row += 1
        if table.chart is not None and table.lines:
            self._chart(table, header_row, last)
            self.row = max(self.row, start + CHART_ROWS)
        self.row += 1

    def _chart(self, table: Table, header_row: int, last: int) -> None:
        chart = BarChart()
        chart.type = "bar"  # horizontal bars, one per line, as in the PDF
        chart.style = 10
        chart.title = table.title
        chart.legend.position = "b"
        chart.height = 7.5
        chart.width = 15
        assert table.chart is not None
        for column in (table.chart, table.chart_previous):
            if column is None:
                continue
            data = Reference(self.ws, min_col=column + 2, min_row=header_row, max_row=last)
            chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(self.ws, min_col=1, min_row=header_row + 1, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"  # the first line on top, as in the table
        if table.chart_top is not None:
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max = table.chart_top if table.kinds[table.chart] != "share" else 1
        self.ws.add_chart(chart, f"{get_column_letter(len(table.headers) + 3)}{header_row - 1}")


def _section_sheet(wb: Workbook, name: str, section: Section, calendar: Calendar, digits: DigitStyle) -> None:
    writer = _SheetWriter(wb.create_sheet(name), calendar, digits)
    writer.heading(section.title)
    for table in section.tables:
        writer.table(table)
    if section.texts or section.note:
        if section.texts_title:
            writer.paragraph(section.texts_title, bold=True)
        if section.note:
            writer.paragraph(section.note, bold=True)
        for text in section.texts:
            writer.paragraph(text)


def report_xlsx(view: ReportView, words: ReportWording, calendar: Calendar, made_on: date) -> bytes:
    """report.xlsx as bytes; the same figures on the same day give the same bytes."""
    wb = Workbook()
    stamp = datetime.combine(made_on, time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "wathiqa"
    summary = wb.active
    assert summary is not None
    summary.title = words.sheets.summary
    writer = _SheetWriter(summary, calendar, view.digits)
    writer.heading(view.title)
    writer.paragraph(view.subtitle)
    writer.paragraph(f"{words.period}: {view.period_title} — {plain(view.period_dates)}", bold=True)
    writer.paragraph(f"{words.previous_period}: {view.previous_title}")
    writer.paragraph(plain(view.as_of))
    for notice in view.notices:
        writer.paragraph(notice, bold=True)
    writer.paragraph(plain(view.generated))
    names = {
        "requests": words.sheets.requests,
        "contacts": words.sheets.contacts,
        "satisfaction": words.sheets.satisfaction,
        "volunteers": words.sheets.volunteers,
        "uncounted": words.sheets.uncounted,
    }
    for section in view.sections:
        _section_sheet(wb, names[section.id], section, calendar, view.digits)
    out = io.BytesIO()
    wb.save(out)
    return _stamped(out.getvalue(), made_on)


def _stamped(data: bytes, made_on: date) -> bytes:
    """The workbook with every zip member, and its modification date, set to ``made_on``: openpyxl stamps
    the current time into both on save."""
    stamp = (made_on.year, made_on.month, made_on.day, 0, 0, 0)
    modified = f"{made_on.isoformat()}T00:00:00Z".encode()

    def dated(name: str, content: bytes) -> bytes:
        if name != "docProps/core.xml":
            return content
        return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified, content)

    return archive.normalised(data, stamp, level=6, edit=dated)
