"""The journal of register changes under races and faults, with real processes: a register row always carries
the data of the case whose folder bears its reference, and nothing older is ever written over something newer."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import generator as api
from generator.cli.main import main
from generator.office import journal
from generator.office.db import OfficeDB
from generator.registers import open_register, read_register
from tests.project_fixture import ROOT, TINY

TODAY = date(2026, 11, 30)
SHIPPED = ROOT / "policies" / "policy.yml"
REF, NAME = "الرقم المرجعي", "الاسم الرباعي"
FIRST, SECOND = "عبدالله محمد أحمد القحطاني", "سارة خالد عبدالعزيز الدوسري"


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATHIQA_TODAY", TODAY.isoformat())


def run(*argv: str, policy: Path = TINY) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*argv, "--policy", str(policy)], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def command(*argv: str, policy: Path = TINY) -> list[str]:
    return [sys.executable, "-m", "generator", *argv, "--policy", str(policy)]


def run_process(*argv: str, fault: str | None = None, policy: Path = TINY) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"WATHIQA_FAULT": fault} if fault else {})}
    return subprocess.run(command(*argv, policy=policy), capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300, preexec_fn=_ctrl_c_reaches_it)  # fmt: skip


def _ctrl_c_reaches_it() -> None:
    """In the child: Ctrl-C acts, as it does on a clerk's terminal, even when the tests were started in the
    background by a shell, which makes its background jobs (and their children) ignore SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def stopped_at() -> Iterator[object]:
    """Start a command that stops itself at a fault point (``NAME:stop``); yield once it is stopped there. The
    test then races it, and :func:`resume` lets it finish. Awaited with waitpid(WUNTRACED), never a sleep."""
    procs: list[subprocess.Popen[str]] = []

    def start(point: str, *argv: str, policy: Path = TINY) -> subprocess.Popen[str]:
        env = {**os.environ, "WATHIQA_FAULT": f"{point}:stop"}
        proc = subprocess.Popen(command(*argv, policy=policy), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT, env=env)  # fmt: skip
        procs.append(proc)
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"{argv} ended before {point}"
        return proc

    yield start
    for proc in procs:  # a failed test leaves no stopped process behind
        if proc.poll() is None:
            proc.kill()
            os.kill(proc.pid, signal.SIGCONT)
            proc.wait()


