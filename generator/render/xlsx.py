"""The blank register workbooks, built with openpyxl once; rows are added later by ``generator.registers``.

The engine appends rows by editing the sheet XML without openpyxl, so everything a new row needs must already
be in the workbook when it is built: each column's default style (``<col style=...>``: text, date, wrap)
for the cells the engine writes, data validations and conditional formats over whole columns (row 2 to the
last row of a sheet), and an Excel table starting on the header row, whose ref the engine grows on append.

openpyxl quirks kept here: a string starting with ``=`` becomes a formula unless forced to text; ``save``
stamps the current time into ``docProps/core.xml`` and every zip entry, so the archive is rewritten with a
fixed time to keep the bytes of a register a function of the policy alone.

The dropdowns do not point at cells: each policy list has a workbook-level defined name (``List_<id>``, and
``ListNumbers_<id>`` for the numbers of a rating scale) naming its range on the hidden lists sheet, and a
validation's source is that name. When a policy list grows or shrinks, ``generator.registers.lists`` swaps in
a new lists sheet and re-points the names, and the register sheet's validations stay as they are. For that
swap the lists sheet is self-contained: inline strings and no cell styles, so it refers to nothing in the
workbook's ``styles.xml`` (which Excel may renumber) or shared strings.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..config.model import Policy, Register
from ..config.project import Project, RegisterColumn
from ..ooxml import archive

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "FIXED_TIME",
    "LAST_ROW",
    "LISTS_SHEET",
    "LIST_NAME_PREFIX",
    "LIST_NUMBERS_NAME_PREFIX",
    "MIN_PRINT_FONT",
    "TEXT_FORMAT",
    "ListRange",
    "ListValidation",
    "build_register",
    "column_width",
    "list_names",
    "list_ranges",
    "list_validation",
    "lists_sheet_xml",
    "print_fit",
    "rating_lists",
    "settled_statuses",
    "table_name",
]

LISTS_SHEET = "القوائم"
"""The hidden sheet holding each policy list, one per column, that the dropdowns read."""

LAST_ROW = 1_048_576
"""Excel's last row: validations and conditional formats reach it, so every appended row is covered."""

DATE_FORMAT = "yyyy-mm-dd"
"""ISO dates: Excel's locale date format (14) may show in another calendar on an Arabic-locale Excel."""
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TEXT_FORMAT = "@"

FIXED_TIME = dt.datetime(2024, 1, 1)
"""Creation/modification time written into every register, so the same policy gives the same bytes."""

SETTLED_STATUS_IDS = ("decided", "answered")
"""Status ids after which a request no longer waits for its reply date (ids, not labels: labels change)."""

_TEXT_TYPES = frozenset(
    {"text", "long_text", "reference", "national_id", "mobile", "email", "url", "time", "hijri_text"}
)
_LIST_TEXT_TYPES = frozenset({"choice", "multi_choice", "yes_no"})
_NUMBER_TYPES = frozenset({"number", "rating"})

# Width in characters of a column by type, before the label is considered.
_TYPE_WIDTH: dict[str, float] = {
    "reference": 18,
    "date": 12,
    "datetime": 17,
    "hijri_text": 14,
    "national_id": 14,
    "mobile": 14,
    "email": 28,
    "url": 32,
    "number": 10,
    "rating": 10,
    "yes_no": 9,
    "time": 10,
    "text": 22,
    "long_text": 40,
    "multi_choice": 30,
    "choice": 14,
}
_MAX_FITTED_WIDTH = 40.0

MIN_PRINT_FONT = 8.0
"""Points: the smallest text a printed register may have."""
_CELL_FONT_PT = 11.0  # the workbook's default font (Calibri 11), which the cells use
_FONT_MARGIN = 0.2  # points kept in hand for rounding
# A column of width w is w digits of the default font plus padding: 7w+5 pixels in Excel (Calibri 11), but
# 9.3w+5 in LibreOffice where Calibri is missing and DejaVu Sans stands in (measured: Calc on Debian printed
# the same columns 1.25 times wider). The fit is computed with the wider digit, so it holds in both.
_CHAR_PX, _COLUMN_PADDING_PX = 9.3, 5
_PRINTABLE_WIDTH_PT = 297 / 25.4 * 72 - 2 * 0.4 * 72  # landscape A4 less the 0.4 inch side margins
_HEADER_LINE_HEIGHT = 15.0  # points per line of the 11 pt bold header

_HEADER_FONT = Font(name="Arial", bold=True, size=11)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="8EA9DB")
_HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True, readingOrder=2)
_OVERDUE_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
_OVERDUE_FONT = Font(color="9C0006")

