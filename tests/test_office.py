"""Nothing lost, nothing repeated, no clerk blocked: the office database, the journal and the registers under
real use (an archivist deleting rows, a register open in Excel, a process killed at every step)."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

import generator as api
from generator.cli.main import main
from generator.office.db import OfficeDB
from generator.registers import open_register, read_register
from tests.project_fixture import ROOT
from tests.rendezvous import Rendezvous, Seen

POLICY = ROOT / "policies" / "policy.yml"
PROJECT = api.load_project(POLICY)
TODAY = date(2026, 11, 24)  # 23 Jumada al-Ula 1448
REF = "الرقم المرجعي"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*argv, "--policy", str(POLICY)], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def run_process(*argv: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATHIQA_TODAY": TODAY.isoformat()}
    if fault:
        env["WATHIQA_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "generator", *argv, "--policy", str(POLICY)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def record() -> dict[str, object]:
    status, text, _ = run("example", "application")
    assert status == 0
    import yaml

    data = yaml.safe_load(text)
    return {k: (str(v) if not isinstance(v, list) else v) for k, v in data.items()}


def references(out: Path, register: str = "requests") -> list[str]:
    label = REF if register == "requests" else "رقم الخطاب"
    return [str(r.values[label]) for r in read_register(out / "registers" / f"{register}.xlsx")[1]]


def issue(record: dict[str, object], out: Path) -> api.workflow.issue.IssueResult:  # type: ignore[name-defined]
    return api.issue(PROJECT, "application", record, out, today=TODAY)


def open_in_excel(register: Path) -> Path:
    owner = register.with_name("~$" + register.name)
    owner.write_bytes(b"\x05Sara" + b" " * 48 + b"\x05\x00S\x00a\x00r\x00a\x00")
    return owner


def open_in_libreoffice(register: Path) -> Path:
    lock = register.with_name(f".~lock.{register.name}#")
    lock.write_text(",archivist,OFFICE-PC,30.11.2026 09:00,file:///home/archivist/.config/libreoffice/4;\n")
    return lock


# ------------------------------------------------------------------------------------ references never repeat
def test_deleting_the_last_row_never_gives_its_number_again(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    first, second = issue(record, out), issue(record, out)
    assert [first.reference, second.reference] == ["REQ-1448-00001", "REQ-1448-00002"]
    register = out / "registers" / "requests.xlsx"
    with open_register(register) as tx:  # the archivist deletes the last row (a wrong entry)
        last = tx.rows()[-1].number
        tx.update(last, {label: None for label in tx.header()})
    assert references(out) == ["REQ-1448-00001"]
    third = issue(record, out)
    assert third.reference == "REQ-1448-00003"
    assert (out / "cases" / "REQ-1448-00002").is_dir() and (out / "cases" / "REQ-1448-00003").is_dir()


def test_a_new_database_starts_after_the_numbers_on_paper(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    for _ in range(3):
        issue(record, out)
    os.unlink(out / "office.db")  # lost (its -wal and -shm go with it)
    for extra in out.glob("office.db-*"):
        os.unlink(extra)
    register = out / "registers" / "requests.xlsx"
    with open_register(register) as tx:  # and the archivist deleted the last row as well
        tx.update(tx.rows()[-1].number, {label: None for label in tx.header()})
    assert issue(record, out).reference == "REQ-1448-00004"  # the case folder REQ-1448-00003 still counts


def test_a_damaged_database_is_a_clear_message_and_recovery_requeues(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    issue(record, out)
    register = out / "registers" / "requests.xlsx"
    owner = open_in_excel(register)
    pending = issue(record, out)
    assert pending.pending
    for extra in out.glob("office.db-*"):
        os.unlink(extra)
    (out / "office.db").write_bytes(b"this is not a database" * 100)
    status, printed, err = run("issue", "application", "--data", str(_data_file(tmp_path, record)), "--out", str(out))
    assert status == 2 and printed == ""
    assert "تالفة (وجد فحص سلامتها: file is not a database)" in err and "wathiqa register sync --recover" in err
    assert "office.db: SQLITE_NOTADB: file is not a database; the office database is damaged" in err
    (out / "office.db").rename(out / "office.db.damaged")
    owner.unlink()
    status, printed, err = run("register", "sync", "--recover", "--out", str(out))
    assert status == 0, err
    assert "أُعيد إلى قائمة الانتظار صف واحد" in printed
    assert references(out) == ["REQ-1448-00001", "REQ-1448-00002"]
    assert issue(record, out).reference == "REQ-1448-00003"


def _data_file(tmp_path: Path, record: dict[str, object]) -> Path:
    import json

    path = tmp_path / "case.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------- a register open never blocks a clerk
@pytest.mark.parametrize("opener", [open_in_excel, open_in_libreoffice], ids=["excel", "libreoffice"])
def test_issue_while_the_register_is_open_then_sync_adds_the_row_once(
    tmp_path: Path, record: dict[str, object], opener: object
) -> None:
    out = tmp_path / "out"
    issue(record, out)
    register = out / "registers" / "requests.xlsx"
    before = register.read_bytes()
    marker = opener(register)  # type: ignore[operator]
    status, printed, err = run("issue", "application", "--data", str(_data_file(tmp_path, record)), "--out", str(out))
    assert status == 0
    reference = printed.split()[0]
    assert (out / "cases" / reference / "application.pdf").is_file()
    assert "يُضاف الصف إلى السجل تلقائيًا عند إغلاقه" in err
    assert register.read_bytes() == before  # the file the archivist has open is not touched
    status, printed, _ = run("register", "show", "requests", "--out", str(out))
    assert "معلّق" in printed and reference in printed and "1 pending" in printed
    status, printed, _ = run("register", "sync", "--out", str(out))
    assert "ما زال في الانتظار تغيير واحد:" in printed
    marker.unlink()
    for _ in range(2):  # a second sync adds nothing twice
        status, printed, _ = run("register", "sync", "--out", str(out))
        assert status == 0
    assert references(out) == ["REQ-1448-00001", reference]


def test_twenty_concurrent_issues_with_the_register_open_half_the_time(
    tmp_path: Path, record: dict[str, object]
) -> None:
    out = tmp_path / "out"
    data = _data_file(tmp_path, record)
    register = out / "registers" / "requests.xlsx"
    run("build", "--only", "requests", "--out", str(out))
    env = {**os.environ, "WATHIQA_TODAY": TODAY.isoformat()}
    argv = [sys.executable, "-m", "generator", "issue", "application", "--data", str(data), "--out", str(out),
            "--policy", str(POLICY)]  # fmt: skip
    procs = []
    owner = None
    for i in range(20):
        if i == 5:
            owner = open_in_excel(register)
        if i == 15 and owner is not None:
            owner.unlink()
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env))
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * 20, [r[1] for r in results]
    issued = sorted(r[0].split()[0] for r in results)
    assert issued == [f"REQ-1448-{n:05d}" for n in range(1, 21)]
    assert run("register", "sync", "--out", str(out))[0] == 0
    assert sorted(references(out)) == issued
    assert sorted(p.name for p in (out / "cases").iterdir()) == issued


# -------------------------------------------------------------------------------- killed at every step of issue
ISSUE_STEPS = ["issue.allocated", "issue.rendered", "issue.moved", "issue.ready", "sync.before-commit",
               "sync.after-commit"]  # fmt: skip


@pytest.mark.parametrize("step", ISSUE_STEPS)
def test_issue_killed_at_each_step_is_completed_by_the_next_run(
    tmp_path: Path, record: dict[str, object], step: str
) -> None:
    out = tmp_path / "out"
    data = _data_file(tmp_path, record)
    killed = run_process("issue", "application", "--data", str(data), "--out", str(out), fault=step)
    assert killed.returncode == -9
    after = run_process("issue", "application", "--data", str(data), "--out", str(out))
    assert after.returncode == 0, after.stderr
    assert run_process("register", "sync", "--out", str(out)).returncode == 0
    folders = sorted(p.name for p in (out / "cases").iterdir())
    rows = references(out)
    assert sorted(rows) == folders  # every case folder has its row, and only one
    assert len(set(rows)) == len(rows)
    assert after.stdout.split()[0] in rows
    if step in ("issue.allocated", "issue.rendered"):  # nothing reached paper: the number is not in any folder
        assert folders == ["REQ-1448-00002"] or folders == ["REQ-1448-00001"]
    else:  # the killed case is complete: its folder and its row
        assert folders == ["REQ-1448-00001", "REQ-1448-00002"]
    assert not [p for p in (out / "cases").iterdir() if p.name.startswith(".")]  # no staging folder left


# ------------------------------------------------------------------------------------------------------ decide
def _decide(out: Path, decisions: dict[str, tuple[str, str | None]]) -> None:
    with open_register(out / "registers" / "requests.xlsx") as tx:
        for row in tx.rows():
            ref = row.values.get(REF)
            if ref in decisions:
                decision, reason = decisions[ref]
                values = {"القرار": decision}
                if reason:
                    values["سبب الاعتذار"] = reason
                tx.update(row.number, values)


def _answered(out: Path) -> dict[str, str]:
    return {
        str(r.values[REF]): str(r.values.get("رقم خطاب الرد") or "")
        for r in read_register(out / "registers" / "requests.xlsx")[1]
    }


def test_decide_with_the_requests_register_open_records_nothing_without_its_letter(
    tmp_path: Path, record: dict[str, object]
) -> None:
    out = tmp_path / "out"
    first, second = issue(record, out), issue(record, out)
    _decide(out, {first.reference: ("قبول", None), second.reference: ("اعتذار", "وجود حلقة أو دار قريبة تغطي الحي")})
    owner = open_in_excel(out / "registers" / "requests.xlsx")
    status, printed, err = run("decide", "--out", str(out))
    assert status == 0, err
    assert "كُتب خطابان" in printed and "أغلق السجل" in printed
    letters = references(out, "outgoing")
    assert len(letters) == 2
    for letter in letters:  # every recorded letter exists
        assert list((out / "batches").glob(f"decisions-*/docx/{letter}-*.docx"))
    assert _answered(out) == {first.reference: "", second.reference: ""}
    status, printed, _ = run("decide", "--out", str(out))  # nothing twice while it waits
    assert "كُتب" not in printed and references(out, "outgoing") == letters
    owner.unlink()
    status, printed, _ = run("decide", "--out", str(out))
    assert status == 0
    assert sorted(_answered(out).values()) == sorted(letters)
    assert references(out, "outgoing") == letters
    assert len(list((out / "batches").glob("decisions-*"))) == 1


DECIDE_STEPS = ["decide.allocated", "decide.rendered", "decide.moved", "decide.ready", "sync.before-commit",
                "sync.after-commit"]  # fmt: skip


@pytest.mark.parametrize("step", DECIDE_STEPS)
def test_decide_killed_at_each_step_never_sends_twice(tmp_path: Path, record: dict[str, object], step: str) -> None:
    out = tmp_path / "out"
    first = issue(record, out)
    _decide(out, {first.reference: ("قبول", None)})
    killed = run_process("decide", "--out", str(out), fault=step)
    assert killed.returncode == -9
    again = run_process("decide", "--out", str(out))
    assert again.returncode == 0, again.stderr
    letters = references(out, "outgoing")
    assert len(letters) == 1
    assert _answered(out) == {first.reference: letters[0]}
    assert list((out / "batches").glob(f"decisions-*/docx/{letters[0]}-decision-accept.docx"))
    copies = [p.name for p in (out / "cases" / first.reference).glob("OUT-*.pdf")]
    assert len(copies) <= 1 and all(name.startswith(letters[0]) for name in copies)


def test_decide_is_keyed_on_the_request_not_the_letter_title(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    first = issue(record, out)
    _decide(out, {first.reference: ("قبول", None)})
    api.decide(PROJECT, out, today=TODAY)
    letters = references(out, "outgoing")
    with open_register(out / "registers" / "requests.xlsx") as tx:  # the answer's mark is wiped by mistake
        row = next(r for r in tx.rows() if r.values.get(REF) == first.reference)
        tx.update(row.number, {"رقم خطاب الرد": None})
    with open_register(out / "registers" / "outgoing.xlsx") as tx:  # and the letter's title reworded
        tx.update(tx.rows()[0].number, {"نوع الخطاب": "خطاب قبول"})
    result = api.decide(PROJECT, out, today=TODAY)
    assert result.letters == [] and result.marked == [first.reference]
    assert references(out, "outgoing") == letters
    assert _answered(out) == {first.reference: letters[0]}


def _decide_processes(out: Path, n: int, env: dict[str, str]) -> list[subprocess.Popen[str]]:
    argv = [sys.executable, "-m", "generator", "decide", "--out", str(out), "--policy", str(POLICY)]
    env = {**os.environ, "WATHIQA_TODAY": TODAY.isoformat(), **env}
    return [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
            for _ in range(n)]  # fmt: skip


def _read_or_waiting(pid: int, seen: Seen, pids: Sequence[int]) -> bool:
    """A run that has read the decided requests goes on once every other run has read them too (the race), is
    waiting for its turn, or is done."""
    return all(
        other == pid or seen.passed[other] & {"decide.collected", "decide.lock-wait"} or other in seen.finished
        for other in pids
    )


@pytest.mark.parametrize("runs", [2])
def test_concurrent_decides_write_one_letter_per_request(tmp_path: Path, record: dict[str, object], runs: int) -> None:
    """Several `wathiqa decide` at once (two archivists): each request gets one letter and one outgoing row. Every
    run is held just after reading the requests until all the others have read them too, or wait their turn."""
    out = tmp_path / "out"
    first, second = issue(record, out), issue(record, out)
    _decide(out, {first.reference: ("قبول", None), second.reference: ("اعتذار", "وجود حلقة أو دار قريبة تغطي الحي")})
    meet = Rendezvous(tmp_path / "meet")
    procs = _decide_processes(out, runs, meet.env(["decide.collected"]))
    seen = meet.run(procs, _read_or_waiting)
    results = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0] * runs, results
    assert sum("decide.lock-wait" in points for points in seen.passed.values()) == runs - 1  # they took turns
    letters = references(out, "outgoing")
    assert len(letters) == 2
    assert sorted(_answered(out).values()) == sorted(letters)
    written = sorted(p.name.split("-decision-")[0] for p in (out / "batches").glob("decisions-*/docx/*.docx"))
    assert written == sorted(letters)
    assert sum("كُتب خطابان" in printed for printed, _ in results) == 1


def test_a_decide_that_cannot_get_its_turn_says_so_in_arabic(tmp_path: Path) -> None:
    import threading

    from generator.errors import OutputError
    from generator.workflow.decide import answering_lock

    out = tmp_path / "out"
    out.mkdir()
    held, release = threading.Event(), threading.Event()

    def colleague() -> None:
        with answering_lock(out):
            held.set()
            release.wait()

    thread = threading.Thread(target=colleague)
    thread.start()
    held.wait()
    try:
        with pytest.raises(OutputError, match="يكتب زميل آخر خطابات القرار الآن"), answering_lock(out, timeout=0):
            pass
    finally:
        release.set()
        thread.join()
    assert os.listdir(out) == []  # the lock is the folder's own: nothing is added to it
    with answering_lock(out, timeout=0):  # free again
        pass


def test_a_request_answered_since_it_was_read_gets_no_second_letter(tmp_path: Path, record: dict[str, object]) -> None:
    """The database's own check, for a run that read the requests before another answered them (whatever kept
    the two from taking turns): the transaction that claims the answers finds it taken."""
    from generator.workflow import decide as workflow

    out = tmp_path / "out"
    first = issue(record, out)
    _decide(out, {first.reference: ("قبول", None)})
    answering = workflow._answerings(PROJECT)[0]
    stale = workflow._collect(PROJECT, out, OfficeDB(out), answering, workflow.DecideResult())[0]
    assert [letter.request_reference for letter in stale] == [first.reference]
    api.decide(PROJECT, out, today=TODAY)
    letters = references(out, "outgoing")
    result = workflow.DecideResult()
    workflow._write_letters(PROJECT, out, OfficeDB(out), answering, stale, TODAY, api.renderers(PROJECT), result)
    assert result.letters == [] and references(out, "outgoing") == letters
    assert len(list((out / "batches").glob("decisions-*/docx/*.docx"))) == 1
    assert [p.name for p in (out / "batches").iterdir()] == ["decisions-20261124-1"]  # no empty folder left


def _stale_libreoffice_lock(register: Path) -> Path:
    """A LibreOffice lock of this machine, two days old: LibreOffice crashed with the register open."""
    import socket
    import time

    lock = register.with_name(f".~lock.{register.name}#")
    lock.write_text(f",archivist,{socket.gethostname()},29.11.2026 09:00,file:///home/archivist/.config/lo;\n")
    then = time.time() - 2 * 24 * 3600
    os.utime(lock, (then, then))
    return lock


STALE = "لكن هذا القفل يبدو متروكًا من LibreOffice أُغلق على غير العادة"


def test_a_stale_libreoffice_lock_is_explained_by_issue_sync_and_decide(
    tmp_path: Path, record: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A LibreOffice lock left by a crash: every command that finds it says so, names the machine and the marker to
    delete, not only `build` (before: issue, sync and decide said «مفتوح في LibreOffice لدى archivist» and no more)."""
    import socket

    from generator.registers import lock as lock_module

    monkeypatch.setattr(lock_module, "soffice_running_here", lambda: False)  # other tests may run soffice
    out = tmp_path / "out"
    first = issue(record, out)
    lock = _stale_libreoffice_lock(out / "registers" / "requests.xlsx")
    advice = f"فاحذف الملف \u2066{lock.name}\u2069 من مجلد السجلات"
    machine = f"مفتوحًا في LibreOffice لدى \u2068archivist\u2069 على الجهاز \u2068{socket.gethostname()}\u2069"
    status, _, err = run("issue", "application", "--data", str(_data_file(tmp_path, record)), "--out", str(out))
    assert status == 0
    assert machine in err and STALE in err and advice in err and "لدى ?" not in err
    status, printed, _ = run("register", "sync", "--out", str(out))
    assert status == 0 and machine in printed and STALE in printed and advice in printed
    recorded = api.record_decision(PROJECT, out, first.reference, "accepted", early_reason="اكتمل الملف")  # the app
    assert recorded.pending and STALE in recorded.waiting_reason and advice in recorded.waiting_reason
    status, printed, _ = run("decide", "--out", str(out))
    assert status == 0 and STALE in printed and advice in printed


