"""The office database's failures told as they are: a full disk, a read-only file or folder, a busy database, and
damage only once SQLite's own check finds it; a recovery that keeps the accounts, drafts and audit trail.

Each cause is made for real: SQLite's own SQLITE_FULL (``PRAGMA max_page_count``), a full or read-only file system
(a small tmpfs mounted for the test, as root), and a file whose pages are overwritten.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import generator as api
from generator.cli.main import main
from generator.office.accounts import add_account
from generator.office.audit import audit_entries, record_event
from generator.office.db import DAMAGED_NAME, OfficeDB, OfficeDBError
from generator.office.drafts import save_draft
from generator.registers import read_register
from tests.needs import require
from tests.project_fixture import ROOT
from tests.web_helpers import PROJECT, example_values, make_app, post_form

POLICY = ROOT / "policies" / "policy.yml"
TODAY = date(2026, 11, 24)
FULL = "القرص ممتلئ"
DAMAGED = "تالفة"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*argv, "--policy", str(POLICY)], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def data_file(folder: Path) -> Path:
    path = folder / "case.json"
    path.write_text(json.dumps(example_values(), ensure_ascii=False), encoding="utf-8")
    return path


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` for the block: a disk that really fills, or turns read-only."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    require(mounted.returncode == 0, f"cannot mount a small tmpfs to fill a disk for real: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` to its last byte."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while os.write(fd, b"\0" * 4096):
                pass
    finally:
        os.close(fd)
    return filler


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


# ------------------------------------------------------------------------------------------- each cause, told
def test_sqlite_full_is_a_full_disk_not_damage(tmp_path: Path) -> None:
    """SQLITE_FULL from SQLite itself (its page limit reached, as on a full disk): «القرص ممتلئ», the file sound."""
    db = OfficeDB(tmp_path)
    record_event(db, "arch1", "login")
    with pytest.raises(OfficeDBError) as caught, db.write() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        conn.execute("INSERT INTO audit (at, actor, action, details) VALUES ('x', 'y', 'login', ?)", ("z" * 50_000,))
    assert caught.value.cause == "full"
    arabic = str(caught.value).splitlines()[0]
    assert arabic.startswith(FULL) and "أفرغ مساحة" in arabic and "لا تنقل قاعدة البيانات" in arabic
    assert DAMAGED not in str(caught.value) and "--recover" not in str(caught.value)
    assert [e.actor for e in audit_entries(db)] == ["arch1"]  # nothing lost, nothing half-written


def test_a_read_only_database_is_said_read_only(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        db = OfficeDB(disk / "out")
        record_event(db, "arch1", "login")
        remount_read_only(disk)
        with pytest.raises(OfficeDBError) as caught:
            record_event(OfficeDB(disk / "out"), "arch1", "logout")
        assert caught.value.cause == "read_only", caught.value
        arabic = str(caught.value).splitlines()[0]
        assert "للقراءة فقط" in arabic and DAMAGED not in arabic and "--recover" not in str(caught.value)
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)  # the administrator's fix
        assert [e.action for e in audit_entries(OfficeDB(disk / "out"))] == ["login"]  # the file was sound


def test_a_busy_database_is_said_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.office import db as db_module

    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 0)
    db = OfficeDB(tmp_path)
    record_event(db, "arch1", "login")
    holder = sqlite3.connect(db.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of its write
    try:
        with pytest.raises(OfficeDBError) as caught:
            record_event(OfficeDB(tmp_path), "arch1", "logout")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caught.value.cause == "busy"
    assert "مشغولة الآن بعملية أخرى" in str(caught.value) and DAMAGED not in str(caught.value)


def test_damaged_only_when_sqlite_finds_damage(tmp_path: Path) -> None:
    """Pages overwritten in the middle of the file: SQLite's check finds it, and only then is it called damaged."""
    out = tmp_path / "out"
    db = OfficeDB(out)
    for n in range(300):
        record_event(db, f"user{n}", "login", details="x" * 200)
    with sqlite3.connect(db.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert db.integrity_problem() is None
    size = db.path.stat().st_size
    with open(db.path, "r+b") as handle:  # every page but the first two: the audit table's b-tree
        handle.seek(8192)
        handle.write(os.urandom(size - 8192))
    finding = OfficeDB(out).integrity_problem()
    assert finding
    with pytest.raises(OfficeDBError) as caught:
        audit_entries(OfficeDB(out))
    assert caught.value.cause == "damaged"
    arabic = str(caught.value).splitlines()[0]
    assert f"تالفة (وجد فحص سلامتها: {finding})" in arabic and DAMAGED_NAME in arabic
    assert "\u2066wathiqa register sync --recover\u2069" in arabic and "الحسابات والمسودات وسجل العمليات" in arabic


# ------------------------------------------------------------------------------------------------- recovery
def test_recovery_keeps_accounts_drafts_and_audit(tmp_path: Path) -> None:
    """A database moved aside (damaged, or on the old advice for any error): `register sync --recover` makes a new
    one and copies into it the accounts, drafts and audit trail, which nothing on paper holds; running it twice
    copies nothing twice."""
    out = tmp_path / "out"
    api.issue(PROJECT, "application", example_values(), out, today=TODAY)
    db = OfficeDB(out)
    add_account(db, "arch1", "archivist", "arch pass 1")
    add_account(db, "boss", "admin", "boss pass 1")
    save_draft(db, "application", "مسودة سارة", {"applicant_name": "سارة"}, "arch1", None)
    record_event(db, "arch1", "login", "127.0.0.1")
    before = [(e.actor, e.action, e.target) for e in audit_entries(db)]
    with sqlite3.connect(db.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in out.glob("office.db-*"):
        extra.unlink()
    (out / "office.db").rename(out / DAMAGED_NAME)
    status, printed, err = run("register", "sync", "--recover", "--out", str(out))
    assert status == 0, err
    assert "نُقل من قاعدة البيانات التالفة (office.db.damaged) — الحسابات: ٢، المسودات: ١، قيود سجل العمليات: ١." in printed
    from generator.office.accounts import list_accounts, verify_password
    from generator.office.drafts import list_drafts

    new = OfficeDB(out)
    assert sorted(a.name for a in list_accounts(new)) == ["arch1", "boss"]
    assert verify_password(new, "boss", "boss pass 1") is not None
    assert [d.title for d in list_drafts(new)] == ["مسودة سارة"]
    assert [(e.actor, e.action, e.target) for e in audit_entries(new)] == before
    status, printed, _ = run("register", "sync", "--recover", "--out", str(out))
    assert status == 0 and "الحسابات: ٠" in printed
    assert len(audit_entries(new)) == len(before)
    assert api.issue(PROJECT, "application", example_values(), out, today=TODAY).reference == "REQ-1448-00002"


# --------------------------------------------------------------------------------------- a full disk, end to end
def test_a_full_disk_during_issue_is_exit_2_with_the_reason_and_nothing_lost(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "3m") as disk:
        out = disk / "out"
        status, printed, err = run("issue", "application", "--data", str(data_file(tmp_path)), "--out", str(out))
        assert status == 0, err
        filler = fill(disk)
        status, printed, err = run("issue", "application", "--data", str(data_file(tmp_path)), "--out", str(out))
        assert (status, printed) == (2, ""), err
        assert FULL in err and DAMAGED not in err and "crash" not in err
        assert OfficeDB(out).integrity_problem() is None
        rows = [r.values["الرقم المرجعي"] for r in read_register(out / "registers" / "requests.xlsx")[1]]
        assert rows == ["REQ-1448-00001"] and sorted(p.name for p in (out / "cases").iterdir()) == rows
        filler.unlink()
        status, printed, err = run("issue", "application", "--data", str(data_file(tmp_path)), "--out", str(out))
        assert status == 0, err
        rows = [r.values["الرقم المرجعي"] for r in read_register(out / "registers" / "requests.xlsx")[1]]
        assert len(rows) == len(set(rows)) == 2 and sorted(p.name for p in (out / "cases").iterdir()) == rows


def test_a_full_disk_during_issue_in_the_app_is_an_arabic_page(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "3m") as disk:
        out = disk / "out"
        client = make_app(out).test_client()
        first = post_form(client, "/documents/application/new", example_values(), _action="issue", _same_person="1")
        assert first.status_code == 302
        form = client.get("/documents/application/new").get_data(as_text=True)  # the clerk opened it before
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        fill(disk)
        response = client.post("/documents/application/new",
                               data={**hidden, **example_values(), "_action": "issue", "_same_person": "1"})  # fmt: skip
        page = response.get_data(as_text=True)
        assert response.status_code in (409, 507), page[:2000]
        assert FULL in page and "خطأ غير متوقع" not in page and DAMAGED not in page
        rows = [r.values["الرقم المرجعي"] for r in read_register(out / "registers" / "requests.xlsx")[1]]
        assert len(rows) == 1 and sorted(p.name for p in (out / "cases").iterdir()) == rows
        shutil.rmtree(out / "logs", ignore_errors=True)


@pytest.mark.parametrize(
    ("error", "status", "heading"),
    [
        (OSError(28, "No space left on device", "cases/REQ-1448-00002/application.pdf"), 507, "القرص ممتلئ"),
        (OSError(30, "Read-only file system", "cases/REQ-1448-00002"), 503, "تعذرت الكتابة في مجلد المكتب"),
    ],
)
def test_a_disk_error_in_any_page_is_an_arabic_page_not_a_500(
    tmp_path: Path, error: OSError, status: int, heading: str
) -> None:
    app = make_app(tmp_path / "out")

    def failing() -> str:
        raise error

    app.add_url_rule("/_failing", view_func=failing)
    response = app.test_client().get("/_failing")
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in page and "حدث خطأ غير متوقع" not in page
