"""Policy evolution never breaks the archive (issue 10): a column added to a register's definition reaches the
existing register through `wathiqa build`, and nothing the archivists did moves or changes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import PatternFill

from generator.config.project import Project, load_project
from generator.registers import open_register, read_register
from generator.registers.rows import row_for
from generator.workflow.build import build_kit
from tests.project_fixture import ROOT, copy_project, edit
from tests.xlsx_fixtures import members

NEW_COLUMNS = (
    "  - {id: notes, label: ملاحظات, type: long_text, width: 40}\n"
    "  - {id: follow_up_on, label: تاريخ المتابعة, type: date}\n"
    "  - {id: review, label: حالة المراجعة, type: choice, list: statuses}\n"
)
SHEET = "xl/worksheets/sheet1.xml"
TABLE = "xl/tables/table1.xml"
ARCHIVIST = "ملاحظة الأرشيف"
RED = "FFFF0000"


def register_with_rows(tmp_path: Path) -> tuple[Path, Path, Path]:
    policy = copy_project(tmp_path / "project")
    shutil.copytree(ROOT / "templates", tmp_path / "project" / "templates", dirs_exist_ok=True)  # build renders
    project = load_project(policy)
    out = tmp_path / "out"
    build_kit(project, out, only=["requests"])
    path = out / "registers" / "requests.xlsx"
    with open_register(path) as tx:
        for n in (1, 2):
            record = {"applicant_name": f"متقدم {n}", "gender": "female"}
            tx.append(row_for(project, "requests", record, reference=f"REQ-1448-{n:05d}", issue_date=dt.date(2026, 9, n)))
    return policy, out, path


def grow_definition(policy: Path) -> Project:
    edit(policy.parent.parent / "forms" / "registers" / "requests.yml", "  - {id: notes, label: ملاحظات, type: long_text, width: 40}\n", NEW_COLUMNS)
    return load_project(policy)


def test_build_adds_a_new_column_after_the_archivists_own_and_moves_nothing(tmp_path: Path) -> None:
    policy, out, path = register_with_rows(tmp_path)
    wb = load_workbook(path)  # the archivist: a column of their own, a red cell, a chart on a sheet of theirs
    ws = wb.active
    assert ws is not None
    own = ws.max_column + 1
    ws.cell(1, own).value = ARCHIVIST
    ws.cell(2, own).value = "راجعته"
    ws["D2"].fill = PatternFill("solid", fgColor=RED)
    stats = wb.create_sheet("إحصاء")
    for row in (["الشهر", "الطلبات"], ["صفر", 2]):
        stats.append(row)
    chart = BarChart()
    chart.add_data(Reference(stats, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    stats.add_chart(chart, "D2")
    wb.save(path)
    before = members(path)
    old_rows = read_register(path)[1]

    project = grow_definition(policy)
    assert path in build_kit(project, out, only=["requests"])

    after = members(path)
    assert set(after) == set(before)
    assert {name for name in before if before[name] != after[name]} == {SHEET}  # charts, styles, table: same
    header, rows = read_register(path)
    assert header[own - 1 :] == [ARCHIVIST, "تاريخ المتابعة", "حالة المراجعة"]
    assert [r.number for r in rows] == [r.number for r in old_rows]
    for old, new in zip(old_rows, rows, strict=True):
        assert {k: v for k, v in new.values.items() if k in old.values} == old.values
        assert new.values["تاريخ المتابعة"] is None and new.values["حالة المراجعة"] is None
    ws = load_workbook(path).active
    assert ws is not None
    assert ws["D2"].fill.fgColor.rgb == RED and ws.cell(2, own).value == "راجعته"
    assert ws.cell(1, own + 1).font.b  # styled as the register's own header
    before_twice = members(path)
    assert path not in build_kit(project, out, only=["requests"])  # already there: not a byte written
    assert members(path) == before_twice


def test_a_new_column_joins_the_table_takes_its_dropdown_and_fills_on_append(tmp_path: Path) -> None:
    policy, out, path = register_with_rows(tmp_path)
    project = grow_definition(policy)
    build_kit(project, out, only=["requests"])

    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    (table,) = ws.tables.values()
    letters = {c.value: c.column_letter for c in ws[1]}
    assert table.ref == f"A1:{letters['حالة المراجعة']}3"
    assert [c.name for c in table.tableColumns][-2:] == ["تاريخ المتابعة", "حالة المراجعة"]
    review = letters["حالة المراجعة"]
    (dv,) = [dv for dv in ws.data_validations.dataValidation if f"{review}2" in dv.sqref]
    assert str(dv.sqref) == f"{review}2:{review}1048576" and dv.formula1 == "List_statuses"
    assert ws.column_dimensions[letters["تاريخ المتابعة"]].width == pytest.approx(14.1, abs=3)

    with open_register(path) as tx:
        record = {"applicant_name": "متقدم 3", "gender": "male"}
        cells = row_for(project, "requests", record, reference="REQ-1448-00003", issue_date=dt.date(2026, 9, 3),
                        extra={"follow_up_on": dt.date(2026, 10, 1), "review": "received"})  # fmt: skip
        assert tx.append(cells) == 4
    ws = load_workbook(path).active
    assert ws is not None
    assert ws[f"{letters['تاريخ المتابعة']}4"].value == dt.datetime(2026, 10, 1)
    assert ws[f"{letters['تاريخ المتابعة']}4"].number_format == "yyyy-mm-dd"
    assert ws[f"{review}4"].value == project.policy.lists["statuses"].labels()["received"]
    assert ws.tables[table.name].ref.endswith("4")
