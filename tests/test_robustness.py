"""No input crashes wathiqa: each defect found by fuzzing, kept as a regression case (issue 14).

Every case runs the real command in-process and asserts what a user sees: exit 2 (never 1), one message that
says where, and nothing written under --out.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError
from openpyxl import Workbook

from generator.cli.main import main
from generator.content.wording import WordingError, render_wording
from generator.sources import xlsxfile
from generator.workflow.folders import stage_dir
from tests.project_fixture import ROOT, copy_project, edit, line_of

POLICY = str(ROOT / "policies" / "policy.yml")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def written(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file()] if out.exists() else []


def refused(*argv: str, out: Path) -> str:
    """Run a command that must be refused: exit 2, no traceback, nothing under ``out``; return stderr."""
    status, _, err = run(*argv, "--out", str(out)) if argv[0] != "check" else run(*argv)
    assert status == 2, err
    assert "Traceback" not in err and "unexpected error" not in err
    assert written(out) == []
    return err


def example_record(doc_id: str = "application") -> dict[str, object]:
    from generator.config.project import load_project

    document = load_project(POLICY).documents[doc_id]
    return {f.id: f.example for f in document.input_fields() if f.example is not None}


# --------------------------------------------------------------------------------------------- 1. dates


@pytest.mark.parametrize("issued", ["1900-01-01", "2077-11-17", "0001-01-01"])
def test_issued_outside_the_hijri_table_is_refused_by_check(tmp_path: Path, issued: str) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "acknowledgment.yml"
    edit(form, "issued: 2026-11-01", f"issued: {issued}")
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    assert f"{form}:{line_of(form, 'issued:')}:9: issued: {issued} is outside the Hijri calendar's table" in err
    refused("build", "--policy", str(policy), out=tmp_path / "out")


def test_an_example_the_validators_refuse_is_refused_by_check(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "application.yml"
    edit(form, 'example: "1448-07-01"', 'example: "1900-01-01"')
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    line = line_of(form, "1900-01-01")
    assert re.search(rf"{form}:{line}:\d+: sections\[1\]\.fields\[\d\]\.example: the example does not pass", err)
    assert "التاريخ خارج النطاق المدعوم" in err


# --------------------------------------------------------------------------------------------- 2. wording

PLACEHOLDERS = [
    ("{{ applicant_name.foo }}", "applicant_name has no parts"),
    ("{{ earliest_reply[99] }}", "indexing"),
    ("{% for i in range(10**6) %}{% endfor %}", "loops"),
    ("{{ reference() }}", "calls"),
    ("{{ reference.__len__() }}", "calls"),
    ("{{ g('a') }}", "g takes exactly two texts"),
    ("{{ 1/0 }}", "arithmetic"),
    ("{{ reply_min_days + 1 }}", "arithmetic"),
    ("{{ association['zzz'] }}", "indexing"),
    ("{{ received_on.year }}", "received_on has no parts"),
    ("{% include 'x.html' %}", "{% include %}"),
    ("{{ association.name.foo }}", "a value has no parts"),
    ("{{ association.nam }}", "did you mean association.name?"),
    ("{{ lipsum() }}", "calls"),
    ("{{ applicant_name|upper }}", "filters"),
    ("{% set x = 1 %}", "{% set %}"),
]


@pytest.mark.parametrize(("placeholder", "reason"), PLACEHOLDERS)
def test_wording_outside_the_language_is_refused_with_its_place(tmp_path: Path, placeholder: str, reason: str) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "acknowledgment.yml"
    edit(form, "body:\n", "body:\n  - " + json.dumps("نص " + placeholder, ensure_ascii=False) + "\n")
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    assert f"{form}:{line_of(form, 'نص ')}:5: body[0]: " in err
    assert reason in err
    refused("build", "--policy", str(policy), out=tmp_path / "out")


def test_a_form_has_no_signatory(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "application.yml"
    edit(form, "intro: >-\n", "intro: >-\n  يعتمد {{ signatory.title }}\n")
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    assert f"{form}:{line_of(form, 'intro:')}:8: intro: unknown placeholder 'signatory'" in err


def test_the_language_allows_if_and_g(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "acknowledgment.yml"
    text = "{% if not reference %}—{% elif applicant_name %}{{ g('السيد', 'السيدة') }} {{ applicant_name }}{% endif %}"
    edit(form, "body:\n", "body:\n  - " + json.dumps(text, ensure_ascii=False) + "\n")
    status, _, err = run("check", "--policy", str(policy))
    assert status == 0, err


def test_the_sandbox_has_no_globals_and_calls_only_g() -> None:
    for source in ("{% for i in range(3) %}x{% endfor %}", "{{ x.__class__ }}", "{{ x() }}"):
        with pytest.raises((WordingError, SecurityError)):
            render_wording(source, {"x": "a"}, "text")


def test_check_renders_every_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault only a renderer sees (here a template file gone) fails check, not build, even right after a check
    of the same project passed (a passed rehearsal is remembered only for the files as they were)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    policy = copy_project(tmp_path)
    status, _, err = run("check", "--policy", str(policy))
    assert status == 0, err
    assert len(list((tmp_path / "cache" / "wathiqa" / "rehearsed").iterdir())) == 1
    (tmp_path / "templates" / "html" / "kinds" / "letter.html").unlink()
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    assert "cannot be rendered (PDF of the blank)" in err
    assert str(tmp_path / "forms" / "acknowledgment.yml") in err


# --------------------------------------------------------------------------------------------- 3-4. YAML


@pytest.mark.parametrize("label", [r"ملا\0حظات", r"الحي\x01", r"الحي\uffff", r"\ud800"])
def test_a_control_character_in_a_label_is_refused_at_its_place(tmp_path: Path, label: str) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "application.yml"
    edit(form, "label: الحي,", f'label: "{label}",')
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    line = line_of(form, label)
    assert re.search(rf"{form}:{line}:\d+: the character U\+[0-9A-F]{{4}} .*cannot be printed", err)
    assert "\x00" not in err and "\x01" not in err


@pytest.mark.parametrize("char", ["\x00", "\x7f", "\ufffe"])
def test_a_raw_forbidden_character_is_reported_by_line_and_column(tmp_path: Path, char: str) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "application.yml"
    edit(form, "label: الحي,", f"label: الح{char}ي,")
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    line = line_of(form, f"الح{char}ي")
    column = next(i for i, text in enumerate(form.read_text(encoding="utf-8").splitlines()) if char in text)
    col = form.read_text(encoding="utf-8").splitlines()[column].index(char) + 1
    assert f"{form}:{line}:{col}: the character U+{ord(char):04X} is not allowed" in err


def test_deep_nesting_in_a_form_is_refused(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    form = tmp_path / "forms" / "application.yml"
    form.write_text(form.read_text(encoding="utf-8") + "zz: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    err = refused("check", "--policy", str(policy), out=tmp_path / "out")
    assert "nest more than 32 deep" in err


@pytest.mark.parametrize("suffix", [".yml", ".json"])
def test_deep_nesting_in_a_case_file_is_refused(tmp_path: Path, suffix: str) -> None:
    data = tmp_path / f"case{suffix}"
    data.write_text('{"zz": ' + "[" * 1000 + "]" * 1000 + "}", encoding="utf-8")
    err = refused("issue", "application", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    assert "متداخلة" in err or "nest more than" in err


# --------------------------------------------------------------------------------------------- 5-7. values


@pytest.mark.parametrize("suffix", [".yml", ".json"])
def test_a_number_of_5000_digits_is_refused(tmp_path: Path, suffix: str) -> None:
    record = example_record()
    data = tmp_path / f"case{suffix}"
    text = json.dumps(record, ensure_ascii=False)
    data.write_text(text.replace('"expected_students": "25"', '"expected_students": ' + "9" * 5000), encoding="utf-8")
    err = refused("issue", "application", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    assert "«العدد المتوقع للطلاب أو الطالبات»: الرقم أطول من أي قيمة مقبولة" in err


@pytest.mark.parametrize("escape", [r"\ud800", r"\uffff", r"\ufffe", r"\udfff\ud800"])
def test_a_lone_surrogate_or_non_character_in_json_writes_nothing(tmp_path: Path, escape: str) -> None:
    data = tmp_path / "case.json"
    text = json.dumps(example_record(), ensure_ascii=False).replace('"النسيم"', f'"النسيم{escape}"')
    data.write_text(text, encoding="utf-8")
    err = refused("issue", "application", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    assert "U+" in err and "محرف غير صالح" in err


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\U0001fffe"])
def test_a_non_character_in_a_csv_text_field_is_refused_before_writing(tmp_path: Path, char: str) -> None:
    data = tmp_path / "batch.csv"
    data.write_text(f"الاسم الرباعي,الجنس,نوع الطلب\nنورة{char},أنثى,حلقة تحفيظ قرآن كريم\n", encoding="utf-8")
    err = refused("merge", "acknowledgment", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    assert "«الاسم الرباعي»: النص يحتوي على محرف غير صالح" in err


def test_json_data_is_read_as_json(tmp_path: Path) -> None:
    data = tmp_path / "case.json"
    record = example_record() | {"national_id": "1000000009"}
    data.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    err = refused("issue", "application", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    line = line_of(data, '"national_id"')
    assert f"{data}:{line}:18: national_id: «رقم الهوية الوطنية أو الإقامة»" in err
    data.write_text('{"a": 1, "a": 2}', encoding="utf-8")
    assert "المفتاح «a» مكرر" in refused("issue", "application", "--data", str(data), "--policy", POLICY,
                                          out=tmp_path / "out")
    data.write_text('{"a": NaN}', encoding="utf-8")
    assert "NaN" in refused("issue", "application", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    data.write_text('{"a": "x\x00"}', encoding="utf-8")
    err = refused("issue", "application", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")
    assert f"{data}:1:9: the character U+0000 is not allowed" in err


# --------------------------------------------------------------------------------------------- 8-10. batches


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


HEADER = ["الاسم الرباعي", "الجنس", "نوع الطلب"]
ROW = ["نورة", "أنثى", "حلقة تحفيظ قرآن كريم"]


def _rewrite(path: Path, replace: dict[str, bytes | None]) -> Path:
    """The same .xlsx with some parts replaced (or, with None, left out)."""
    with zipfile.ZipFile(path) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    for name, data in replace.items():
        if data is None:
            parts.pop(name, None)
        else:
            parts[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return path


def _sheet(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _shared_strings(path: Path, strings: bytes | None) -> Path:
    """The workbook with its text cells turned into shared-string cells (index 0) and ``strings`` as the
    shared-strings part, declared in the workbook's relationships (None: declared but absent)."""
    sheet = re.sub(rb't="inlineStr"><is><t>[^<]*</t></is>', b't="s"><v>0</v>', _sheet(path))
    with zipfile.ZipFile(path) as z:
        rels = z.read("xl/_rels/workbook.xml.rels")
    rel = (b'<Relationship Id="rIdS" Target="sharedStrings.xml" '
           b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>')
    rels = rels.replace(b"</Relationships>", rel + b"</Relationships>")
    return _rewrite(path, {"xl/worksheets/sheet1.xml": sheet, "xl/_rels/workbook.xml.rels": rels,
                           "xl/sharedStrings.xml": strings})


def _merge_refused(data: Path, tmp_path: Path) -> str:
    return refused("merge", "acknowledgment", "--data", str(data), "--policy", POLICY, out=tmp_path / "out")


def test_a_good_xlsx_still_merges(tmp_path: Path) -> None:
    data = _xlsx(tmp_path / "b.xlsx", [HEADER, ROW])
    status, printed, err = run("merge", "acknowledgment", "--data", str(data), "--policy", POLICY,
                               "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert "عدد الخطابات المولدة: 1" in printed


def test_truncated_sheet_xml(tmp_path: Path) -> None:
    data = _xlsx(tmp_path / "b.xlsx", [HEADER, ROW])
    sheet = _sheet(data)
    _rewrite(data, {"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]})
    assert "الجزء xl/worksheets/sheet1.xml ليس XML سليمًا" in _merge_refused(data, tmp_path)


def test_a_number_cell_holding_text(tmp_path: Path) -> None:
    data = _xlsx(tmp_path / "b.xlsx", [HEADER, [*ROW[:2], 5]])
    sheet = _sheet(data).replace(b"<v>5</v>", b"<v>abc</v>")
    _rewrite(data, {"xl/worksheets/sheet1.xml": sheet})
    assert "الخلية C2: تحتوي على «abc» في موضع رقم" in _merge_refused(data, tmp_path)


def test_the_worksheet_part_missing(tmp_path: Path) -> None:
    data = _rewrite(_xlsx(tmp_path / "b.xlsx", [HEADER, ROW]), {"xl/worksheets/sheet1.xml": None})
    assert "الجزء xl/worksheets/sheet1.xml غير موجود" in _merge_refused(data, tmp_path)


def test_a_shared_string_without_shared_strings(tmp_path: Path) -> None:
    data = _shared_strings(_xlsx(tmp_path / "b.xlsx", [HEADER, ROW]), None)
    assert "تشير إلى نص غير موجود" in _merge_refused(data, tmp_path)


def test_not_a_zip(tmp_path: Path) -> None:
    data = tmp_path / "b.xlsx"
    data.write_bytes(b"PK\x03\x04 not really")
    assert "تعذرت قراءة ملف Excel" in _merge_refused(data, tmp_path)


def _far(tmp_path: Path, cell: str) -> Path:
    path = tmp_path / "far.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(ROW)
    ws[cell] = "x"
    wb.save(path)
    assert path.stat().st_size < 10_000
    return path


def test_one_cell_at_xfd1048576_costs_one_cell(tmp_path: Path) -> None:
    """Column XFD is beyond any column the document can use: never looked at, the real row merges at once."""
    started = time.perf_counter()
    status, printed, err = run("merge", "acknowledgment", "--data", str(_far(tmp_path, "XFD1048576")),
                               "--policy", POLICY, "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert "عدد الخطابات المولدة: 1" in printed
    assert time.perf_counter() - started < 60  # the whole merge (one letter); the reading itself is instant


def test_data_a_million_rows_down_is_refused_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    err = _merge_refused(_far(tmp_path, "A1048576"), tmp_path)
    assert time.perf_counter() - started < 5
    assert "الورقة تحتوي على بيانات في الصف 1048576" in err


def test_decompression_bomb_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part bigger than the limit is refused from the zip directory, before any of it is inflated."""
    monkeypatch.setattr(xlsxfile, "MAX_PART_BYTES", 1_000_000)
    strings = b'<sst xmlns="' + MAIN_NS + b'"><si><t>' + b"a" * 2_000_000 + b"</t></si></sst>"
    data = _shared_strings(_xlsx(tmp_path / "b.xlsx", [HEADER, ROW]), strings)
    assert data.stat().st_size < 50_000
    reads: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
        reads.append(name if isinstance(name, str) else name.filename)
        return original(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    err = _merge_refused(data, tmp_path)
    assert "يتضخم عند فك ضغطه" in err and "xl/sharedStrings.xml" in err
    assert "xl/sharedStrings.xml" not in reads


def test_a_csv_field_longer_than_the_limit(tmp_path: Path) -> None:
    data = tmp_path / "b.csv"
    data.write_text(",".join(HEADER) + "\n" + "x" * 140_000 + ",أنثى,حلقة تحفيظ قرآن كريم\n", encoding="utf-8")
    assert "حقل في السطر 2 أطول من المسموح به" in _merge_refused(data, tmp_path)


# --------------------------------------------------------------------------------------------- CSV (issue 13.14)


@pytest.mark.parametrize("separator", [";", "\u061b", "\t", ","])
def test_a_csv_separated_by_semicolons_merges(tmp_path: Path, separator: str) -> None:
    data = tmp_path / "b.csv"
    lines = [separator.join(HEADER), separator.join(ROW), separator.join(["سعد", "ذكر", "حلقة تحفيظ قرآن كريم"])]
    data.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    status, printed, err = run("merge", "acknowledgment", "--data", str(data), "--policy", POLICY,
                               "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert "عدد الخطابات المولدة: 2" in printed


def test_merge_errors_name_the_row_once(tmp_path: Path) -> None:
    data = tmp_path / "b.csv"
    data.write_text(";".join(HEADER) + "\n" + ";".join(["نورة", "رجل", "حلقة تحفيظ قرآن كريم"]) + "\n", encoding="utf-8")
    err = _merge_refused(data, tmp_path)
    [line] = [text for text in err.splitlines() if "«الجنس»" in text]
    assert line.startswith(f"{data}: الصف 2: «الجنس»: الخيار «رجل» غير معروف")
    assert len(re.findall(r"\b2\b", line)) == 1


# --------------------------------------------------------------------------------------------- stages


def test_a_killed_runs_stage_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    batches = tmp_path / "out" / "batches"
    batches.mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process id that is no longer running
    dead = batches / f".acknowledgment-20261130-1.abcd1234.stage-{child.pid}"
    (dead / "docx").mkdir(parents=True)
    (dead / "print.pdf").write_bytes(b"%PDF-half")
    mine = stage_dir(batches, "other")  # this process: alive, never touched
    data = _xlsx(tmp_path / "b.xlsx", [HEADER, ROW])
    status, _, err = run("merge", "acknowledgment", "--data", str(data), "--policy", POLICY,
                         "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert not dead.exists()
    assert mine.exists()
