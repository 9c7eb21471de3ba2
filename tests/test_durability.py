"""Folders on disk under power cuts, kills and two writers at once: a case or batch folder is whole on disk before
its name is, a reservation left by a killed run is cleaned, a build never overwrites a row issued meanwhile, two
builds of one output folder both succeed, and a kill -9 at every step of issue, sync and merge loses nothing,
doubles nothing and leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import generator as api
from generator.office import journal
from generator.office.db import OfficeDB
from generator.registers import read_register
from tests.project_fixture import ROOT, TINY

TODAY = date(2026, 11, 30)
REF = "الرقم المرجعي"
PROJECT = api.load_project(TINY)


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATHIQA_TODAY", TODAY.isoformat())


@pytest.fixture(scope="module")
def record() -> dict[str, object]:
    from generator.content.examples import example_fields

    return {k: v for k, v in example_fields(PROJECT.document("application")) if v not in (None, "")}


def command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "generator", *argv, "--policy", str(TINY)]


def run_process(*argv: str, fault: str | None = None, mark: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATHIQA_TEST_MARK": mark, **({"WATHIQA_FAULT": fault} if fault else {})}
    return subprocess.run(command(*argv), capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def start_stopped(point: str, *argv: str) -> subprocess.Popen[str]:
    """A command stopped at a fault point (``NAME:stop``), awaited with waitpid(WUNTRACED), never a sleep."""
    env = {**os.environ, "WATHIQA_FAULT": f"{point}:stop"}
    proc = subprocess.Popen(command(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=env)  # fmt: skip
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"{argv} ended before {point}: {proc.communicate()}"
    return proc


def resume(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def batch_file(tmp_path: Path, n: int = 3) -> Path:
    rows = [{REF: f"REQ-1448-{i:05d}", "الاسم الرباعي": f"مستفيد رقم {i}", "الجنس": "ذكر",
             "نوع الطلب": "حلقة تحفيظ قرآن كريم", "تاريخ الاستلام": "1448-05-20"} for i in range(1, n + 1)]  # fmt: skip
    path = tmp_path / "day.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def case_file(tmp_path: Path, record: dict[str, object]) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def register_refs(out: Path) -> list[str]:
    path = out / "registers" / "requests.xlsx"
    return [str(r.values[REF]) for r in read_register(path)[1]] if path.exists() else []


# ------------------------------------------------------------------------- fsync before the name (item 5)
@pytest.fixture
def disk_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, ...]]]:
    """Every fsync (by the path of what it synced) and every rename, in order."""
    events: list[tuple[str, ...]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: object, dst: object, **kwargs: object) -> None:
        events.append(("replace", str(src), str(dst)))
        real_replace(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    yield events


def assert_synced_before_named(events: list[tuple[str, ...]], final: Path) -> None:
    at = next(i for i, e in enumerate(events) if e[0] == "replace" and e[2] == str(final))
    stage = events[at][1]
    before = {e[1] for e in events[:at] if e[0] == "fsync"}
    inside = [p.relative_to(final) for p in final.rglob("*")]
    assert inside, final
    missing = [str(p) for p in inside if f"{stage}/{p}" not in before]
    assert missing == [], "written but not fsynced before the rename"
    assert stage in before  # the folder's own entries
    assert str(final.parent) in {e[1] for e in events[at + 1 :] if e[0] == "fsync"}  # the new name


def test_a_case_folder_is_fsynced_file_by_file_before_it_is_renamed(
    tmp_path: Path, record: dict[str, object], disk_log: list[tuple[str, ...]]
) -> None:
    case = api.issue(PROJECT, "application", record, tmp_path / "out", today=TODAY)
    assert_synced_before_named(disk_log, case.folder)


def test_a_batch_folder_is_fsynced_file_by_file_before_it_is_renamed(
    tmp_path: Path, disk_log: list[tuple[str, ...]]
) -> None:
    summary = api.merge(PROJECT, "acknowledgment", batch_file(tmp_path), tmp_path / "out", today=TODAY)
    assert summary.folder is not None
    assert_synced_before_named(disk_log, summary.folder)



def test_a_decisions_batch_is_fsynced_file_by_file_before_it_is_renamed(
    tmp_path: Path, disk_log: list[tuple[str, ...]]
) -> None:
    shipped = api.load_project(ROOT / "policies" / "policy.yml")
    from generator.content.examples import example_fields

    record = {k: v for k, v in example_fields(shipped.document("application")) if v not in (None, "")}
    out = tmp_path / "out"
    case = api.issue(shipped, "application", record, out, today=TODAY)
    api.record_decision(shipped, out, case.reference, "accepted", early_reason="اكتمل الملف")
    disk_log.clear()
    result = api.decide(shipped, out, today=TODAY)
    [folder] = result.folders
    assert_synced_before_named(disk_log, folder)
    [letter] = result.letters
    copy = next(f for f in letter.files if f.parent == case.folder)  # the copy moved into the case folder
    moved = next(i for i, e in enumerate(disk_log) if e[0] == "replace" and e[2] == str(copy))
    assert str(case.folder) in {e[1] for e in disk_log[moved + 1 :] if e[0] == "fsync"}

# ------------------------------------------------------------------ reservations of killed runs (item 8)
def test_a_merge_killed_before_its_batch_was_moved_in_leaves_no_empty_batch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = batch_file(tmp_path)
    killed = run_process("merge", "acknowledgment", "--data", str(data), "--out", str(out), fault="merge.rendered")
    assert killed.returncode == -9
    [left] = [p for p in (out / "batches").iterdir() if not p.name.startswith(".")]
    assert list(left.iterdir()) == []  # what the batches page listed as a batch
    again = run_process("merge", "acknowledgment", "--data", str(data), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert [p.name for p in (out / "batches").iterdir()] == ["acknowledgment-20261130-1"]  # no stage either
    assert len(list((out / "batches" / "acknowledgment-20261130-1" / "docx").iterdir())) == 3


def test_a_decide_killed_before_its_letters_were_moved_in_leaves_no_empty_batch(tmp_path: Path) -> None:
    shipped = ROOT / "policies" / "policy.yml"
    project = api.load_project(shipped)
    out = tmp_path / "out"
    from generator.content.examples import example_fields

    record = {k: v for k, v in example_fields(project.document("application")) if v not in (None, "")}
    case = api.issue(project, "application", record, out, today=TODAY)
    api.record_decision(project, out, case.reference, "accepted", early_reason="اكتمل الملف")  # before 14 days
    argv = [sys.executable, "-m", "generator", "decide", "--out", str(out), "--policy", str(shipped)]
    killed = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "WATHIQA_FAULT": "decide.rendered"})  # fmt: skip
    assert killed.returncode == -9
    again = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert again.returncode == 0, again.stderr
    [batch] = (out / "batches").iterdir()  # the killed run's empty decisions-…-1 is gone, no stage is left
    assert (batch / "letters.json").is_file() and (batch / "print.pdf").is_file()


def test_a_reservation_of_a_run_at_work_is_never_taken(tmp_path: Path) -> None:
    from generator.workflow.folders import release_folder, remove_dead_reservations, reserve_folder

    batches = tmp_path / "batches"
    mine = reserve_folder(batches, "acknowledgment-20261130")
    held = start_stopped("merge.reserved", "merge", "acknowledgment", "--data", str(batch_file(tmp_path)),
                         "--out", str(tmp_path))  # fmt: skip
    try:
        remove_dead_reservations(batches)  # another process's and this one's: both alive
        assert sorted(p.name for p in batches.iterdir() if not p.name.startswith(".")) == [
            "acknowledgment-20261130-1", "acknowledgment-20261130-2"]  # fmt: skip
    finally:
        status, _, err = resume(held)
    assert status == 0, err
    release_folder(mine)
    mine.rmdir()
    assert (batches / "acknowledgment-20261130-2" / "print.pdf").is_file()


# ---------------------------------------------------------------------------- build and issue at once (item 7)
def test_a_build_never_overwrites_a_register_a_case_created_meanwhile(tmp_path: Path, record: dict[str, object]) -> None:
    """The build found no register, and before it wrote one a clerk issued a case, which created the register
    with its row: the build must keep that register (it replaced it with a blank one)."""
    out = tmp_path / "out"
    build = start_stopped("build.register-absent", "build", "--only", "requests", "--out", str(out))
    try:
        case = api.issue(PROJECT, "application", record, out, today=TODAY)
    finally:
        status, _, err = resume(build)
    assert status == 0, err
    assert register_refs(out) == [case.reference]


def test_issues_while_a_build_runs_all_keep_their_rows(tmp_path: Path, record: dict[str, object]) -> None:
    out = tmp_path / "out"
    data = case_file(tmp_path, record)
    env = {**os.environ}
    procs = [subprocess.Popen(command("build", "--out", str(out)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env=env)]  # fmt: skip
    procs += [subprocess.Popen(command("issue", "application", "--data", str(data), "--out", str(out)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
              for _ in range(4)]  # fmt: skip
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [r[1] for r in results]
    assert run_process("register", "sync", "--out", str(out)).returncode == 0
    cases = sorted(p.name for p in (out / "cases").iterdir())
    assert len(cases) == 4 and sorted(register_refs(out)) == cases


def test_two_builds_of_one_output_folder_both_succeed(tmp_path: Path) -> None:
    """One build is stopped in the middle of swapping in its kit (the old kit moved aside, the new one not yet
    in place); the other then swaps its own: the first crashed when it went on (ENOTEMPTY)."""
    out = tmp_path / "out"
    assert run_process("build", "--only", "requests", "--out", str(out)).returncode == 0
    first = start_stopped("folders.swap", "build", "--only", "requests", "--out", str(out))
    second = subprocess.Popen(command("build", "--only", "requests", "--out", str(out)), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    try:
        waits_or_ends(second)
    finally:
        status, _, err = resume(first)
    assert status == 0, err
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["blank", "registers"]  # nothing left aside
    assert [p.name for p in (out / "blank").iterdir()] == ["requests.xlsx"]


def test_a_build_killed_while_swapping_its_kit_leaves_a_kit_and_nothing_aside(tmp_path: Path) -> None:
    """Killed between taking the old kit out and putting the new one in, a build left no blank/ at all and the
    old kit in a hidden folder no run removed; the kit is exchanged in one step now, and the next build clears
    what the killed one left."""
    out = tmp_path / "out"
    assert run_process("build", "--only", "requests", "--out", str(out)).returncode == 0
    killed = run_process("build", "--only", "requests", "--out", str(out), fault="folders.swap")
    assert killed.returncode == -9
    assert (out / "blank" / "requests.xlsx").is_file()  # never no kit
    assert run_process("build", "--only", "requests", "--out", str(out)).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["blank", "registers"]


def waits_or_ends(proc: subprocess.Popen[str]) -> None:
    """Until ``proc`` ends or waits for a kernel lock (a blocked flock shows in /proc/locks with «->»)."""
    import time

    while proc.poll() is None:
        if any(_lock_waiter(line, proc.pid) for line in _locks()):
            return
        time.sleep(0.01)  # polling for one of two events; no outcome depends on its length


def _locks() -> list[str]:
    return Path("/proc/locks").read_text().splitlines()


def _lock_waiter(line: str, pid: int) -> bool:
    fields = line.split()
    return len(fields) > 5 and fields[1] == "->" and fields[5] == str(pid)


# ------------------------------------------------------------ kill -9 at every step (for the closing note)
STEPS = [("issue", s) for s in ("issue.allocated", "issue.rendered", "issue.moved", "issue.ready", "sync.read",
                                "sync.before-commit", "sync.after-commit")]  # fmt: skip
STEPS += [("merge", s) for s in ("merge.reserved", "merge.rendered", "merge.moved")]


@pytest.mark.parametrize(("name", "step"), STEPS)
def test_kill_9_at_every_step_loses_nothing_doubles_nothing_leaves_no_process(
    tmp_path: Path, record: dict[str, object], name: str, step: str
) -> None:
    out = tmp_path / "out"
    if name == "issue":
        argv: tuple[str, ...] = ("issue", "application", "--data", str(case_file(tmp_path, record)))
    else:
        argv = ("merge", "acknowledgment", "--data", str(batch_file(tmp_path)))
    mark = uuid.uuid4().hex
    killed = run_process(*argv, "--out", str(out), fault=step, mark=mark)
    assert killed.returncode == -9, killed.stderr
    again = run_process(*argv, "--out", str(out))  # the next command
    assert again.returncode == 0, again.stderr
    assert run_process("register", "sync", "--out", str(out)).returncode == 0
    cases = sorted(p.name for p in (out / "cases").iterdir()) if (out / "cases").exists() else []
    rows = register_refs(out)
    assert sorted(rows) == cases and len(set(rows)) == len(rows)  # rows = cases, references distinct
    if name == "issue":
        assert len(cases) == (1 if step in ("issue.allocated", "issue.rendered") else 2)
    batches = sorted((out / "batches").iterdir()) if (out / "batches").exists() else []
    assert all((b / "print.pdf").is_file() and not b.name.startswith(".") for b in batches)  # none empty or staged
    if name == "merge":
        assert len(batches) == (2 if step == "merge.moved" else 1)
    assert not [p for p in (out / "cases").glob(".*")] if (out / "cases").exists() else True
    assert journal.open_entries(OfficeDB(out)) == []  # nothing preparing, nothing waiting
    assert still_running(mark) == []


def still_running(mark: str) -> list[int]:
    """Processes started by the killed command (they carry its mark in their environment) still alive after
    their parent's end, each given up to 30 s to notice it (a fork server exits on its own)."""
    needle = f"WATHIQA_TEST_MARK={mark}".encode()
    alive: list[int] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                alive.append(int(proc.name))
        except OSError:
            continue
    return [pid for pid in alive if not _ends_within(pid, 30.0)]


def _ends_within(pid: int, seconds: float) -> bool:
    import select

    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)