_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class ListRange:
    """Where one policy list sits on the lists sheet: its labels, and for a rating scale its numbers."""

    list_id: str
    labels: str
    numbers: str | None

    @property
    def labels_name(self) -> str:
        """The defined name of the labels range: what a dropdown of labels refers to."""
        return LIST_NAME_PREFIX + self.list_id

    @property
    def numbers_name(self) -> str | None:
        """The defined name of a rating scale's numbers range, if the list is rated with."""
        return None if self.numbers is None else LIST_NUMBERS_NAME_PREFIX + self.list_id


LIST_NAME_PREFIX = "List_"
LIST_NUMBERS_NAME_PREFIX = "ListNumbers_"
"""Prefixes of the defined names wathiqa owns; ``generator.registers.lists`` rewrites names with them only."""


@dataclass(frozen=True)
class ListValidation:
    """What a list column's dropdown holds: its source (a defined name) and, for a rating, its prompt."""

    formula1: str
    prompt_title: str | None
    prompt: str | None


# ------------------------------------------------------------------------------------------------ public
def build_register(project: Project, register_id: str) -> bytes:
    """The blank register ``register_id`` as .xlsx bytes: identical bytes for an identical project."""
    register = project.registers[register_id]
    policy = project.policy
    columns = project.register_columns(register_id)

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new Workbook always has its first sheet
    ws.title = register.sheet
    lists_ws = wb.create_sheet(LISTS_SHEET)
    _write_lists(lists_ws, project)
    for name, ref in list_names(project).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)

    _write_header(ws, columns)
    _set_columns(ws, columns, policy)
    _add_table(ws, register, columns)
    _add_validations(ws, columns, project)
    _add_overdue_format(ws, columns, policy)
    _set_print(ws, project, register)
    _set_properties(wb, register, policy)
    wb.active = 0
    return _deterministic(_save(wb))


def table_name(register_id: str) -> str:
    """The Excel table's name: ASCII, no hyphens (a table name is a formula name)."""
    return "Register_" + re.sub(r"[^A-Za-z0-9_]", "_", register_id)


def list_ranges(project: Project) -> dict[str, ListRange]:
    """The absolute ranges (with the sheet) of every policy list on the lists sheet, by list id."""
    policy = project.policy
    ratings = rating_lists(project)
    ranges: dict[str, ListRange] = {}
    col = 1
    sheet = quote_sheetname(LISTS_SHEET)
    for list_id, policy_list in policy.lists.items():
        n = len(policy_list.items)
        letter = get_column_letter(col)
        labels = f"{sheet}!${letter}$2:${letter}${n + 1}"
        numbers = None
        if list_id in ratings:
            col += 1
            num_letter = get_column_letter(col)
            numbers = f"{sheet}!${num_letter}$2:${num_letter}${n + 1}"
        ranges[list_id] = ListRange(list_id, labels, numbers)
        col += 1
    return ranges


def list_names(project: Project) -> dict[str, str]:
    """The defined names the dropdowns refer to, with the lists-sheet range each one names."""
    names: dict[str, str] = {}
    for where in list_ranges(project).values():
        names[where.labels_name] = where.labels
        if where.numbers is not None and where.numbers_name is not None:
            names[where.numbers_name] = where.numbers
    return names


def list_validation(project: Project, column: RegisterColumn) -> ListValidation | None:
    """The dropdown of a register column, or None for a column without one."""
    if column.list is None or column.type not in ("choice", "multi_choice", "rating"):
        return None
    where = list_ranges(project)[column.list]
    policy_list = project.policy.lists[column.list]
    if column.type == "rating" and where.numbers_name is not None:
        scale = "، ".join(f"{n} = {item.label}" for n, item in enumerate(policy_list.items, start=1))
        return ListValidation(where.numbers_name, policy_list.title[:32], scale[:255])
    return ListValidation(where.labels_name, None, None)


def lists_sheet_xml(project: Project) -> bytes:
    """The lists sheet's worksheet XML, byte for byte as :func:`build_register` writes it (it depends on the
    policy's lists only, never on the register or the rest of the workbook)."""
    wb = Workbook()  # its first sheet stays: the only sheet of a workbook cannot be hidden
    _write_lists(wb.create_sheet(LISTS_SHEET), project)
    with zipfile.ZipFile(io.BytesIO(_save(wb))) as archive:
        return archive.read("xl/worksheets/sheet2.xml")


def settled_statuses(policy: Policy, status_list: str) -> list[str]:
    """Labels of the statuses after which a request is no longer waiting (present in ``status_list``)."""
    labels = policy.lists[status_list].labels()
    return [labels[i] for i in SETTLED_STATUS_IDS if i in labels]


