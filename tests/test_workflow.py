"""The office's day end to end: issue a case, merge a batch, answer decisions — real files, real registers."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from generator.cli.main import main
from generator.registers import open_register, read_register
from tests.project_fixture import ROOT, TINY

POLICY = str(TINY)
"""Issue and merge are tested on the tiny fixture project: rewording the shipped forms breaks none of them."""
SHIPPED = str(ROOT / "policies" / "policy.yml")
"""Decide needs the shipped decision letters and outgoing register."""
TODAY = date(2026, 11, 30)  # 20 Jumada al-Akhirah 1448: every test here runs on this day (WATHIQA_TODAY)


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The day the office works in these tests, for the CLI in-process and the processes it starts alike."""
    monkeypatch.setenv("WATHIQA_TODAY", TODAY.isoformat())


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def example_file(tmp_path: Path, doc_id: str = "application", *, policy: str = POLICY, **changes: str) -> Path:
    status, text, _ = run("example", doc_id, "--policy", policy)
    assert status == 0
    for key, value in changes.items():
        text = re.sub(rf"(?m)^{key}: .*$", f'{key}: "{value}"', text)
    path = tmp_path / f"{doc_id}-case.yml"
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def page_texts(pdf: Path) -> list[str]:
    return [(page.extract_text() or "") for page in PdfReader(pdf).pages]


