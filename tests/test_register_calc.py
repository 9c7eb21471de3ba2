"""Registers in a spreadsheet program (issue 13, items 8-11): what an archivist sees in LibreOffice Calc after
wathiqa appended rows to a register that Calc had opened and saved."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from generator.config.project import Project, load_project
from generator.registers import RegisterOpenInExcelError, open_register, read_register
from generator.registers import lock as lock_module
from generator.registers.lists import refresh_lists
from generator.registers.sheet import without_cached_results
from generator.render.xlsx import build_register
from tests.needs import SOFFICE, require
from tests.pdf_print import printed_pages
from tests.project_fixture import ROOT, copy_project, edit
from tests.xlsx_fixtures import members

RED = "FFFF0000"


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


def labels(project: Project) -> tuple[str, str, str]:
    columns = project.register_columns("requests")
    by_id = {c.id: c.label for c in columns}
    return by_id["reference"], by_id["status"], by_id["received_on"]


def append(project: Project, path: Path, *numbers: int) -> list[int]:
    reference, status, _ = labels(project)
    with open_register(path, sheet=project.registers["requests"].sheet) as tx:
        return [tx.append({reference: f"REQ-1448-{n:05d}", status: "تم الاستلام"}) for n in numbers]


def blank(project: Project, tmp_path: Path) -> Path:
    path = tmp_path / "requests.xlsx"
    path.write_bytes(build_register(project, "requests"))
    return path


def sqrefs(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    validations = re.search(r"<dataValidations.*</dataValidations>", sheet, re.S)
    assert validations is not None
    return re.findall(r'sqref="([^"]*)"', validations.group(0))


# ------------------------------------------------------------------------------------ item 8: new rows' style
def test_an_archivists_highlight_stays_on_its_row(project: Project, tmp_path: Path) -> None:
    path = blank(project, tmp_path)
    append(project, path, 1, 2)
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws["D3"].fill = PatternFill("solid", fgColor=RED)  # the archivist colours one cell red
    wb.save(path)
    append(project, path, 3, 4)
    ws = load_workbook(path).active
    assert ws is not None
    assert ws["D3"].fill.fgColor.rgb == RED
    for row in (4, 5):
        assert ws.cell(row, 1).value == f"REQ-1448-{row - 1:05d}"
        assert ws.cell(row, 4).fill.fgColor.rgb != RED, row
        assert ws.cell(row, 1).fill.fgColor.rgb != RED
    # the column's own style still applies: the reference column is text, the date column shows ISO dates
    assert ws["A5"].number_format == "@"


# ----------------------------------------------------------------------------- item 9: formulas recomputed
def test_formula_results_are_dropped_and_formulas_kept() -> None:
    xml = (
        b'<worksheet><sheetData><row r="1"><c r="A1"><f>COUNTIF(B:B,"x")</f><v>1</v></c>'
        b'<c r="B1" t="str"><f t="shared" ref="B1:B2" si="0">A1*2</f><v>2</v></c>'
        b'<c r="C1"><v>5</v></c></row></sheetData></worksheet>'
    )
    assert without_cached_results(xml) == (
        b'<worksheet><sheetData><row r="1"><c r="A1"><f>COUNTIF(B:B,"x")</f></c>'
        b'<c r="B1" t="str"><f t="shared" ref="B1:B2" si="0">A1*2</f></c>'
        b'<c r="C1"><v>5</v></c></row></sheetData></worksheet>'
    )
    plain = b'<worksheet><sheetData><row r="1"><c r="C1"><v>5</v></c></row></sheetData></worksheet>'
    assert without_cached_results(plain) is plain


def calc_saves(path: Path, tmp_path: Path) -> Path:
    """Open ``path`` in LibreOffice Calc and save it as .xlsx, as an archivist would; returns the saved copy."""
    require(SOFFICE is not None, "LibreOffice Calc (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    out = tmp_path / f"calc-{time.monotonic_ns()}"
    command = [
        str(SOFFICE), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=240, check=False)
    saved = out / path.name
    assert saved.is_file(), done.stderr.decode(errors="replace")
    return saved


def test_calc_saved_register_recomputes_counts_and_keeps_dropdowns_over_new_rows(
    project: Project, tmp_path: Path
) -> None:
    path = blank(project, tmp_path)
    append(project, path, 1)
    wb = load_workbook(path)
    stats = wb.create_sheet("إحصاء")
    stats["A1"] = f'=COUNTIF({project.registers["requests"].sheet}!A:A,"REQ-*")'
    wb.save(path)
    shutil.copyfile(calc_saves(path, tmp_path), path)  # Calc computed 1 and shrank the dropdowns
    assert load_workbook(path, data_only=True)["إحصاء"]["A1"].value == 1
    shrunk = sqrefs(path)
    assert any(re.fullmatch(r"[A-Z]+2:[A-Z]+\d{4}", ref) for ref in shrunk), shrunk

    assert append(project, path, 2, 3) == [3, 4]

    restored = sqrefs(path)
    assert len(restored) == len(shrunk)
    assert all(ref.endswith("1048576") for ref in restored if not ref.endswith("1")), restored
    with zipfile.ZipFile(path) as zf:
        assert b'fullCalcOnLoad="1"' in zf.read("xl/workbook.xml")
    reopened = calc_saves(path, tmp_path)
    assert load_workbook(reopened, data_only=True)["إحصاء"]["A1"].value == 3  # Calc counts the new rows
    ws = load_workbook(reopened).active
    assert ws is not None
    status_letter = next(c.column_letter for c in ws[1] if c.value == labels(project)[1])
    covering = [dv for dv in ws.data_validations.dataValidation if f"{status_letter}4" in dv.sqref]
    assert covering, "the status dropdown no longer reaches the new rows"


# ------------------------------------------------------------------------------ item 10: build restores them
def test_build_restores_dropdowns_that_calc_shrank_and_leaves_a_short_one(project: Project, tmp_path: Path) -> None:
    path = blank(project, tmp_path)
    append(project, path, 1, 2)
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = re.sub(rb'sqref="([A-Z]+)2:([A-Z]+)1048576"', rb'sqref="\g<1>2:\g<2>1004"', sheet)
    sheet = sheet.replace(b'sqref="G2:G1004"', b'sqref="G2:G2"')  # stops short of the data: an archivist's
    parts["xl/worksheets/sheet1.xml"] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    rows = read_register(path, sheet=project.registers["requests"].sheet)[1]

    assert refresh_lists(project, "requests", path) is True

    refs = sqrefs(path)
    assert "G2:G2" in refs  # G, H, I: request type, status, decision (the printed columns come first)
    assert [r for r in refs if r != "G2:G2" and not r.endswith("1048576") and r.startswith(("H", "I"))] == []
    assert sum(r.endswith("2:" + r.split(":")[1][: -len("1048576")] + "1048576") for r in refs) >= 10
    assert read_register(path, sheet=project.registers["requests"].sheet)[1] == rows
    before = members(path)
    assert refresh_lists(project, "requests", path) is False  # nothing more to restore: not a byte written
    assert members(path) == before


# ------------------------------------------------------------------------------ item 11: LibreOffice's lock
def plain(message: str) -> str:
    """A message without the bidi isolates around its names, file names and times."""
    return re.sub("[\u2066-\u2069]", "", message)


def office_lock(path: Path, content: str, age: float = 0.0) -> Path:
    lock = path.with_name(f".~lock.{path.name}#")
    lock.write_text(content, encoding="utf-8")
    if age:
        then = time.time() - age
        os.utime(lock, (then, then))
    return lock


def test_libreoffice_lock_names_the_user_and_machine_when_the_full_name_is_empty(
    project: Project, tmp_path: Path
) -> None:
    path = blank(project, tmp_path)
    office_lock(path, ",archivist,PC-ARCHIVE,30.11.2026 09:12,file:///home/archivist/.config/libreoffice/4;")
    with pytest.raises(RegisterOpenInExcelError) as caught:
        append(project, path, 1)
    arabic, english = plain(str(caught.value)).split("\n")
    assert "مفتوح في LibreOffice لدى archivist على الجهاز PC-ARCHIVE منذ" in arabic
    assert "لدى ?" not in arabic and "أغلقه ثم أعد المحاولة" in arabic
    assert "open in LibreOffice by archivist on PC-ARCHIVE since" in english
    office_lock(path, "Fatimah\\, archives,fatimah,PC-2,30.11.2026 09:12,file:///x;")
    with pytest.raises(RegisterOpenInExcelError) as caught:
        append(project, path, 1)
    assert "لدى Fatimah, archives على الجهاز PC-2" in plain(str(caught.value))
    assert "لدى \u2068Fatimah, archives\u2069 على الجهاز \u2068PC-2\u2069" in str(caught.value)  # each keeps its order


def test_a_day_old_libreoffice_lock_without_libreoffice_is_said_to_look_stale(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock_module, "soffice_running_here", lambda: False)  # other tests may run soffice
    path = blank(project, tmp_path)
    host = socket.gethostname()
    lock = office_lock(path, f",archivist,{host},29.11.2026 09:12,file:///x;", age=26 * 3600)
    before = path.read_bytes()
    with pytest.raises(RegisterOpenInExcelError) as caught:
        append(project, path, 1)
    assert caught.value.stale
    arabic, english = plain(str(caught.value)).split("\n")
    assert "يبدو متروكًا" in arabic and f"فاحذف الملف {lock.name}" in arabic
    assert "looks stale" in english and f"delete {lock}" in english
    assert path.read_bytes() == before and lock.exists()  # wathiqa never deletes it itself
    office_lock(path, f",archivist,{host},30.11.2026 09:12,file:///x;", age=60)  # an hour-old lock: open
    with pytest.raises(RegisterOpenInExcelError) as fresh:
        append(project, path, 1)
    assert not fresh.value.stale and "close it and retry" in str(fresh.value)
    office_lock(path, f",archivist,{host},29.11.2026 09:12,file:///x;", age=26 * 3600)
    monkeypatch.setattr(lock_module, "soffice_running_here", lambda: True)  # LibreOffice runs: maybe open
    with pytest.raises(RegisterOpenInExcelError) as running:
        append(project, path, 1)
    assert not running.value.stale
    office_lock(path, ",archivist,OTHER-PC,29.11.2026 09:12,file:///x;", age=26 * 3600)  # cannot tell
    with pytest.raises(RegisterOpenInExcelError) as elsewhere:
        append(project, path, 1)
    assert not elsewhere.value.stale


def test_a_lock_that_names_nobody_says_so_never_a_question_mark(project: Project, tmp_path: Path) -> None:
    from generator.registers import RegisterLockedError

    path = blank(project, tmp_path)
    office_lock(path, "")  # a lock file written half, or by another program
    with pytest.raises(RegisterOpenInExcelError) as caught:
        append(project, path, 1)
    arabic, english = plain(str(caught.value)).split("\n")
    assert "?" not in arabic and "لدى" not in arabic
    assert arabic.startswith(f"السجل {path.name} مفتوح في LibreOffice منذ ")
    assert "(لا يذكر ملف القفل اسم من فتحه)؛ أغلقه ثم أعد المحاولة" in arabic
    assert "(the lock file names no user)" in english and "?" not in english
    locked = RegisterLockedError(path, None)  # a wathiqa lock still being written
    assert plain(str(locked)).split("\n")[0] == f"السجل {path.name} مقفل لدى عملية أخرى لم يُعرف صاحبها؛ أعد المحاولة بعد قليل"


# ----------------------------------------------------------------------- journal: rows found by one column
def test_find_rows_reads_one_column(project: Project, tmp_path: Path) -> None:
    path = blank(project, tmp_path)
    append(project, path, 1, 2, 3)
    reference = labels(project)[0]
    with open_register(path, sheet=project.registers["requests"].sheet) as tx:
        assert tx.find_rows(reference, ["REQ-1448-00003", " REQ-1448-00001 ", "REQ-1448-00009"]) == {
            "REQ-1448-00003": 4,
            "REQ-1448-00001": 2,
        }
        number = tx.append({reference: "REQ-1448-00004"})
        assert tx.find_rows(reference, ["REQ-1448-00004"]) == {"REQ-1448-00004": number}
        assert tx.find_rows(reference, []) == {}


# ------------------------------------------------------------------------ item 12: a register prints readably
def calc_prints(path: Path, tmp_path: Path) -> Path:
    """Print ``path`` to PDF with LibreOffice Calc (its own print set-up: area, scale, titles)."""
    saved = calc_saves(path, tmp_path)  # fails, not skips, without Calc when CI is set
    out = saved.parent / "pdf"
    command = [
        str(SOFFICE), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
        "--convert-to", "pdf", "--outdir", str(out), str(path),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=240, check=False)
    pdf = out / path.with_suffix(".pdf").name
    assert pdf.is_file(), done.stderr.decode(errors="replace")
    return pdf


def print_area(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml").decode()
    found = re.search(r'<definedName [^>]*name="_xlnm\.Print_Area"[^>]*>([^<]*)<', book)
    assert found is not None, "the print area is gone"
    return found.group(1)


def test_the_register_prints_at_8_points_or_more_with_its_header_on_every_page(tmp_path: Path) -> None:
    policy = copy_project(tmp_path / "project")
    edit(policy.parent.parent / "forms" / "registers" / "requests.yml", "  - {id: notes,",
         "  - {id: box, label: رقم صندوق الحفظ, type: text}\n  - {id: notes,")  # fmt: skip
    old, new = load_project(ROOT / "policies" / "policy.yml"), load_project(policy)
    path = blank(old, tmp_path)
    names = ["عبدالله محمد أحمد القحطاني", "نورة سعد الدوسري", "خالد إبراهيم السبيعي"]
    by_id = {c.id: c.label for c in old.register_columns("requests")}

    def rows(numbers: range) -> None:
        with open_register(path, sheet=old.registers["requests"].sheet) as tx:
            for n in numbers:
                values = {"reference": f"REQ-1448-{n:05d}", "received_on_hijri": "1448/05/20",
                          "applicant_name": names[n % 3], "national_id": "1000000008", "mobile": "0501234567",
                          "email": "applicant@example.com", "city": "الرياض", "status": "مستلم",
                          "request_type": "دار نسائية لتحفيظ القرآن الكريم", "decision": "قبول"}  # fmt: skip
                tx.append({by_id[k]: v for k, v in values.items()})

    rows(range(1, 41))
    area = print_area(path)
    assert area.endswith("!$A$1:$J$1048576")
    assert refresh_lists(new, "requests", path)  # `build` adds the new column after the last one
    assert print_area(path) == area
    shutil.copyfile(calc_saves(path, tmp_path), path)  # an archivist saves it in Calc
    assert print_area(path).endswith("!$A:$J") or print_area(path).endswith("!$A$1:$J$1048576")
    rows(range(41, 81))
    assert print_area(path).endswith("$J") or print_area(path).endswith("$J$1048576")

    pages = printed_pages(calc_prints(path, tmp_path))
    printed = [c.label for c in new.print_columns("requests")]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert (round(page.width), round(page.height)) == (842, 595), number  # landscape A4
        assert page.min_size >= 8, (number, sorted(page.sizes, key=lambda s: s[1])[:3])
        assert all(page.has(label) for label in printed), number  # the header row on every page
        for other in ("البريد الإلكتروني", "رقم صندوق الحفظ", "ملاحظات"):
            assert not page.has(other), (number, other)  # only the printed columns
    text = "".join(page.text for page in pages)
    assert all(f"REQ-1448-{n:05d}" in text for n in range(1, 81))
