"""The blank registers, reloaded with openpyxl the way Excel would read them, then grown by the engine."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from generator.config.project import Project, RegisterColumn, load_project
from generator.content.text import format_hijri
from generator.registers import open_register, read_register
from generator.registers.rows import record_from_row, row_for
from generator.render.xlsx import (
    DATE_FORMAT,
    FIXED_TIME,
    LAST_ROW,
    LISTS_SHEET,
    MIN_PRINT_FONT,
    TEXT_FORMAT,
    build_register,
    print_fit,
    table_name,
)
from tests.project_fixture import copy_project, edit

ROOT = Path(__file__).resolve().parent.parent
TEXT_TYPES = {"text", "long_text", "reference", "national_id", "mobile", "email", "url", "time", "hijri_text"}
LIST_TYPES = {"choice", "multi_choice", "rating"}


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


def load(blob: bytes) -> Workbook:
    return load_workbook(io.BytesIO(blob))


def sheet_of(project: Project, register_id: str, wb: Workbook) -> Worksheet:
    ws = wb[project.registers[register_id].sheet]
    assert isinstance(ws, Worksheet)
    return ws


def resolve(wb: Workbook, formula: str) -> list[Any]:
    """The values of a validation's source: a defined name of a ``'sheet'!$A$2:$A$9`` range, or the range."""
    if formula in wb.defined_names:
        formula = wb.defined_names[formula].attr_text
    m = re.fullmatch(r"'?(?P<sheet>[^'!]+)'?!(?P<range>\$?[A-Z]+\$?\d+:\$?[A-Z]+\$?\d+)", formula)
    assert m is not None, formula
    ws = wb[m["sheet"]]
    min_col, min_row, max_col, max_row = range_boundaries(m["range"].replace("$", ""))
    assert min_col == max_col
    return [ws.cell(r, min_col).value for r in range(min_row, (max_row or 0) + 1)]


def column_ranges(ws: Worksheet, letter: str) -> str:
    return f"{letter}2:{letter}{LAST_ROW}"


REGISTERS = ["contacts", "outgoing", "referrals", "requests", "satisfaction", "volunteers"]


# ---------------------------------------------------------------------------------------------- blank
@pytest.mark.parametrize("register_id", REGISTERS)
def test_sheet_is_rtl_with_a_styled_frozen_header(project: Project, register_id: str) -> None:
    wb = load(build_register(project, register_id))
    ws = sheet_of(project, register_id, wb)
    columns = project.register_columns(register_id)
    assert wb.sheetnames == [project.registers[register_id].sheet, LISTS_SHEET]  # the register sheet first
    assert wb.active is ws
    assert ws.sheet_view.rightToLeft
    assert ws.freeze_panes == "B2"
    assert [c.value for c in ws[1]] == [c.label for c in columns]
    assert ws.max_row == 1  # no data row yet: the engine's first append goes to row 2
    for cell in ws[1]:
        assert cell.font.b
        assert cell.fill.fgColor.rgb == "00DDEBF7"
        assert cell.alignment.wrap_text
        assert cell.border.bottom.style == "thin"
    assert ws.row_dimensions[1].height >= 30


@pytest.mark.parametrize("register_id", REGISTERS)
def test_table_with_filter_starts_on_the_header(project: Project, register_id: str) -> None:
    ws = sheet_of(project, register_id, load(build_register(project, register_id)))
    columns = project.register_columns(register_id)
    last = get_column_letter(len(columns))
    assert list(ws.tables) == [table_name(register_id)]
    table = ws.tables[table_name(register_id)]
    assert table.ref == f"A1:{last}2"
    assert table.headerRowCount == 1
    assert table.autoFilter is not None and table.autoFilter.ref == f"A1:{last}2"
    assert [c.name for c in table.tableColumns] == [c.label for c in columns]
    assert ws.auto_filter.ref is None  # a sheet filter over a table's range makes Excel repair the file