# ---------------------------------------------------------------------------------------------- content
def _set_text(cell: Cell, text: str) -> None:
    """A string that stays a string: openpyxl would otherwise store ``=...`` as a formula."""
    cell.value = text
    if text.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def rating_lists(project: Project) -> set[str]:
    """Lists some field or column rates with: their dropdown offers the numbers 1..N, as the cells hold."""
    found = {f.list for doc in project.documents.values() for f in doc.data_fields() if f.type == "rating"}
    for register_id in project.registers:
        found |= {c.list for c in project.register_columns(register_id) if c.type == "rating"}
    return {list_id for list_id in found if list_id is not None}


def _set_plain_text(cell: Cell, text: str) -> None:
    """Text with no cell style: the lists sheet refers to nothing in ``styles.xml`` (see the module doc)."""
    cell.value = text
    cell.data_type = "s"  # an inline string: never a formula, even when it starts with "="


def _write_lists(ws: Worksheet, project: Project) -> dict[str, ListRange]:
    policy = project.policy
    ranges = list_ranges(project)
    ws.sheet_state = "hidden"
    ws.sheet_view.rightToLeft = True
    col = 1
    for list_id, policy_list in policy.lists.items():
        labels = [item.label for item in policy_list.items]
        _set_plain_text(ws.cell(1, col), policy_list.title)
        for row, label in enumerate(labels, start=2):
            _set_plain_text(ws.cell(row, col), label)
        ws.column_dimensions[get_column_letter(col)].width = _fit(max(len(x) for x in labels), 12)
        if ranges[list_id].numbers is not None:
            col += 1
            _set_plain_text(ws.cell(1, col), policy_list.title)
            for row in range(2, len(labels) + 2):
                ws.cell(row, col).value = row - 1
        col += 1
    return ranges


def _write_header(ws: Worksheet, columns: list[RegisterColumn]) -> None:
    ws.sheet_view.rightToLeft = True
    ws.freeze_panes = "B2"  # the header row, and the reference column while scrolling sideways
    for col, column in enumerate(columns, start=1):
        cell = ws.cell(1, col)
        _set_text(cell, column.label)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = _HEADER_ALIGNMENT
    lines = max(math.ceil(len(c.label) / max(_width(c) - 2, 1)) for c in columns)
    ws.row_dimensions[1].height = max(lines, 2) * _HEADER_LINE_HEIGHT + 6


def _fit(chars: int, minimum: float) -> float:
    return round(min(max(minimum, chars * 1.1 + 2), _MAX_FITTED_WIDTH), 1)


def _width(column: RegisterColumn) -> float:
    """The YAML ``width:``, else a width for the type, widened for a long label or long list labels."""
    if column.width is not None:
        return column.width
    base = _TYPE_WIDTH.get(column.type, 16)
    longest_word = max((len(w) for w in column.label.split()), default=0)
    two_lines = math.ceil(len(column.label) / 2)  # the header wraps: a label may take two lines
    return _fit(max(longest_word, min(two_lines, 18)), base)


def _list_width(column: RegisterColumn, policy: Policy) -> float:
    width = _width(column)
    if column.width is None and column.type == "choice" and column.list in policy.lists:
        longest = max(len(item.label) for item in policy.lists[column.list].items)
        width = max(width, _fit(longest, 0))
    return width


def column_width(column: RegisterColumn, policy: Policy) -> float:
    """The width in characters :func:`build_register` gives the column."""
    return _list_width(column, policy)


def _number_format(column_type: str) -> str | None:
    if column_type == "date":
        return DATE_FORMAT
    if column_type == "datetime":
        return DATETIME_FORMAT
    if column_type in _TEXT_TYPES or column_type in _LIST_TEXT_TYPES:
        return TEXT_FORMAT
    return None  # numbers and ratings stay General


def _alignment(column_type: str) -> Alignment:
    if column_type in ("long_text", "multi_choice"):
        return Alignment(vertical="top", wrap_text=True, readingOrder=2)
    if column_type in ("date", "datetime", "rating", "yes_no", "number", "hijri_text"):
        return Alignment(horizontal="center", vertical="top")
    return Alignment(vertical="top", readingOrder=2)


def _set_columns(ws: Worksheet, columns: list[RegisterColumn], policy: Policy) -> None:
    """Widths, and the default style of each column: the engine gives a new row's cells this style."""
    for col, column in enumerate(columns, start=1):
        dim = ws.column_dimensions[get_column_letter(col)]
        dim.width = _list_width(column, policy)
        fmt = _number_format(column.type)
        if fmt is not None:
            dim.number_format = fmt
        dim.alignment = _alignment(column.type)