# ------------------------------------------------------------------------------------------------ merges, dates
def test_two_concurrent_merges_give_two_complete_batches(tmp_path: Path) -> None:
    rows = "\n".join(
        f"- {{الرقم المرجعي: REQ-1448-{i:05d}, الاسم الرباعي: مستفيد رقم {i}, الجنس: ذكر, "
        f"نوع الطلب: حلقة تحفيظ قرآن كريم, تاريخ الاستلام: '1448-05-20'}}"
        for i in range(1, 6)
    )
    data = tmp_path / "day.yml"
    data.write_text(rows + "\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "generator", "merge", "acknowledgment", "--data", str(data), "--out", str(out),
            "--policy", str(POLICY)]  # fmt: skip
    env = {**os.environ, "WATHIQA_TODAY": TODAY.isoformat()}
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
             for _ in range(2)]  # fmt: skip
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    batches = sorted(p.name for p in (out / "batches").iterdir())
    assert batches == ["acknowledgment-20261124-1", "acknowledgment-20261124-2"]
    for name in batches:
        assert (out / "batches" / name / "print.pdf").stat().st_size > 0
        assert len(list((out / "batches" / name / "docx").iterdir())) == 5


def test_the_reply_date_counts_from_the_day_of_receipt(tmp_path: Path, record: dict[str, object]) -> None:
    received = date(2026, 11, 10)
    view_record = {"applicant_name": "سارة", "gender": "female",
                   "request_type": "open_circle", "received_on": received.isoformat()}  # fmt: skip
    check = api.check_record(PROJECT, "acknowledgment", view_record)
    assert not check.errors, check.errors
    from generator.content.context import build_view

    view = build_view(PROJECT.document("acknowledgment"), PROJECT.policy, check.record, reference="REQ-1448-00007",
                      issue_date=TODAY)  # fmt: skip
    days = PROJECT.policy.service_standard.reply_min_days
    assert view.variables["earliest_reply"] == build_view(
        PROJECT.document("acknowledgment"), PROJECT.policy, check.record, reference="x",
        issue_date=date(2026, 11, 10),
    ).variables["earliest_reply"]  # fmt: skip
    from generator.registers.rows import row_for

    cells = row_for(PROJECT, "requests", {**record, "received_on": received}, reference="REQ-1448-00009",
                    issue_date=TODAY)  # fmt: skip
    from datetime import timedelta

    assert cells["أقرب موعد للرد"] == received + timedelta(days=days)