@pytest.mark.parametrize("register_id", REGISTERS)
def test_every_list_column_has_a_dropdown_of_the_policy_values(project: Project, register_id: str) -> None:
    wb = load(build_register(project, register_id))
    ws = sheet_of(project, register_id, wb)
    columns = project.register_columns(register_id)
    by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    expected_ranges = set()
    for col, column in enumerate(columns, start=1):
        if column.type not in LIST_TYPES:
            continue
        assert column.list is not None
        whole = column_ranges(ws, get_column_letter(col))
        expected_ranges.add(whole)
        dv = by_range[whole]
        assert dv.type == "list"
        assert dv.allow_blank
        assert not dv.showDropDown  # openpyxl's showDropDown=True would hide the arrow
        items = project.policy.lists[column.list].items
        values = resolve(wb, dv.formula1)
        if column.type == "rating":
            assert values == list(range(1, len(items) + 1))
            assert dv.prompt is not None and items[0].label in dv.prompt and items[-1].label in dv.prompt
        else:
            assert values == [item.label for item in items]
        # a multi-choice cell holds several labels joined: Excel must not refuse it
        assert bool(dv.showErrorMessage) is (column.type != "multi_choice")
    assert set(by_range) == expected_ranges


def test_lists_sheet_is_hidden_and_holds_every_policy_list(project: Project) -> None:
    wb = load(build_register(project, "requests"))
    lists = wb[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    titles = [c.value for c in lists[1]]
    for policy_list in project.policy.lists.values():
        col = titles.index(policy_list.title) + 1
        labels = [lists.cell(r, col).value for r in range(2, len(policy_list.items) + 2)]
        assert labels == [item.label for item in policy_list.items]
        assert lists.cell(len(policy_list.items) + 2, col).value is None


@pytest.mark.parametrize("register_id", REGISTERS)
def test_print_set_up(project: Project, register_id: str) -> None:
    ws = sheet_of(project, register_id, load(build_register(project, register_id)))
    printed = project.print_columns(register_id)
    layout = project.registers[register_id].print_layout
    assert layout is not None and [c.id for c in printed] == layout.columns
    # the printed columns come first, so the print area is one block: A to the last printed column
    assert [c.value for c in ws[1]][: len(printed)] == [c.label for c in printed]
    last = get_column_letter(len(printed))
    assert ws.print_area == f"'{ws.title}'!$A$1:${last}${LAST_ROW}"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    # fitted to the width at no less than 8 pt text (11 pt cells), even with Calc's wider fallback font
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    widths = [ws.column_dimensions[get_column_letter(i)].width for i in range(1, len(printed) + 1)]
    scale = print_fit(widths)
    assert scale is not None and 11 * scale / 100 >= MIN_PRINT_FONT
    assert ws.print_title_rows == "$1:$1"
    header = ws.oddHeader
    assert header.center.text == project.registers[register_id].title
    assert header.right.text == project.policy.association.name
    assert "&P" in (ws.oddFooter.center.text or "") and "&N" in (ws.oddFooter.center.text or "")


def test_too_many_columns_to_fit_print_at_full_size_with_the_reference_on_every_page(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    edit(policy.parent.parent / "forms" / "registers" / "requests.yml", "            decision, answered_on]",
         "            decision, answered_on, email, district, site_name, site_address, teacher_name]")  # fmt: skip
    project = load_project(policy)
    ws = sheet_of(project, "requests", load(build_register(project, "requests")))
    assert print_fit([ws.column_dimensions[get_column_letter(i)].width for i in range(1, 16)]) is None
    assert ws.print_area == f"'{ws.title}'!$A$1:$O${LAST_ROW}"
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.scale) == 100
    assert ws.print_title_cols == "$A:$A" and ws.print_title_rows == "$1:$1"
    assert ws.page_setup.pageOrder == "overThenDown"


def test_print_fit_keeps_text_at_8_points() -> None:
    assert print_fit([10.0]) == 100  # one narrow column: full size
    fitted = print_fit([14.0] * 10)
    assert fitted is not None and 11 * fitted / 100 >= MIN_PRINT_FONT
    assert print_fit([20.0] * 10) is None  # 200 characters would print at about 6 points


def expected_format(column: RegisterColumn) -> str:
    if column.type == "date":
        return DATE_FORMAT
    if column.type in TEXT_TYPES or column.type in ("choice", "multi_choice", "yes_no"):
        return TEXT_FORMAT
    return "General"


@pytest.mark.parametrize("register_id", REGISTERS)
def test_columns_have_widths_and_default_formats(project: Project, register_id: str) -> None:
    ws = sheet_of(project, register_id, load(build_register(project, register_id)))
    for col, column in enumerate(project.register_columns(register_id), start=1):
        dim = ws.column_dimensions[get_column_letter(col)]
        assert dim.number_format == expected_format(column), column.id
        if column.width is not None:
            assert dim.width == column.width
        else:
            assert 9 <= dim.width <= 40, column.id
        if column.type == "long_text":
            assert dim.alignment.wrap_text


def test_column_types_of_the_requests_register(project: Project) -> None:
    ws = sheet_of(project, "requests", load(build_register(project, "requests")))
    formats = {c.value: ws.column_dimensions[c.column_letter].number_format for c in ws[1]}
    assert formats["رقم الهوية الوطنية أو الإقامة"] == "@"
    assert formats["رقم الجوال"] == "@"
    assert formats["الرقم المرجعي"] == "@"
    assert formats["تاريخ الاستلام"] == "yyyy-mm-dd"
    assert formats["تاريخ الاستلام (هجري)"] == "@"
    assert formats["العدد المتوقع للطلاب أو الطالبات"] == "General"


def test_requests_past_their_reply_date_are_marked(project: Project) -> None:
    ws = sheet_of(project, "requests", load(build_register(project, "requests")))
    letters = {c.value: c.column_letter for c in ws[1]}
    reply, status = letters["أقرب موعد للرد"], letters["حالة الطلب"]
    last = get_column_letter(ws.max_column)
    rules = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    assert list(rules) == [f"A2:{last}{LAST_ROW}"]
    (rule,) = rules[f"A2:{last}{LAST_ROW}"]
    assert rule.type == "expression"
    assert rule.formula == [
        f'AND(ISNUMBER(${reply}2),${reply}2<TODAY(),${status}2<>"صدر القرار",${status}2<>"تم الرد")'
    ]
    assert rule.dxf.fill.bgColor.rgb == "00FFC7CE"


@pytest.mark.parametrize("register_id", ["contacts", "outgoing", "satisfaction"])
def test_registers_without_a_reply_date_have_no_conditional_format(project: Project, register_id: str) -> None:
    ws = sheet_of(project, register_id, load(build_register(project, register_id)))
    assert not list(ws.conditional_formatting)


@pytest.mark.parametrize("register_id", REGISTERS)
def test_same_project_same_bytes(project: Project, register_id: str) -> None:
    first = build_register(project, register_id)
    assert build_register(project, register_id) == first
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {info.date_time for info in zf.infolist()} == {FIXED_TIME.timetuple()[:6]}
    props = load(first).properties
    assert props.created == props.modified == FIXED_TIME
    assert props.title == project.registers[register_id].title
    assert props.creator == project.policy.association.name


# ------------------------------------------------------------------------------------- engine appends
def new_record(i: int) -> dict[str, Any]:
    return {
        "applicant_name": "=1+1" if i == 1 else f"متقدم {i}",
        "gender": "female" if i % 2 else "male",
        "national_id": "1012345678",
        "mobile": "0501234567",
        "request_type": "open_circle",
        "days": ["sunday", "tuesday"],
        "expected_students": 10 + i,
        "channel": "website",
    }


@pytest.fixture
def grown(project: Project, tmp_path: Path) -> tuple[Path, list[dict[str, Any]], list[str]]:
    """A requests register built, then three rows appended by the engine with references it allocated."""
    path = tmp_path / "registers" / "requests.xlsx"
    path.parent.mkdir()
    path.write_bytes(build_register(project, "requests"))
    records = [new_record(i) for i in (1, 2, 3)]
    references = []
    for record in records:
        with open_register(path) as register:
            reference = f"REQ-1448-{register.next_sequence('الرقم المرجعي', 'REQ-1448-'):05d}"
            row = row_for(
                project,
                "requests",
                record,
                reference=reference,
                issue_date=dt.date(2026, 9, 1),
                extra={"status": "received"},
            )
            register.append(row)
        references.append(reference)
    return path, records, references


def test_appended_rows_keep_their_types(project: Project, grown: tuple[Path, list[Any], list[str]]) -> None:
    path, _, references = grown
    assert references == ["REQ-1448-00001", "REQ-1448-00002", "REQ-1448-00003"]
    wb = load_workbook(path)
    ws = sheet_of(project, "requests", wb)
    col = {c.value: c.column for c in ws[1]}
    assert ws.max_row == 4
    assert [ws.cell(r, col["الرقم المرجعي"]).value for r in (2, 3, 4)] == references

    received = ws.cell(2, col["تاريخ الاستلام"])
    assert received.is_date and received.value == dt.datetime(2026, 9, 1)
    assert received.number_format == DATE_FORMAT
    reply = ws.cell(2, col["أقرب موعد للرد"])
    assert reply.is_date and reply.value == dt.datetime(2026, 9, 15)
    assert ws.cell(2, col["تاريخ الاستلام (هجري)"]).value == format_hijri(dt.date(2026, 9, 1), "arabic")

    mobile = ws.cell(3, col["رقم الجوال"])
    assert mobile.value == "0501234567" and mobile.data_type == "s"
    assert mobile.number_format == TEXT_FORMAT
    national_id = ws.cell(3, col["رقم الهوية الوطنية أو الإقامة"])
    assert national_id.value == "1012345678" and national_id.data_type == "s"

    formula_like = ws.cell(2, col["الاسم الرباعي"])
    assert formula_like.value == "=1+1" and formula_like.data_type == "s"
    assert formula_like.quotePrefix

    assert ws.cell(2, col["الجنس"]).value == "أنثى"
    assert ws.cell(2, col["أيام الحلقة"]).value == "الأحد، الثلاثاء"
    students = ws.cell(4, col["العدد المتوقع للطلاب أو الطالبات"])
    assert students.value == 13 and students.data_type == "n"
    assert ws.cell(4, col["حالة الطلب"]).value == "مستلم"


def test_dropdowns_filter_and_format_cover_appended_rows(
    project: Project, grown: tuple[Path, list[Any], list[str]]
) -> None:
    path, _, _ = grown
    wb = load_workbook(path)
    ws = sheet_of(project, "requests", wb)
    last = get_column_letter(ws.max_column)
    assert ws.tables[table_name("requests")].ref == f"A1:{last}4"
    assert ws.tables[table_name("requests")].autoFilter.ref == f"A1:{last}4"
    status = next(c.column_letter for c in ws[1] if c.value == "حالة الطلب")
    dv = next(dv for dv in ws.data_validations.dataValidation if status in str(dv.sqref))
    assert f"{status}4" in dv.sqref
    assert resolve(wb, dv.formula1) == [item.label for item in project.policy.lists["statuses"].items]
    (cf,) = list(ws.conditional_formatting)
    assert f"{status}4" in cf.sqref and f"A{LAST_ROW}" in cf.sqref


def test_rows_read_back_as_the_records_they_came_from(
    project: Project, grown: tuple[Path, list[dict[str, Any]], list[str]]
) -> None:
    path, records, references = grown
    _, rows = read_register(path, sheet=project.registers["requests"].sheet)
    for row, record, reference in zip(rows, records, references, strict=True):
        back = record_from_row(project, "requests", row.values)
        assert back == {
            **record,
            "reference": reference,
            "received_on": dt.date(2026, 9, 1),
            "earliest_reply": dt.date(2026, 9, 15),
            "status": "received",
        }


def test_archivist_decision_is_read_back_as_ids(project: Project, grown: tuple[Path, list[Any], list[str]]) -> None:
    path, _, _ = grown
    with open_register(path) as register:
        register.update(
            3,
            {
                "حالة الطلب": "صدر القرار",
                "القرار": "اعتذار",
                "سبب الاعتذار": "عدم ملاءمة الموقع المقترح",
                "تاريخ القرار": dt.date(2026, 9, 20),
            },
        )
    _, rows = read_register(path)
    record = record_from_row(project, "requests", rows[1].values)
    assert (record["status"], record["decision"], record["rejection_reason"]) == (
        "decided",
        "rejected",
        "site_unsuitable",
    )
    assert record["decision_date"] == dt.date(2026, 9, 20)
