"""Worker processes under kill -9, with real processes: an issue worker killed mid-case does not break issuing
(the pool is rebuilt; a case is never issued twice), and a merge killed in its PDF phase leaves no renderer behind.

Processes are found by scanning /proc for an environment mark given to the process tree under test (no psutil).
"""

from __future__ import annotations

import html
import os
import re
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.project_fixture import ROOT
from tests.web_helpers import PROJECT, example_values, make_app, post_form

FORM = "/documents/application/new"

POLICY = str(ROOT / "policies" / "policy.yml")
MARK = "WATHIQA_TEST_MARK"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def marked(mark: str) -> dict[int, str]:
    """pid -> command line of every live process whose environment holds ``MARK=mark``."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            if f"{MARK}={mark}".encode() not in environ:
                continue
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry)] = command
    return found


def wait_gone(pids: list[int], deadline: float) -> None:
    """Wait for each process to end (a pidfd becomes readable when it does), until ``deadline``."""
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        finally:
            os.close(fd)


def wait_for(condition: object, deadline: float, what: str) -> None:
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def batch_csv(path: Path, rows: int) -> Path:
    lines = ["الاسم الرباعي,الجنس,نوع الطلب"]
    lines += [f"مستفيد رقم {n},{'ذكر' if n % 2 else 'أنثى'},حلقة تحفيظ قرآن كريم" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_merge_killed_in_its_pdf_phase_leaves_no_process(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    env = {**os.environ, MARK: mark}
    data = batch_csv(tmp_path / "day.csv", 200)
    merge = subprocess.Popen(
        [sys.executable, "-m", "generator", "merge", "acknowledgment", "--data", str(data), "--policy", POLICY,
         "--out", str(tmp_path / "out")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240

        out = tmp_path / "out"

        def printing() -> bool:
            """In the PDF phase, with the renderers at work: the first chunk is in the print file."""
            return any(p.stat().st_size > 0 for p in out.rglob("print.pdf")) if out.exists() else False

        wait_for(lambda: printing() or merge.poll() is not None, deadline, "the PDF phase")
        assert merge.poll() is None, "the merge ended before its PDF phase was seen; give it more rows"
        tree = sorted(marked(mark))
        renderers = [pid for pid, cmd in marked(mark).items() if "forkserver" in cmd]
        assert len(renderers) >= 3  # the fork server and its two renderers
        merge.send_signal(signal.SIGKILL)
        merge.wait()
        wait_gone([pid for pid in tree if pid != merge.pid], time.monotonic() + 30)
        assert marked(mark) == {}
    finally:
        if merge.poll() is None:
            merge.kill()
            merge.wait()
        for pid in marked(mark):
            os.kill(pid, signal.SIGKILL)


# ------------------------------------------------------------------------------------------ issue workers


def issue_form(client: FlaskClient, **changes: Any) -> Any:
    return post_form(client, FORM, example_values(**changes), _action="issue", _same_person="1")


def references_in_register(out: Path) -> list[str]:
    from generator import read_register

    return sorted(str(r.values["reference"]) for r in read_register(PROJECT, "requests", out).rows)


@pytest.fixture
def pooled(out: Path) -> Iterator[Flask]:
    app = make_app(out, issue_workers=1)
    try:
        yield app
    finally:
        app.extensions["wathiqa"].issuer.close()


def worker_pids(app: Flask) -> list[int]:
    pool = app.extensions["wathiqa"].issuer._pool
    return list(pool._processes) if pool is not None else []


def test_an_idle_worker_killed_does_not_break_issuing(pooled: Flask, out: Path) -> None:
    client = pooled.test_client()
    first = issue_form(client)
    assert first.status_code == 302
    (pid,) = worker_pids(pooled)
    os.kill(pid, signal.SIGKILL)
    wait_gone([pid], time.monotonic() + 30)
    second = issue_form(client, applicant_name="هند سالم المطيري")
    assert second.status_code == 302, second.get_data(as_text=True)[:500]
    assert worker_pids(pooled) != [pid]
    refs = [r.headers["Location"].rsplit("/", 1)[1] for r in (first, second)]
    assert references_in_register(out) == sorted(refs)


def test_a_worker_killed_before_the_reference_is_given_is_retried_once(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.web.issuing import Issuer

    monkeypatch.setenv("WATHIQA_FAULT", "issuing.started")  # the worker dies having taken the case, no reference
    drop = Issuer._drop_pool
    dropped: list[object] = []

    def once(self: Issuer, broken: Any) -> None:
        dropped.append(broken)
        os.environ.pop("WATHIQA_FAULT", None)  # the next worker, spawned for the retry, works
        drop(self, broken)

    monkeypatch.setattr(Issuer, "_drop_pool", once)
    app = make_app(out, issue_workers=1)
    try:
        client = app.test_client()
        response = issue_form(client, applicant_name="هند سالم المطيري")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert len(dropped) == 1  # one worker died, and the case was tried once more
        reference = response.headers["Location"].rsplit("/", 1)[1]
        assert references_in_register(out) == [reference]
        assert [p.name for p in (out / "cases").iterdir()] == [reference]
    finally:
        app.extensions["wathiqa"].issuer.close()


def test_a_worker_killed_after_the_reference_is_said_so_and_not_issued_twice(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATHIQA_FAULT", "issue.allocated")  # the worker dies once it has a reference
    app = make_app(out, issue_workers=1)
    try:
        client = app.test_client()
        response = issue_form(client, applicant_name="هند سالم المطيري")
        assert response.status_code == 409
        page = html.unescape(response.get_data(as_text=True))
        lost = re.search(r"كانت ستأخذ الرقم (REQ-\d{4}-\d{5})", page)
        assert lost, page[:3000]
        assert "فلم يُصدر شيء ولم يُسجَّل في السجل" in page
        assert 'value="هند سالم المطيري"' in page  # what the clerk typed is kept
        assert not (out / "cases" / lost.group(1)).exists()
        monkeypatch.setenv("WATHIQA_FAULT", "issue.moved")  # the next worker dies once the folder is in place
        response = issue_form(client, applicant_name="سارة خالد الدوسري")
        assert response.status_code == 302  # the case stands: shown, not issued again
        reference = response.headers["Location"].rsplit("/", 1)[1]
        assert reference != lost.group(1)
        monkeypatch.delenv("WATHIQA_FAULT")
        third = issue_form(client, applicant_name="نورة سعد العتيبي")
        assert third.status_code == 302
        done = [reference, third.headers["Location"].rsplit("/", 1)[1]]
        assert references_in_register(out) == sorted(done)
        assert sorted(p.name for p in (out / "cases").iterdir()) == sorted(done)
    finally:
        app.extensions["wathiqa"].issuer.close()
