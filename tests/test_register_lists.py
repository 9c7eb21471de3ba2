"""A policy list changes; the existing registers' dropdowns follow, and nothing the archivists did is lost."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from generator.cli.main import main
from generator.config.project import Project, load_project
from generator.registers import RegisterError, RegisterOpenInExcelError, open_register, read_register
from generator.registers.lists import refresh_lists
from generator.registers.rows import row_for
from generator.render.xlsx import LISTS_SHEET, build_register, list_ranges
from tests.project_fixture import ROOT, copy_project, edit
from tests.xlsx_fixtures import members, save_as_excel_would

NEW_CHANNEL = "      - {id: mosque_imam, label: إمام المسجد}\n"
DROPPED_AGE_GROUP = "      - {id: all_ages, label: جميع الأعمار}\n"
ARCHIVIST_SHEET = "ملاحظات الأرشيف"
ARCHIVIST_FILL = "FFFF00"


# ------------------------------------------------------------------------------------------------ helpers
def resolve(wb: Workbook, formula: str) -> list[Any]:
    """The values a dropdown offers: its source (a defined name, else a range) resolved to the cells."""
    source = formula.lstrip("=")
    if source in wb.defined_names:
        source = wb.defined_names[source].attr_text
    m = re.fullmatch(r"'?(?P<sheet>[^'!]+)'?!(?P<range>\$?[A-Z]+\$?\d+:\$?[A-Z]+\$?\d+)", source)
    assert m is not None, formula
    ws = wb[m["sheet"]]
    min_col, min_row, max_col, max_row = range_boundaries(m["range"].replace("$", ""))
    assert min_col == max_col
    return [ws.cell(r, min_col).value for r in range(min_row, (max_row or 0) + 1)]


def dropdown(wb: Workbook, sheet: str, label: str) -> list[Any]:
    ws = wb[sheet]
    assert isinstance(ws, Worksheet)
    letter = next(c.column_letter for c in ws[1] if c.value == label)
    (dv,) = [dv for dv in ws.data_validations.dataValidation if f"{letter}2" in dv.sqref]
    return resolve(wb, dv.formula1)


def labels(project: Project, list_id: str) -> list[str]:
    return [item.label for item in project.policy.lists[list_id].items]


def record(i: int) -> dict[str, Any]:
    return {
        "applicant_name": f"متقدم {i}",
        "gender": "female" if i % 2 else "male",
        "national_id": "1012345678",
        "mobile": "0501234567",
        "request_type": "open_circle",
        "age_group": "all_ages" if i == 1 else "children",  # a label the policy will drop: the row keeps it
        "days": ["sunday", "tuesday"],
        "expected_students": 10 + i,
        "channel": "website",
    }


def append_rows(project: Project, path: Path, n: int) -> None:
    for i in range(1, n + 1):
        with open_register(path) as register:
            reference = f"REQ-1448-{register.next_sequence('الرقم المرجعي', 'REQ-1448-'):05d}"
            register.append(
                row_for(
                    project,
                    "requests",
                    record(i),
                    reference=reference,
                    issue_date=dt.date(2026, 9, 1),
                    extra={"status": "received"},
                )
            )


def archivist_edits(path: Path) -> None:
    """What an archivist does in Excel (openpyxl stands in): a sheet of their own and a coloured cell."""
    wb = load_workbook(path)
    notes = wb.create_sheet(ARCHIVIST_SHEET)
    notes["A1"] = "راجع طلب المتقدم ٢ مع المشرف"
    wb.worksheets[0]["B3"].fill = PatternFill("solid", fgColor=ARCHIVIST_FILL)
    wb.save(path)


def change_policy(policy: Path) -> Project:
    """Add an option to channels, drop one from age_groups."""
    edit(
        policy,
        "      - {id: branch_supervisors, label: مشرفو المكاتب الفرعية}\n",
        "      - {id: branch_supervisors, label: مشرفو المكاتب الفرعية}\n" + NEW_CHANNEL,
    )
    edit(policy, DROPPED_AGE_GROUP, "")
    return load_project(policy)


def part_of_sheet(path: Path, sheet: str) -> str:
    """The zip member holding ``sheet``, read from workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    m = re.search(r'<sheet [^>]*name="' + re.escape(sheet) + r'"[^>]*r:id="([^"]+)"', book)
    assert m is not None, sheet
    t = re.search(r'Id="' + m.group(1) + r'"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="' + m.group(1) + '"', rels)
    assert t is not None
    target = t.group(1) or t.group(2)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Project]:
    """A copy of the project, and its requests register with three rows and an archivist's edits."""
    policy = copy_project(tmp_path / "project")
    project = load_project(policy)
    path = tmp_path / "out" / "registers" / "requests.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(build_register(project, "requests"))
    append_rows(project, path, 3)
    archivist_edits(path)
    return policy, path, project