def test_issue_application_produces_every_file_and_one_row(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, printed, err = run("issue", "application", "--data", str(example_file(tmp_path)), "--out", str(out),
                               "--policy", POLICY)
    assert (status, err) == (0, "")
    reference, folder = printed.splitlines()
    assert reference == "REQ-1448-00001"
    assert Path(folder) == out / "cases" / reference
    names = sorted(p.name for p in Path(folder).iterdir())
    assert names == sorted([f"{d}.{s}" for d in ("application", "acknowledgment") for s in ("pdf", "docx")]
                           + ["case.json", "record.json"])
    _, rows = read_register(out / "registers" / "requests.xlsx")
    assert len(rows) == 1
    row = rows[0].values
    assert row["الرقم المرجعي"] == reference
    assert row["رقم الهوية الوطنية أو الإقامة"] == "1000000008"
    assert row["رقم الجوال"] == "0501234567"
    assert row["حالة الطلب"] == "مستلم"
    assert row["تاريخ الاستلام"] == TODAY
    assert row["أقرب موعد للرد"] == date(2026, 12, 14)
    ack = page_texts(Path(folder) / "acknowledgment.pdf")
    assert len(ack) == 1 and reference in ack[0]
    record = json.loads((Path(folder) / "record.json").read_text(encoding="utf-8"))
    assert record["national_id"] == "1000000008"


def test_the_reference_carries_the_hijri_year_of_the_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """15 Muharram 1449: the first request of a new Hijri year is REQ-1449-00001, dated that day."""
    monkeypatch.setenv("WATHIQA_TODAY", "2027-06-20")
    out = tmp_path / "out"
    status, printed, err = run("issue", "application", "--data", str(example_file(tmp_path)), "--out", str(out),
                               "--policy", POLICY)
    assert (status, err) == (0, "")
    assert printed.splitlines()[0] == "REQ-1449-00001"
    _, rows = read_register(out / "registers" / "requests.xlsx")
    assert rows[0].values["تاريخ الاستلام"] == date(2027, 6, 20)


def test_issue_with_invalid_data_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = example_file(tmp_path)
    assert run("issue", "application", "--data", str(good), "--out", str(out), "--policy", POLICY)[0] == 0
    before = snapshot(out)
    bad = example_file(tmp_path, national_id="1000000009", mobile="12345")
    status, printed, err = run("issue", "application", "--data", str(bad), "--out", str(out), "--policy", POLICY)
    assert status == 2 and printed == ""
    assert "البيانات غير صالحة، ولم يُكتب أي ملف:" in err
    assert "«رقم الهوية الوطنية أو الإقامة»: رقم الهوية غير صحيح" in err
    assert "«رقم الجوال»:" in err
    assert re.search(rf"{re.escape(str(bad))}:\d+:\d+: national_id:", err)
    assert snapshot(out) == before


def test_issue_failing_to_render_consumes_no_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.workflow import issue as issue_module

    out = tmp_path / "out"
    data = example_file(tmp_path)

    def broken(*args: object, **kwargs: object) -> list[Path]:
        raise RuntimeError("disk full while rendering")

    monkeypatch.setattr(issue_module.CaseRenderers, "render_case", broken)
    status, _, err = run("issue", "application", "--data", str(data), "--out", str(out), "--policy", POLICY)
    assert status == 1 and "disk full" in err
    assert list((out / "cases").iterdir()) == []
    assert read_register(out / "registers" / "requests.xlsx")[1] == []
    monkeypatch.undo()
    status, printed, _ = run("issue", "application", "--data", str(data), "--out", str(out), "--policy", POLICY)
    assert status == 0 and printed.split()[0].endswith("-00001")


def test_ten_concurrent_issues_get_ten_distinct_references(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = example_file(tmp_path)
    run("build", "--only", "requests", "--out", str(out), "--policy", POLICY)
    procs = [
        subprocess.Popen([sys.executable, "-m", "generator", "issue", "application", "--data", str(data),
                          "--out", str(out), "--policy", POLICY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT)
        for _ in range(10)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, [r[1] for r in results]
    references = sorted(r[0].split()[0] for r in results)
    assert len(set(references)) == 10
    assert [int(r.rsplit("-", 1)[1]) for r in references] == list(range(1, 11))
    _, rows = read_register(out / "registers" / "requests.xlsx")
    assert sorted(row.values["الرقم المرجعي"] for row in rows) == references
    assert sorted(p.name for p in (out / "cases").iterdir()) == references


def _batch(tmp_path: Path, n: int, bad: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    wb = Workbook()
    ws = wb.active
    ws.append(["الرقم المرجعي", "الاسم الرباعي", "الجنس", "نوع الطلب", "تاريخ الاستلام", "عمود إضافي"])
    for i in range(1, n + 1):
        gender = "ذكر" if i % 2 else "أنثى"
        if i in bad:
            gender = "غير معروف"
        ws.append([f"REQ-1448-{i:05d}", f"مستفيد رقم {i}", gender, "حلقة تحفيظ قرآن كريم", "1448-06-04", "x"])
    path = tmp_path / "batch.xlsx"
    wb.save(path)
    return path


def test_merge_300_letters(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, printed, err = run("merge", "acknowledgment", "--data", str(_batch(tmp_path, 300)), "--out", str(out),
                               "--policy", POLICY)
    assert status == 0, err
    [folder] = list((out / "batches").iterdir())
    assert folder.name == "acknowledgment-20261130-1"
    texts = page_texts(folder / "print.pdf")
    assert len(texts) == 300
    for n in (1, 2, 150, 299, 300):
        assert f"REQ-1448-{n:05d}" in texts[n - 1]
        others = set(re.findall(r"REQ-1448-\d{5}", texts[n - 1]))
        assert others == {f"REQ-1448-{n:05d}"}
    docx = sorted((folder / "docx").iterdir())
    assert len(docx) == 300
    assert docx[0].name == "001-REQ-1448-00001.docx"
    with zipfile.ZipFile(docx[41]) as z:
        assert "REQ-1448-00042" in z.read("word/document.xml").decode()
    assert "عدد الخطابات المولدة: 300" in printed
    assert (folder / "report.txt").is_file()


def test_merge_with_three_bad_rows_reports_exactly_those(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = _batch(tmp_path, 20, bad={3, 8, 15})
    status, _, err = run("merge", "acknowledgment", "--data", str(data), "--out", str(out), "--policy", POLICY)
    assert status == 2
    assert "3 من 20 صفوف غير صالحة، ولم يُكتب أي ملف:" in err
    reported = sorted({int(m) for m in re.findall(r"الصف (\d+):", err)})
    assert reported == [4, 9, 16]  # sheet rows: the header is row 1
    assert not (out / "batches").exists() or not any((out / "batches").iterdir())
    status, printed, _ = run("merge", "acknowledgment", "--data", str(data), "--out", str(out), "--skip-invalid",
                             "--policy", POLICY)
    assert status == 0
    assert "عدد الخطابات المولدة: 17" in printed
    [folder] = list((out / "batches").iterdir())
    assert len(page_texts(folder / "print.pdf")) == 17
    assert "الصف 9:" in (folder / "report.txt").read_text(encoding="utf-8")


def _decide_in_excel(register: Path, decisions: dict[str, tuple[str, str | None]]) -> None:
    """What the archivist does: type the decision (and the reason) into the register, through the engine."""
    with open_register(register) as tx:
        for row in tx.rows():
            ref = row.values.get("الرقم المرجعي")
            if ref in decisions:
                decision, reason = decisions[ref]
                values = {"القرار": decision, "حالة الطلب": "صدر القرار"}
                if reason:
                    values["سبب الاعتذار"] = reason
                tx.update(row.number, values)


def test_decide_sends_each_letter_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = example_file(tmp_path, policy=SHIPPED)
    refs = []
    for _ in range(3):
        status, printed, _ = run("issue", "application", "--data", str(data), "--out", str(out), "--policy", SHIPPED)
        refs.append(printed.split()[0])
    register = out / "registers" / "requests.xlsx"
    _decide_in_excel(register, {refs[0]: ("قبول", None), refs[1]: ("اعتذار", "وجود حلقة أو دار قريبة تغطي الحي")})
    status, printed, err = run("decide", "--out", str(out), "--policy", SHIPPED)
    assert status == 0, err
    _, outgoing = read_register(out / "registers" / "outgoing.xlsx")
    assert len(outgoing) == 2
    assert {r.values["الرقم المرجعي للطلب"] for r in outgoing} == {refs[0], refs[1]}
    assert {r.values["نوع الخطاب"] for r in outgoing} == {"خطاب الموافقة على طلب", "خطاب اعتذار عن طلب"}
    _, rows = read_register(register)
    by_ref = {r.values["الرقم المرجعي"]: r.values for r in rows}
    for ref in refs[:2]:
        assert by_ref[ref]["حالة الطلب"] == "تم الرد"
        assert by_ref[ref]["رقم خطاب الرد"].startswith("OUT-")
        assert by_ref[ref]["تاريخ الرد"] == TODAY
    assert "رقم خطاب الرد" not in by_ref[refs[2]] or not by_ref[refs[2]].get("رقم خطاب الرد")
    letters = [p.name for p in (out / "cases" / refs[1]).iterdir() if p.name.startswith("OUT-")]
    assert len(letters) == 1 and letters[0].endswith("decision-reject.pdf")
    reject_text = page_texts(out / "cases" / refs[1] / letters[0])
    assert len(reject_text) == 1 and refs[1] in reject_text[0]

    before = snapshot(out / "registers")
    status, printed, _ = run("decide", "--out", str(out), "--policy", SHIPPED)
    assert status == 0
    assert printed.strip() == "لا توجد قرارات جديدة تحتاج إلى خطابات"
    assert {k: v for k, v in snapshot(out / "registers").items() if "backups" not in k} == \
        {k: v for k, v in before.items() if "backups" not in k}


def test_decide_refuses_a_rejection_without_reason(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, printed, _ = run("issue", "application", "--data", str(example_file(tmp_path, policy=SHIPPED)), "--out", str(out),
                             "--policy", SHIPPED)
    ref = printed.split()[0]
    _decide_in_excel(out / "registers" / "requests.xlsx", {ref: ("اعتذار", None)})
    before = snapshot(out)
    status, _, err = run("decide", "--out", str(out), "--policy", SHIPPED)
    assert status == 2
    assert "«سبب الاعتذار»: هذا الحقل مطلوب" in err
    assert snapshot(out) == before


def test_register_values_typed_in_excel_reload_as_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = example_file(tmp_path, applicant_notes="=1+1 @SUM(A1)")
    assert run("issue", "application", "--data", str(data), "--out", str(out), "--policy", POLICY)[0] == 0
    ws = load_workbook(out / "registers" / "requests.xlsx").worksheets[0]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("ملاحظات المتقدم/ـة") + 1)
    assert cell.data_type == "s" and cell.value == "=1+1 @SUM(A1)"