# ------------------------------------------------------------------------------------------------ crash report
def test_an_unexpected_fault_writes_a_crash_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATHIQA_CRASH_DIR", str(tmp_path / "crashes"))

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the disk vanished")

    monkeypatch.setattr(api, "build_kit", broken)
    status, _, err = run("build", "--out", str(tmp_path / "out"))
    assert status == 1
    logs = list((tmp_path / "crashes").iterdir())
    assert len(logs) == 1
    assert f"the full report was written to {logs[0]}" in err
    assert "Traceback" not in err
    text = logs[0].read_text(encoding="utf-8")
    assert "command: wathiqa build --out" in text and "RuntimeError: the disk vanished" in text
    assert re.search(r"^weasyprint \d", text, re.M) and "Traceback (most recent call last)" in text
    status, _, err = run("-v", "build", "--out", str(tmp_path / "out"))
    assert status == 1 and "Traceback (most recent call last)" in err


def test_the_database_is_wal_and_sequences_only_grow(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    issue(record, out)
    with sqlite3.connect(out / "office.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT scheme, prefix, last FROM sequences").fetchall() == [("request", "REQ-1448-", 1)]
    assert OfficeDB(out).exists()


# ------------------------------------------------------------------------------- contracts declared in the YAML
def test_gendered_wording_follows_the_declared_gender_field(tmp_path: Path) -> None:
    from generator.content.context import build_view
    from tests.project_fixture import copy_project, edit

    policy = copy_project(tmp_path)
    edit(policy, "      - {id: male, label: ذكر}\n      - {id: female, label: أنثى}",
         "      - {id: m, label: ذكر}\n      - {id: f, label: أنثى}")  # fmt: skip
    edit(policy, "settings:\n", "settings:\n  gender: {field: sex, masculine: m, feminine: f}\n")
    for form in (tmp_path / "forms").glob("*.yml"):
        text = form.read_text(encoding="utf-8").replace("{id: gender,", "{id: sex,")
        form.write_text(text.replace("example: male}", "example: m}").replace("example: female}", "example: f}"),
                        encoding="utf-8")  # fmt: skip
    project = api.load_project(policy)
    document = project.document("acknowledgment")
    check = api.check_record(project, "acknowledgment", {"applicant_name": "نورة", "sex": "أنثى",
                                                          "request_type": "open_circle"})  # fmt: skip
    assert not check.errors
    view = build_view(document, project.policy, check.record, reference="REQ-1448-00001", issue_date=TODAY)
    assert view.gender == "female"
    assert view.variables["g"]("المكرم", "المكرمة") == "المكرمة"


def test_a_gender_rule_naming_an_option_the_list_lacks_is_a_check_error(tmp_path: Path) -> None:
    from generator.errors import ProjectError
    from tests.project_fixture import copy_project, edit

    policy = copy_project(tmp_path)
    edit(policy, "settings:\n", "settings:\n  gender: {feminine: woman}\n")
    with pytest.raises(ProjectError) as caught:
        api.load_project(policy)
    assert "the gender field's list 'genders' has no option 'woman' (settings.gender.feminine" in str(caught.value)


def test_a_reworded_status_still_reads_in_old_rows(tmp_path: Path, record: dict[str, object]) -> None:
    from tests.project_fixture import copy_project, edit

    out = tmp_path / "out"
    issue(record, out)  # the row says «مستلم»
    policy = copy_project(tmp_path / "p")
    edit(policy, "      - {id: received, label: مستلم}", "      - {id: received, label: وارد, former_labels: [مستلم]}")
    project = api.load_project(policy)
    table = api.read_register(project, "requests", out, status="received")
    assert [r.values["status"] for r in table.rows] == ["received"]


def test_decide_ignores_what_answered_rows_hold(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    first, second = issue(record, out), issue(record, out)
    _decide(out, {first.reference: ("قبول", None)})
    api.decide(PROJECT, out, today=TODAY)
    with open_register(out / "registers" / "requests.xlsx") as tx:  # an old, answered row with a stray decision
        row = next(r for r in tx.rows() if r.values.get(REF) == first.reference)
        tx.update(row.number, {"القرار": "مقبول مبدئيًا"})
    _decide(out, {second.reference: ("اعتذار", "وجود حلقة أو دار قريبة تغطي الحي")})
    result = api.decide(PROJECT, out, today=TODAY)
    assert [letter.request_reference for letter in result.letters] == [second.reference]


def test_the_report_counts_rows_still_waiting_in_the_journal(tmp_path: Path, record: dict[str, object]) -> None:
    from generator.reports.pipeline import report_figures

    out = tmp_path / "out"
    api.build_kit(PROJECT, out, only=list(PROJECT.registers))
    open_in_excel(out / "registers" / "requests.xlsx")
    assert issue(record, out).pending
    report = report_figures(PROJECT, out, today=TODAY)[0]
    assert report.current.pending == {"requests": 1}
    assert report.current.requests.received == 1


def test_a_decision_waiting_for_an_open_register_shows_as_decided_everywhere(
    tmp_path: Path, record: dict[str, object]
) -> None:
    """The archivist decides while a colleague has the requests register open: the register page, `register
    show` and the report see the decision at once, marked pending, and the request leaves the awaiting list."""
    from generator.reports.pipeline import report_figures

    out = tmp_path / "out"
    api.build_kit(PROJECT, out, only=list(PROJECT.registers))
    first, second = issue(record, out), issue(record, out)
    owner = open_in_excel(out / "registers" / "requests.xlsx")
    recorded = api.record_decision(  # dated: the decision counts as of the day it was taken
        PROJECT, out, first.reference, "accepted", early_reason="اكتملت الدراسة مبكرًا", today=TODAY
    )
    assert recorded.pending
    table = api.read_register(PROJECT, "requests", out)
    rows = {r.values["reference"]: r for r in table.rows}
    assert rows[first.reference].values["decision"] == "accepted" and rows[first.reference].pending
    assert rows[first.reference].number == 2  # still the row it is on the sheet
    assert rows[second.reference].values.get("decision") is None and not rows[second.reference].pending
    report = report_figures(PROJECT, out, today=TODAY)[0].current.requests
    assert (report.accepted, report.awaiting) == (1, 1)
    assert [w.reference for w in report.oldest] == [second.reference]
    status, printed, _ = run("register", "show", "requests", "--out", str(out))
    assert status == 0 and "1 pending" in printed
    owner.unlink()
    status, _, err = run("register", "sync", "--out", str(out))
    assert status == 0, err
    rows = {r.values["reference"]: r for r in api.read_register(PROJECT, "requests", out).rows}
    assert rows[first.reference].values["decision"] == "accepted" and not rows[first.reference].pending
