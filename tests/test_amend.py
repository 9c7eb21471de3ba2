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
from typing import Any

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


# ------------------------------------------------------------------------------------------- one press, one version
_CORRECT_SCRIPT = (
    "import json, sys; from pathlib import Path; import generator as api; "
    "from generator.workflow.amend import CaseChangedError; from tests.web_helpers import PROJECT, example_values\n"
    "out, reference, by, token, name = sys.argv[1:6]\n"
    "try:\n"
    "    r = api.correct_case(PROJECT, Path(out), reference, example_values(applicant_name=name), by=by,"
    " base_version=0, token=token)\n"
    "    print(json.dumps({'version': r.version, 'repeated': r.repeated}))\n"
    "except CaseChangedError as e:\n"
    "    print(json.dumps({'changed_by': e.later.by, 'version_now': e.later.version}))\n"
)


def _corrections_at_once(out: Path, reference: str, meet_dir: Path, runs: list[tuple[str, str, str]]) -> list[dict]:
    """Real processes correcting one case, each held after reading the case until every other one has read it too
    (or is done): the two presses of a double click, or two clerks with the same case open."""
    from tests.rendezvous import Rendezvous

    meet = Rendezvous(meet_dir)
    env = {**os.environ, "PYTHONPATH": str(ROOT), **meet.env(["amend.opened"])}
    procs = [
        subprocess.Popen([sys.executable, "-c", _CORRECT_SCRIPT, str(out), reference, by, token, name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        for by, token, name in runs
    ]  # fmt: skip

    def all_read(pid: int, seen: Any, pids: Any) -> bool:
        return all(other == pid or "amend.opened" in seen.passed[other] or other in seen.finished for other in pids)

    seen = meet.run(procs, all_read)
    assert all("amend.opened" in points for points in seen.passed.values())  # both had read the case: a real race
    results = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), results
    return [json.loads(stdout) for stdout, _ in results]


def test_the_same_correction_sent_twice_at_once_makes_one_version(issued: tuple[Path, str], tmp_path: Path) -> None:
    """A double click on «إصدار نسخة مصححة» (two requests, here two processes) makes v1 once; the second press
    is told which version the first made."""
    out, reference = issued
    outcomes = _corrections_at_once(out, reference, tmp_path / "meet", [("clerk1", "T1", FIXED), ("clerk1", "T1", FIXED)])
    assert sorted(o["repeated"] for o in outcomes) == [False, True]
    assert {o["version"] for o in outcomes} == {1}
    folder = out / "cases" / reference
    assert not (folder / "v2").exists()
    history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    assert [(h["kind"], h["version"]) for h in history] == [("correct", 1)]
    assert [e.action for e in audit_entries(OfficeDB(out))].count("case_correct") == 1
    assert row_of(out, reference)["applicant_name"] == FIXED


def test_two_clerks_correcting_one_case_at_once_lose_neither_correction(issued: tuple[Path, str], tmp_path: Path) -> None:
    """Two clerks opened the same case and corrected different things: the first to finish makes v1; the other is
    refused with who corrected it, so their work is looked at rather than silently overwritten."""
    out, reference = issued
    other = "عبدالله محمد أحمد الزهراني"
    outcomes = _corrections_at_once(
        out, reference, tmp_path / "meet", [("clerk1", "T1", FIXED), ("clerk2", "T2", other)]
    )
    made = [o for o in outcomes if "version" in o]
    refused = [o for o in outcomes if "changed_by" in o]
    assert len(made) == 1 and len(refused) == 1 and made[0]["version"] == 1
    winner = "clerk1" if row_of(out, reference)["applicant_name"] == FIXED else "clerk2"
    assert refused[0] == {"changed_by": winner, "version_now": 1}
    history = json.loads((out / "cases" / reference / "history.json").read_text(encoding="utf-8"))
    assert [(h["kind"], h["by"]) for h in history] == [("correct", winner)]


def test_a_correction_never_changes_the_decision(issued: tuple[Path, str]) -> None:
    """The decision is the archivist's, on the decisions page: a correction that carries one leaves it as it was."""
    out, reference = issued
    before = json.loads((out / "cases" / reference / "record.json").read_text(encoding="utf-8"))
    api.correct_case(PROJECT, out, reference, {**example_values(applicant_name=FIXED), "decision": "accepted"}, by="c")
    after = json.loads((out / "cases" / reference / "record.json").read_text(encoding="utf-8"))
    assert after.get("decision") == before.get("decision") and after["applicant_name"] == FIXED


# ------------------------------------------------------------------------------------------- `wathiqa case`
def _wathiqa(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "generator", *map(str, args), "--policy", str(ROOT / "policies" / "policy.yml")]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)


