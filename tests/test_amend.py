"""Correcting, voiding and giving a status to an issued case (generator.workflow.amend), through the public API.

Each test issues one case of the shipped application form into a temporary output folder and checks what an
archivist would: the files in the case folder, the register row, the history and the audit trail.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

import generator as api
from generator.office.audit import audit_entries
from generator.office.db import OfficeDB
from tests.project_fixture import ROOT
from tests.web_helpers import PROJECT, example_values

DAY = date(2026, 12, 3)
FIXED = "عبدالله محمد أحمد الشهري"


def pdf_text(path: Path) -> str:
    raw = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages)
    return re.sub("[\u0640\u200e\u200f\u2066-\u2069]", "", raw)


def row_of(out: Path, reference: str) -> dict[str, object]:
    table = api.read_register(PROJECT, "requests", out)
    return next(r.values for r in table.rows if r.values.get("reference") == reference)


@pytest.fixture
def issued(tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / "out"
    result = api.issue(PROJECT, "application", example_values(), out, today=DAY)
    return out, result.reference


def test_a_correction_reissues_under_the_same_reference_and_keeps_v1(issued: tuple[Path, str]) -> None:
    out, reference = issued
    folder = out / "cases" / reference
    before = {name: (folder / name).read_bytes() for name in ("application.pdf", "acknowledgment.pdf", "record.json")}
    result = api.correct_case(
        PROJECT, out, reference, example_values(applicant_name=FIXED), by="clerk1", reason="خطأ في اسم العائلة",
        today=date(2026, 12, 5),
    )  # fmt: skip
    assert result.version == 1 and not result.pending
    for name, data in before.items():  # the old files, byte for byte, in v1/
        assert (folder / "v1" / name).read_bytes() == data
    text = pdf_text(folder / "acknowledgment.pdf")
    assert "نسخة مصححة بتاريخ" in text and reference in text
    assert "نسخة مصححة" not in pdf_text(folder / "v1" / "acknowledgment.pdf")
    assert json.loads((folder / "record.json").read_text(encoding="utf-8"))["applicant_name"] == FIXED
    row = row_of(out, reference)
    assert row["applicant_name"] == FIXED and row["status"] == "received"  # the status is left alone
    history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    assert [(h["kind"], h["by"], h["version"], h["reason"]) for h in history] == [
        ("correct", "clerk1", 1, "خطأ في اسم العائلة")
    ]
    trail = audit_entries(OfficeDB(out))
    assert (trail[0].actor, trail[0].action, trail[0].target) == ("clerk1", "case_correct", reference)

    api.correct_case(PROJECT, out, reference, example_values(applicant_name=FIXED, city="جدة"), by="clerk2")
    assert (folder / "v2" / "application.pdf").is_file() and (folder / "v1" / "application.pdf").is_file()
    assert row_of(out, reference)["city"] == "جدة"
    assert not [p for p in (out / "cases").iterdir() if ".stage-" in p.name or ".old-" in p.name]


def test_a_correction_with_invalid_data_or_no_change_writes_nothing(issued: tuple[Path, str]) -> None:
    out, reference = issued
    folder = out / "cases" / reference
    listing = sorted(os.listdir(folder))
    with pytest.raises(api.DataError) as bad:
        api.correct_case(PROJECT, out, reference, example_values(national_id="1000000009"), by="clerk1")
    assert "national_id" in str(bad.value)
    with pytest.raises(api.CaseStateError, match="لم تتغير أي بيانات"):
        api.correct_case(PROJECT, out, reference, example_values(), by="clerk1")
    assert sorted(os.listdir(folder)) == listing


def test_a_void_marks_the_row_and_the_number_is_never_given_again(issued: tuple[Path, str]) -> None:
    out, reference = issued
    with pytest.raises(api.CaseStateError, match="سبب الإلغاء"):
        api.void_case(PROJECT, out, reference, "  ", by="archivist1")
    api.void_case(PROJECT, out, reference, "طلب مكرر", by="archivist1")
    table = api.read_register(PROJECT, "requests", out)
    row = next(r for r in table.rows if r.values.get("reference") == reference)
    assert row.cells["حالة الطلب"] == "ملغى"
    assert (out / "cases" / reference).is_dir()  # the folder stays: the number is taken
    again = api.issue(PROJECT, "application", example_values(), out, today=DAY)
    assert again.reference != reference and again.reference > reference
    with pytest.raises(api.CaseStateError, match="ملغاة"):
        api.record_decision(PROJECT, out, reference, "accepted", early_reason="اكتملت الدراسة")
    with pytest.raises(api.CaseStateError, match="ملغاة"):
        api.correct_case(PROJECT, out, reference, example_values(applicant_name=FIXED), by="clerk1")
    assert api.decide(PROJECT, out).letters == []
    trail = audit_entries(OfficeDB(out))
    assert any(e.action == "case_void" and e.details == "ملغى: طلب مكرر" for e in trail)


def test_a_void_row_typed_as_decided_in_excel_gets_no_letter(issued: tuple[Path, str]) -> None:
    out, reference = issued
    api.void_case(PROJECT, out, reference, "طلب مكرر", by="archivist1")
    from generator.office import journal
    from generator.registers.rows import cells_for

    with OfficeDB(out).write() as conn:  # what an archivist typing «قبول» into the voided row does
        cells = cells_for(PROJECT, "requests", {"decision": "accepted"})
        journal.add(conn, "requests", "update", reference + "#typed", cells, target=reference, state="ready")
    api.sync_registers(PROJECT, out)
    assert api.decide(PROJECT, out).letters == []


def test_after_the_letter_a_correction_needs_an_archivist(issued: tuple[Path, str]) -> None:
    out, reference = issued
    api.record_decision(PROJECT, out, reference, "accepted", early_reason="اكتملت الدراسة")
    assert len(api.decide(PROJECT, out).letters) == 1
    with pytest.raises(api.CaseStateError, match="أمين الأرشيف أو المدير"):
        api.correct_case(PROJECT, out, reference, example_values(applicant_name=FIXED), by="clerk1")
    assert not (out / "cases" / reference / "v1").exists()
    letters = [p.name for p in (out / "cases" / reference).glob("OUT-*.pdf")]
    api.correct_case(PROJECT, out, reference, example_values(applicant_name=FIXED), by="arch", after_answer=True)
    assert [p.name for p in (out / "cases" / reference).glob("OUT-*.pdf")] == letters  # the letter stays
    assert row_of(out, reference)["letter_reference"]  # and so does the answer in the register
    with pytest.raises(api.CaseStateError, match="صدر خطاب القرار"):
        api.void_case(PROJECT, out, reference, "سبب", by="arch")


def test_statuses_the_archivist_sets_with_a_note(issued: tuple[Path, str]) -> None:
    out, reference = issued
    from generator.workflow.amend import settable_statuses

    labels = [label for _, label in settable_statuses(PROJECT, "requests")]
    assert {"قيد الدراسة", "بانتظار استكمال البيانات", "محال إلى الشؤون التعليمية"} <= set(labels)
    assert "ملغى" not in labels and "تم الرد" not in labels
    api.set_case_status(PROJECT, out, reference, "incomplete", "ينقص خطاب موافقة الإمام", by="arch")
    assert row_of(out, reference)["status"] == "incomplete"
    with pytest.raises(api.CaseStateError):
        api.set_case_status(PROJECT, out, reference, "void", by="arch")
    history = json.loads((out / "cases" / reference / "history.json").read_text(encoding="utf-8"))
    assert history[-1]["status"] == "incomplete" and history[-1]["reason"] == "ينقص خطاب موافقة الإمام"


def test_a_correction_killed_before_the_swap_leaves_the_case_as_it_was(issued: tuple[Path, str]) -> None:
    out, reference = issued
    folder = out / "cases" / reference
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    script = (
        "import sys; from pathlib import Path; import generator as api; from tests.web_helpers import PROJECT, "
        "example_values; api.correct_case(PROJECT, Path(sys.argv[1]), sys.argv[2], "
        f"example_values(applicant_name={FIXED!r}), by='clerk1')"
    )
    env = {**os.environ, "WATHIQA_FAULT": "amend.rendered", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script, str(out), reference], env=env, cwd=ROOT, check=False)
    assert done.returncode == -9
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert not (folder / "v1").exists()
    api.sync_registers(PROJECT, out)  # the killed correction's journal entry is abandoned, the row unchanged
    assert row_of(out, reference)["applicant_name"] != FIXED
    result = api.correct_case(PROJECT, out, reference, example_values(applicant_name=FIXED), by="clerk1")
    assert result.version == 1 and row_of(out, reference)["applicant_name"] == FIXED
    assert not [p for p in (out / "cases").iterdir() if ".stage-" in p.name]