# -------------------------------------------------------------------------------------------------- tests
def test_a_changed_list_reaches_the_dropdowns_and_nothing_else_changes(
    setup: tuple[Path, Path, Project],
) -> None:
    policy, path, old_project = setup
    sheet = old_project.registers["requests"].sheet
    before = members(path)
    header, rows = read_register(path, sheet=sheet)
    backups = set((path.parent / "backups").iterdir())
    new_project = change_policy(policy)
    assert labels(new_project, "channels") == [*labels(old_project, "channels"), "إمام المسجد"]

    assert refresh_lists(new_project, "requests", path) is True

    wb = load_workbook(path)
    assert dropdown(wb, sheet, "وصل الطلب عن طريق") == labels(new_project, "channels")
    assert dropdown(wb, sheet, "الفئة العمرية المستهدفة") == labels(new_project, "age_groups")
    assert "جميع الأعمار" not in dropdown(wb, sheet, "الفئة العمرية المستهدفة")
    for column in new_project.register_columns("requests"):  # every other dropdown still right
        if column.type in ("choice", "multi_choice") and column.list is not None:
            assert dropdown(wb, sheet, column.label) == labels(new_project, column.list), column.label
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    # the rows, the archivist's sheet and colour
    assert read_register(path, sheet=sheet) == (header, rows)
    assert rows[0]["الفئة العمرية المستهدفة"] == "جميع الأعمار"  # a value the policy dropped stays as typed
    assert wb[ARCHIVIST_SHEET]["A1"].value == "راجع طلب المتقدم ٢ مع المشرف"
    assert wb.worksheets[0]["B3"].fill.fgColor.rgb == "00" + ARCHIVIST_FILL
    # only the lists sheet and workbook.xml (the names) changed: the register sheet's dropdowns were right
    after = members(path)
    assert list(after) == list(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {part_of_sheet(path, LISTS_SHEET), "xl/workbook.xml"}
    book_before, book_after = before["xl/workbook.xml"].decode(), after["xl/workbook.xml"].decode()
    outside_names = re.compile(r"<definedNames>.*</definedNames>", re.S)
    assert outside_names.sub("", book_before) == outside_names.sub("", book_after)
    assert "_xlnm.Print_Titles" in book_after  # openpyxl wrote it on the archivist's save; kept
    # the previous version kept as a backup
    (backup,) = set((path.parent / "backups").iterdir()) - backups
    assert members(backup) == before

    # a second refresh finds nothing to do and writes nothing
    raw = path.read_bytes()
    stat = path.stat()
    assert refresh_lists(new_project, "requests", path) is False
    assert path.read_bytes() == raw
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert set((path.parent / "backups").iterdir()) == backups | {backup}


def test_a_fresh_register_is_already_current(tmp_path: Path) -> None:
    project = load_project(copy_project(tmp_path / "project"))
    path = tmp_path / "requests.xlsx"
    path.write_bytes(build_register(project, "requests"))
    raw = path.read_bytes()
    assert refresh_lists(project, "requests", path) is False
    assert path.read_bytes() == raw
    assert not (tmp_path / "backups").exists()


def test_a_list_that_shrinks_has_no_stale_option_below_it(setup: tuple[Path, Path, Project]) -> None:
    """The name's range ends on the last label: the cell the dropped label left is not offered."""
    policy, path, _ = setup
    project = change_policy(policy)
    refresh_lists(project, "requests", path)
    wb = load_workbook(path)
    ref = wb.defined_names["List_age_groups"].attr_text
    assert ref == list_ranges(project)["age_groups"].labels
    assert ref.endswith(f"${len(labels(project, 'age_groups')) + 1}")


def test_a_register_saved_by_excel_is_refreshed(setup: tuple[Path, Path, Project]) -> None:
    """Excel moves the strings into sharedStrings.xml; the new lists sheet does not depend on it."""
    policy, path, old_project = setup
    save_as_excel_would(path)
    sheet = old_project.registers["requests"].sheet
    rows = read_register(path, sheet=sheet)
    project = change_policy(policy)
    assert refresh_lists(project, "requests", path) is True
    wb = load_workbook(path)
    assert dropdown(wb, sheet, "وصل الطلب عن طريق") == labels(project, "channels")
    assert read_register(path, sheet=sheet) == rows
    assert refresh_lists(project, "requests", path) is False


def _as_built_before_names(path: Path, project: Project) -> None:
    """Rewrite a register as the generator made it before dropdowns referred to names: each validation's
    source is the list's cell range, and workbook.xml has no list names."""
    ranges = list_ranges(project)
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    book = re.sub(rb'<definedName name="List(?:Numbers)?_[a-z_]+">[^<]*</definedName>', b"", parts["xl/workbook.xml"])
    parts["xl/workbook.xml"] = book
    sheet_part = part_of_sheet(path, project.registers["requests"].sheet)

    def to_range(m: re.Match[bytes]) -> bytes:
        name = m.group(1).decode()
        where = ranges[name.split("_", 1)[1]]
        source = where.numbers if name.startswith("ListNumbers_") else where.labels
        assert source is not None
        return b"<formula1>" + source.replace("'", "&apos;").encode() + b"</formula1>"

    parts[sheet_part] = re.sub(rb"<formula1>(List(?:Numbers)?_[a-z_]+)</formula1>", to_range, parts[sheet_part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_register_made_before_list_names_is_moved_to_them(tmp_path: Path) -> None:
    policy = copy_project(tmp_path / "project")
    old_project = load_project(policy)
    path = tmp_path / "requests.xlsx"
    path.write_bytes(build_register(old_project, "requests"))
    append_rows(old_project, path, 2)
    _as_built_before_names(path, old_project)
    sheet = old_project.registers["requests"].sheet
    assert "List_" not in str(load_workbook(path)[sheet].data_validations.dataValidation[0].formula1)
    rows = read_register(path, sheet=sheet)

    project = change_policy(policy)
    assert refresh_lists(project, "requests", path) is True
    wb = load_workbook(path)
    ws = wb[sheet]
    assert isinstance(ws, Worksheet)
    columns = project.register_columns("requests")
    for col, column in enumerate(columns, start=1):
        if column.type in ("choice", "multi_choice") and column.list is not None:
            (dv,) = [dv for dv in ws.data_validations.dataValidation if f"{get_column_letter(col)}2" in dv.sqref]
            assert dv.formula1 == f"List_{column.list}"
            assert resolve(wb, dv.formula1) == labels(project, column.list)
    assert read_register(path, sheet=sheet) == rows
    assert refresh_lists(project, "requests", path) is False


def test_a_rating_scale_change_updates_its_prompt(tmp_path: Path) -> None:
    policy = copy_project(tmp_path / "project")
    project = load_project(policy)
    path = tmp_path / "satisfaction.xlsx"
    path.write_bytes(build_register(project, "satisfaction"))
    old = project.policy.lists["rating_scale"].items[2].label
    text = policy.read_text(encoding="utf-8")
    assert text.count(f"label: {old}}}") == 1
    edit(policy, f"label: {old}}}", "label: مقبول}")
    project = load_project(policy)
    assert refresh_lists(project, "satisfaction", path) is True
    wb = load_workbook(path)
    ws = wb[project.registers["satisfaction"].sheet]
    assert isinstance(ws, Worksheet)
    ratings = [dv for dv in ws.data_validations.dataValidation if dv.formula1 == "ListNumbers_rating_scale"]
    assert ratings
    for dv in ratings:
        assert dv.prompt is not None and "3 = مقبول" in dv.prompt and old not in dv.prompt
        assert resolve(wb, dv.formula1) == [1, 2, 3, 4, 5]
    assert refresh_lists(project, "satisfaction", path) is False


def test_a_register_open_in_excel_is_not_touched(setup: tuple[Path, Path, Project]) -> None:
    policy, path, _ = setup
    raw = path.read_bytes()
    path.with_name("~$" + path.name).write_bytes(b"\x05ahmad")
    project = change_policy(policy)
    with pytest.raises(RegisterOpenInExcelError):
        refresh_lists(project, "requests", path)
    assert path.read_bytes() == raw


def test_build_refreshes_an_existing_register_and_keeps_its_rows(setup: tuple[Path, Path, Project]) -> None:
    policy, path, old_project = setup
    project_dir = policy.parent.parent
    shutil.copytree(ROOT / "templates", project_dir / "templates", dirs_exist_ok=True)  # build renders too
    sheet = old_project.registers["requests"].sheet
    rows = read_register(path, sheet=sheet)
    change_policy(policy)
    out = io.StringIO()
    argv = ["build", "--policy", str(policy), "--out", str(path.parent.parent), "--only", "requests"]
    assert main(argv, stdout=out, stderr=io.StringIO()) == 0
    assert str(path) in out.getvalue().splitlines()
    wb = load_workbook(path)
    assert "إمام المسجد" in dropdown(wb, sheet, "وصل الطلب عن طريق")
    assert wb[ARCHIVIST_SHEET]["A1"].value == "راجع طلب المتقدم ٢ مع المشرف"
    assert read_register(path, sheet=sheet) == rows
    raw = path.read_bytes()
    out = io.StringIO()
    assert main(argv, stdout=out, stderr=io.StringIO()) == 0  # nothing new in the policy: not a byte
    assert str(path) not in out.getvalue().splitlines()
    assert path.read_bytes() == raw


def test_the_lists_sheet_stands_alone(tmp_path: Path) -> None:
    """No cell style or shared string: the part can be swapped into a register Excel has renumbered."""
    project = load_project(copy_project(tmp_path / "project"))
    path = tmp_path / "requests.xlsx"
    path.write_bytes(build_register(project, "requests"))
    xml = members(path)[part_of_sheet(path, LISTS_SHEET)]
    assert b' s="' not in xml and b't="s"' not in xml and b"r:id" not in xml


@pytest.mark.parametrize(
    ("names_xml", "expected"),
    [
        ("", "<sheets>"),  # no definedNames yet: one is added after the sheets
        ("<definedNames/>", "<definedNames>"),
    ],
)
def test_defined_names_are_added_where_the_schema_wants_them(tmp_path: Path, names_xml: str, expected: str) -> None:
    path = tmp_path / "plain.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "عنوان"
    wb.create_sheet("other")["A1"] = "x"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    book = re.sub(rb"<definedNames>.*?</definedNames>|<definedNames/>", b"", parts["xl/workbook.xml"])
    parts["xl/workbook.xml"] = book.replace(b"</sheets>", b"</sheets>" + names_xml.encode())
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    before = members(path)
    with open_register(path) as tx:
        assert tx.defined_names() == {}
        tx.set_defined_names({"List_x": "other!$A$1:$A$1", "List_gone": None})
        assert tx.defined_names() == {"List_x": "other!$A$1:$A$1"}
    after = members(path)
    assert {n for n in before if before[n] != after[n]} == {"xl/workbook.xml"}
    book_xml = after["xl/workbook.xml"].decode()
    assert book_xml.index(expected) < book_xml.index('<definedName name="List_x">other!$A$1:$A$1</definedName>')
    assert book_xml.index("</sheets>") < book_xml.index("<definedNames>")
    assert load_workbook(path).defined_names["List_x"].attr_text == "other!$A$1:$A$1"
    with open_register(path) as tx:  # the same names again: nothing to write
        tx.set_defined_names({"List_x": "other!$A$1:$A$1", "List_gone": None})
        assert not tx.has_changes
    assert members(path) == after


def test_the_register_sheet_itself_cannot_be_replaced(setup: tuple[Path, Path, Project]) -> None:
    _, path, project = setup
    with pytest.raises(RegisterError, match="register sheet"), open_register(path) as tx:
        tx.replace_sheet_xml(project.registers["requests"].sheet, b"<worksheet/>")