def test_an_administrator_corrects_voids_and_sets_statuses_from_the_command_line(
    issued: tuple[Path, str], tmp_path: Path
) -> None:
    out, reference = issued
    folder = out / "cases" / reference
    shown = _wathiqa("case", "show", reference, "--out", out)
    assert shown.returncode == 0, shown.stderr
    assert "--from-version 0" in shown.stdout and "applicant_name:" in shown.stdout
    assert "decision:" not in shown.stdout  # the decision is not the correction's
    data = tmp_path / "case.yml"
    data.write_text(shown.stdout.replace('city: "الرياض"', 'city: "جدة"'), encoding="utf-8")
    assert 'city: "جدة"' in data.read_text(encoding="utf-8")

    done = _wathiqa("case", "correct", reference, "--data", data, "--from-version", "0", "--reason", "المدينة", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "النسخة ١" in done.stdout and (folder / "v1" / "application.pdf").is_file()
    assert row_of(out, reference)["city"] == "جدة"
    history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    assert history[-1]["by"].endswith("(سطر الأوامر)") and history[-1]["reason"] == "المدينة"

    listing = sorted(os.listdir(folder))
    data.write_text(shown.stdout.replace('district: "النسيم"', 'district: "الملقا"'), encoding="utf-8")
    stale = _wathiqa("case", "correct", reference, "--data", data, "--from-version", "0", "--out", out)
    assert stale.returncode == 2 and "صحّح" in stale.stderr and "النسخة 1" in stale.stderr
    assert sorted(os.listdir(folder)) == listing and row_of(out, reference)["district"] != "الملقا"

    data.write_text(shown.stdout.replace('mobile: "0501234567"', 'mobile: "12"'), encoding="utf-8")
    bad = _wathiqa("case", "correct", reference, "--data", data, "--out", out)
    line = next(n for n, text in enumerate(shown.stdout.splitlines(), 1) if text.startswith("mobile:"))
    assert bad.returncode == 2 and f"{data}:{line}" in bad.stderr and "mobile" in bad.stderr, bad.stderr
    assert sorted(os.listdir(folder)) == listing

    status = _wathiqa("case", "status", reference, "قيد الدراسة", "--note", "أُحيل للجنة", "--out", out)
    assert status.returncode == 0, status.stderr
    assert row_of(out, reference)["status"] == "under_review"
    unreasoned = _wathiqa("case", "void", reference, "--out", out)
    assert unreasoned.returncode == 2 and "سبب الإلغاء" in unreasoned.stderr
    voided = _wathiqa("case", "void", reference, "--reason", "طلب مكرر", "--out", out)
    assert voided.returncode == 0, voided.stderr
    assert row_of(out, reference)["status"] == "void"
    again = _wathiqa("case", "correct", reference, "--data", data, "--out", out)
    assert again.returncode == 2 and "ملغاة" in again.stderr
    missing = _wathiqa("case", "show", "REQ-1448-99999", "--out", out)
    assert missing.returncode == 2 and "REQ-1448-99999" in missing.stderr


def test_a_decision_letter_written_while_a_correction_renders_stays_with_the_case(
    issued: tuple[Path, str], tmp_path: Path
) -> None:
    """A clerk's correction is rendering (a real process, stopped just before it swaps the folders) when the
    archivist's `wathiqa decide` writes the reply letter into the case folder: after the swap the letter is in the
    corrected case, once, and the register row holds both the correction and the answer."""
    import signal

    out, reference = issued
    folder = out / "cases" / reference
    shown = _wathiqa("case", "show", reference, "--out", out).stdout
    data = tmp_path / "fix.yml"
    data.write_text(shown.replace('applicant_name: "عبدالله محمد أحمد القحطاني"', f'applicant_name: "{FIXED}"'),
                    encoding="utf-8")  # fmt: skip
    argv = [sys.executable, "-m", "generator", "case", "correct", reference, "--data", str(data), "--out", str(out),
            "--policy", str(ROOT / "policies" / "policy.yml")]  # fmt: skip
    env = {**os.environ, "WATHIQA_FAULT": "amend.rendered:stop"}
    correcting = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        _, status = os.waitpid(correcting.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), correcting.communicate()
        api.record_decision(PROJECT, out, reference, "accepted", early_reason="اكتملت الدراسة")
        decided = _wathiqa("decide", "--out", out)
        assert decided.returncode == 0, decided.stderr
        letters = sorted(p.name for p in folder.glob("OUT-*"))
        assert letters, "the letter's copy was written into the case folder"
    finally:
        os.kill(correcting.pid, signal.SIGCONT)
    _, err = correcting.communicate(timeout=300)
    assert correcting.returncode == 0, err
    assert sorted(p.name for p in folder.glob("OUT-*")) == letters  # carried into the corrected case
    assert (folder / "v1" / "application.pdf").is_file() and not list((folder / "v1").glob("OUT-*"))
    row = row_of(out, reference)
    assert row["applicant_name"] == FIXED and row["status"] == "answered"
    assert not [p for p in (out / "cases").iterdir() if ".stage-" in p.name or ".old-" in p.name]