def _add_table(ws: Worksheet, register: Register, columns: list[RegisterColumn]) -> None:
    # One empty data row: a table needs one; the engine fills row 2 first and grows the ref from there.
    ref = f"A1:{get_column_letter(len(columns))}2"
    table = Table(displayName=table_name(register.id), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True, showColumnStripes=False)
    ws.add_table(table)


def _whole_column(col: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}2:{letter}{LAST_ROW}"


def _add_validations(ws: Worksheet, columns: list[RegisterColumn], project: Project) -> None:
    for col, column in enumerate(columns, start=1):
        spec = list_validation(project, column)
        if spec is None:
            continue
        validation = DataValidation(type="list", formula1=spec.formula1, allow_blank=True)
        if spec.prompt is not None:
            validation.promptTitle = spec.prompt_title
            validation.prompt = spec.prompt
            validation.showInputMessage = True
        # A multi-choice cell holds several labels joined with «، »: the dropdown offers one, typing may
        # add more, so Excel must not refuse what it cannot match against a single option.
        validation.showErrorMessage = column.type != "multi_choice"
        validation.add(_whole_column(col))
        ws.add_data_validation(validation)


def _formula_text(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _add_overdue_format(ws: Worksheet, columns: list[RegisterColumn], policy: Policy) -> None:
    """Colour a request still waiting after its earliest reply date: the office owes an answer."""
    by_id = {c.id: (i, c) for i, c in enumerate(columns, start=1)}
    if "earliest_reply" not in by_id or "status" not in by_id:
        return
    reply_col, reply = by_id["earliest_reply"]
    status_col, status = by_id["status"]
    if reply.type != "date" or status.list is None:
        return
    r = f"${get_column_letter(reply_col)}2"
    s = f"${get_column_letter(status_col)}2"
    conditions = [f"ISNUMBER({r})", f"{r}<TODAY()"]
    conditions += [f"{s}<>{_formula_text(label)}" for label in settled_statuses(policy, status.list)]
    rule = FormulaRule(formula=[f"AND({','.join(conditions)})"], fill=_OVERDUE_FILL, font=_OVERDUE_FONT)
    ws.conditional_formatting.add(f"A2:{get_column_letter(len(columns))}{LAST_ROW}", rule)


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a code in page headers


def print_fit(widths: list[float]) -> int | None:
    """The scale (percent) at which columns of these widths fit the width of a landscape A4 page, or None when
    fitting them would print the text smaller than :data:`MIN_PRINT_FONT` points."""
    points = sum((_CHAR_PX * w + _COLUMN_PADDING_PX) * 0.75 for w in widths)
    scale = min(1.0, _PRINTABLE_WIDTH_PT / points) if points else 1.0
    return math.floor(scale * 100) if _CELL_FONT_PT * scale >= MIN_PRINT_FONT + _FONT_MARGIN else None


def _set_print(ws: Worksheet, project: Project, register: Register) -> None:
    """Landscape A4, the header row on every page, the printed columns (the first ones) as the print area:
    fitted to the page width when the text stays readable, else at full size with the reference column
    repeated on each page the columns flow onto."""
    policy = project.policy
    printed = project.print_columns(register.id)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    fit = print_fit([column_width(c, policy) for c in printed])
    if fit is not None:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        ws.page_setup.scale = 100
        ws.page_setup.pageOrder = "overThenDown"  # a row's columns on consecutive pages
        ws.print_title_cols = "A:A"
    ws.print_title_rows = "1:1"
    ws.print_area = f"A1:{get_column_letter(len(printed))}{LAST_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.right.text = _header_text(policy.association.name)
    ws.oddHeader.center.text = _header_text(register.title)
    ws.oddHeader.center.font = "Arial,Bold"
    labels = policy.labels
    # Calc lays a footer out left to right: the right-to-left marks keep «صفحة ١ من ٢» in its Arabic order
    rlm = "\u200f"
    page, page_of = _header_text(labels.page), _header_text(labels.page_of)
    ws.oddFooter.center.text = f"{rlm}{page}{rlm} &P{rlm} {page_of}{rlm} &N{rlm}"


def _set_properties(wb: Workbook, register: Register, policy: Policy) -> None:
    props = wb.properties
    props.title = register.title
    props.subject = register.id
    props.creator = policy.association.name
    props.lastModifiedBy = policy.association.name
    props.language = "ar-SA"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME


# ------------------------------------------------------------------------------------------------ saving
def _save(wb: Workbook) -> bytes:
    """Save without ``openpyxl.save_workbook``, which overwrites the modified time with now."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return buffer.getvalue()


def _deterministic(blob: bytes) -> bytes:
    """The same archive with every entry stamped ``FIXED_TIME`` instead of the time of the save."""
    return archive.normalised(blob, FIXED_TIME.timetuple()[:6], level=9)