def resume(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def case_file(tmp_path: Path, name: str) -> Path:
    status, text, _ = run("example", "application")
    assert status == 0
    text = re.sub(r"(?m)^applicant_name: .*$", f'applicant_name: "{name}"', text)
    path = tmp_path / f"case-{len(list(tmp_path.glob('case-*')))}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def rows(out: Path, register: str = "requests") -> list[dict[str, object]]:
    return [r.values for r in read_register(out / "registers" / f"{register}.xlsx")[1]]


# ------------------------------------------------------------------ a reference given back, then given again
def test_a_reference_given_back_carries_the_next_case_not_the_failed_one(tmp_path: Path) -> None:
    """A clerk's Ctrl-C after the number was taken gives it back; the next case gets it, and its register row
    must hold the next case's data, as its case folder does (it held the interrupted case's before)."""
    out = tmp_path / "out"
    failed = run_process("issue", "application", "--data", str(case_file(tmp_path, FIRST)), "--out", str(out),
                         fault="issue.allocated:interrupt")  # fmt: skip
    assert failed.returncode == 130, failed.stderr
    assert not (out / "cases" / "REQ-1448-00001").exists()
    issued = run_process("issue", "application", "--data", str(case_file(tmp_path, SECOND)), "--out", str(out))
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.split()[0] == "REQ-1448-00001"  # the number was given back
    folder = out / "cases" / "REQ-1448-00001"
    assert json.loads((folder / "record.json").read_text(encoding="utf-8"))["applicant_name"] == SECOND
    assert [(r[REF], r[NAME]) for r in rows(out)] == [("REQ-1448-00001", SECOND)]


def test_an_append_replaces_only_an_abandoned_entry_and_refuses_a_live_one(tmp_path: Path) -> None:
    db = OfficeDB(tmp_path)
    with db.write() as conn:
        first = journal.add(conn, "requests", "append", "REQ-1", {NAME: FIRST})
        assert journal.mark(conn, [first], "abandoned", "تعذر إصدار المستندات") == []
    with db.write() as conn:
        second = journal.add(conn, "requests", "append", "REQ-1", {NAME: SECOND})
    assert second != first  # a new entry: whoever still holds the old id cannot touch it
    [entry] = journal.open_entries(db)
    assert (entry.id, entry.cells, entry.state, entry.last_error) == (second, {NAME: SECOND}, "preparing", None)
    for state in ("preparing", "ready"):
        if state == "ready":
            with db.write() as conn:
                assert journal.mark(conn, [second], "ready") == []
        with pytest.raises(journal.JournalConflict, match="REQ-1 is already " + state), db.write() as conn:
            journal.add(conn, "requests", "append", "REQ-1", {NAME: FIRST})
    with db.write() as conn:  # a ready entry is not abandoned, nor made ready twice by someone else
        assert journal.mark(conn, [second], "abandoned") == [second]
        assert journal.mark(conn, [second], "ready") == []
    assert [e.cells for e in journal.open_entries(db)] == [{NAME: SECOND}]


# ----------------------------------------------------------------------------------- recover really queues
def test_recover_queues_a_case_its_register_lost_and_says_so_only_then(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = api.issue(api.load_project(TINY), "application", json_record(tmp_path), out, today=TODAY)
    register = out / "registers" / "requests.xlsx"
    with open_register(register) as tx:  # the register comes back from an old copy, without the row
        tx.update(tx.rows()[-1].number, {label: None for label in tx.header()})
    assert rows(out) == []
    status, printed, err = run("register", "sync", "--recover", "--out", str(out))
    assert status == 0, err
    assert "أُعيد إلى قائمة الانتظار صف واحد" in printed  # it said so before, and queued nothing
    assert [r[REF] for r in rows(out)] == [first.reference]
    status, printed, _ = run("register", "sync", "--recover", "--out", str(out))
    assert "أُعيد إلى قائمة الانتظار لا صفوف" in printed or "صف واحد" not in printed
    assert [r[REF] for r in rows(out)] == [first.reference]


def json_record(tmp_path: Path, policy: Path = TINY) -> dict[str, object]:
    import yaml

    status, text, _ = run("example", "application", policy=policy)
    assert status == 0
    data = yaml.safe_load(text)
    return {k: (str(v) if not isinstance(v, list) else v) for k, v in data.items()}


# ------------------------------------------------------------------- nothing older written over something newer
def test_a_sync_that_waited_never_writes_an_older_decision_over_a_corrected_one(
    tmp_path: Path, stopped_at: object
) -> None:
    """A sync reads the journal (the request «accepted», waiting for a register open in Excel) and is held up
    before it takes the register's lock; meanwhile the archivist corrects the decision to «rejected», which is
    written at once. When the held sync goes on, the register must still say «rejected» (it said «accepted»:
    the older decision written over the newer), and decide must write the apology, not the acceptance."""
    project = api.load_project(SHIPPED)
    out = tmp_path / "out"
    case = api.issue(project, "application", json_record(tmp_path, SHIPPED), out, today=TODAY)
    register = out / "registers" / "requests.xlsx"
    owner = register.with_name("~$" + register.name)
    owner.write_bytes(b"\x05Sara" + b" " * 48 + b"\x05\x00S\x00a\x00r\x00a\x00")
    early = "اكتمل الملف"  # decided before the earliest reply date: the 14-day rule asks why
    assert api.record_decision(project, out, case.reference, "accepted", early_reason=early).pending
    owner.unlink()
    held = stopped_at("sync.read", "register", "sync", "--out", str(out), policy=SHIPPED)  # type: ignore[operator]
    corrected = api.record_decision(
        project, out, case.reference, "rejected", {"rejection_reason": "nearby_programme"}, early_reason=early
    )
    assert not corrected.pending
    status, _, err = resume(held)
    assert status == 0, err
    [row] = api.read_register(project, "requests", out).rows
    assert (row.values["decision"], row.pending) == ("rejected", False)
    assert journal.open_entries(OfficeDB(out)) == []
    [letter] = api.decide(project, out, today=TODAY).letters
    assert (letter.request_reference, letter.document_id) == (case.reference, "decision-reject")
