"""Issuing cases for the office app: in the request's thread, or in a few warm worker processes.

Rendering a case (WeasyPrint, docxtpl) is Python work that holds the interpreter lock, so threads alone would
issue one case at a time however many clerks press «إصدار» together, and every other page would wait behind
them. With ``issue_workers`` > 0, cases and previews are rendered by that many worker processes, each of which
loads the project once and keeps its fonts, templates and compiled DOCX warm between cases; the request thread
only waits for the answer. The library keeps references unique and register appends safe across processes.

**The render queue.** At most ``render_queue`` issue and preview requests are in progress at once (rendering,
or waiting for a worker); one more is told at once, in Arabic, that the office is busy (:class:`OfficeBusy`),
with what the clerk typed kept on the page. So the server's page threads are never all waiting on renders, and
the sign-in page and every other page are served while twenty clerks issue.

**A worker that dies** (killed, out of memory) breaks its pool; the pool is made again for the next case. The
case it was working on is retried only when the worker died before the library gave it a reference (the
worker notes, before it starts, its pid and the last journal entry; the journal says which entries that pid
made since). Otherwise the clerk is told honestly what became of it: its documents are in place (the case is
shown), or it stopped before them (nothing was issued; the number is not reused).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import secrets
import shutil
import socket
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..errors import DataError, InputError, OutputError, Problem, UsageError
from ..faults import fault_point
from ..office.db import DB_NAME, OfficeDB
from . import messages

log = logging.getLogger(__name__)

_ERRORS: dict[str, type[InputError]] = {
    "DataError": DataError,
    "OutputError": OutputError,
    "UsageError": UsageError,
    "InputError": InputError,
}

ATTEMPTS = 3
"""Tries of one case when workers die before it was given a reference."""
DEATH_WAIT = 30.0
"""Seconds to wait for a broken pool's worker to be gone before reading what it did."""

_worker: tuple[Project, Any] | None = None
"""In a worker process: the project and its renderers, loaded once."""


class OfficeBusy(OutputError):
    """Raised when the render queue is full: the clerk is asked to press again in a moment; nothing was done."""

    def __init__(self) -> None:
        super().__init__(messages.OFFICE_BUSY)


def _start_worker(policy_path: Path, owner: int) -> None:
    global _worker
    from .. import load_project, renderers
    from ..processes import exit_with

    exit_with(owner)  # a worker never outlives the office app, however the app ends
    project = load_project(policy_path)
    _worker = (project, renderers(project))


def _last_journal_id(out_dir: Path) -> int:
    """The newest journal entry, read without waiting for any writer (a read-only connection; WAL)."""
    path = out_dir / DB_NAME
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        return int(conn.execute("SELECT coalesce(max(id), 0) FROM journal").fetchone()[0])
    finally:
        conn.close()


def _issue_in_worker(doc_id: str, values: dict[str, Any], out_dir: Path, note: Path) -> tuple[str, Any]:
    """Issue in a worker; input errors come back as data (their problems would not survive pickling).

    ``note`` gets this worker's pid and the last journal entry before anything is done, so that if the worker
    dies the app can tell whether a reference was given."""
    from .. import issue

    assert _worker is not None
    note.write_text(f"{os.getpid()} {_last_journal_id(out_dir)}", encoding="ascii")
    fault_point("issuing.started")
    project, loaded = _worker
    try:
        return "ok", issue(project, doc_id, values, out_dir, renderers=loaded)
    except InputError as err:
        kind = next((name for name, cls in _ERRORS.items() if type(err) is cls), "OutputError")
        return "error", (kind, err.args[0] if err.args else "", [tuple(vars(p).values()) for p in err.problems])


def _preview_in_worker(doc_id: str, values: dict[str, Any]) -> bytes:
    from .. import preview

    assert _worker is not None
    project, loaded = _worker
    pdf: bytes = preview(project, doc_id, values, renderers=loaded)
    return pdf


class Issuer:
    """Issues cases of one project into one output folder."""

    def __init__(self, project: Project, out_dir: Path, workers: int, render_queue: int = 0) -> None:
        self.project = project
        self.out_dir = out_dir
        self.workers = workers
        self._queue = threading.BoundedSemaphore(render_queue) if render_queue > 0 else None
        self._taken = 0
        """Places of the render queue in use (an issue or a preview rendering or waiting for a worker)."""
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._notes: Path | None = None

    def renderers(self) -> Any:
        """This thread's renderers (loaded once per thread: a renderer is not shared between threads)."""
        loaded = getattr(self._local, "renderers", None)
        if loaded is None:
            from .. import renderers

            loaded = self._local.renderers = renderers(self.project)
        return loaded

    # ------------------------------------------------------------------------------------------ the pool

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.project.policy_path, os.getpid()),
                )
                atexit.register(self.close)
            return self._pool

    def _drop_pool(self, broken: ProcessPoolExecutor) -> None:
        """Forget a broken pool (the next case makes a new one), unless another thread already did."""
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)
        log.warning("an issue worker died; its pool is made again")

    def _note(self) -> Path:
        with self._lock:
            if self._notes is None:
                self._notes = Path(tempfile.mkdtemp(prefix="wathiqa-issuing-"))
            return self._notes / secrets.token_hex(8)

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first clerk's case."""
        if self.workers > 0:
            pool = self._get_pool()
            for future in [pool.submit(_noop) for _ in range(self.workers)]:
                future.result()

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """A place in the render queue, or :class:`OfficeBusy` at once (a request never waits for a place)."""
        if self._queue is not None and not self._queue.acquire(blocking=False):
            raise OfficeBusy()
        with self._lock:
            self._taken += 1
        try:
            yield
        finally:
            with self._lock:
                self._taken -= 1
            if self._queue is not None:
                self._queue.release()

    @property
    def in_progress(self) -> int:
        """Issues and previews in progress now."""
        return self._taken

    # ------------------------------------------------------------------------------------------ issue, preview

    def issue(self, doc_id: str, values: Mapping[str, Any]) -> Any:
        with self._turn():
            if self.workers <= 0:
                from .. import issue

                return issue(self.project, doc_id, values, self.out_dir, renderers=self.renderers())
            return self._issue_in_pool(doc_id, dict(values))

    def _issue_in_pool(self, doc_id: str, values: dict[str, Any]) -> Any:
        for _ in range(ATTEMPTS):
            pool = self._get_pool()
            note = self._note()
            try:
                status, payload = pool.submit(_issue_in_worker, doc_id, values, self.out_dir, note).result()
            except BrokenProcessPool:
                self._drop_pool(pool)
                settled = self._after_crash(note)
                if settled is None:
                    continue  # the worker died before the case was given a reference: nothing to undo
                return settled
            finally:
                note.unlink(missing_ok=True)
            if status == "ok":
                return payload
            kind, message, problems = payload
            raise _ERRORS[kind](message, [Problem(*p) for p in problems])
        raise OutputError(messages.ISSUE_WORKERS_DYING)

    def _after_crash(self, note: Path) -> Any:
        """What became of a case whose worker died: None when it had no reference yet (safe to try again);
        the issue's result when its folder is in place; else :class:`OutputError` saying nothing was issued."""
        from ..office import journal
        from ..processes import wait_ended
        from ..workflow.issue import IssueResult
        from ..workflow.sync import apply_pending

        try:
            pid_text, last_text = note.read_text(encoding="ascii").split()
        except (OSError, ValueError):
            return None  # the case never reached a worker
        pid, last = int(pid_text), int(last_text)
        if not wait_ended(pid, DEATH_WAIT):
            raise OutputError(messages.ISSUE_INTERRUPTED_UNKNOWN)
        db = OfficeDB(self.out_dir)
        owner = f"{socket.gethostname()}:{pid}"
        with db.read() as conn:
            row = conn.execute(
                "SELECT register, key, waits_for FROM journal WHERE owner = ? AND op = 'append' "
                "AND (id > ? OR state = 'preparing') ORDER BY id DESC LIMIT 1",
                (owner, last),
            ).fetchone()
        if row is None:
            return None
        register_id, reference, waits_for = row
        journal.resolve_preparing(db)  # the worker is gone: its entry becomes ready (folder there) or abandoned
        folder = Path(waits_for) if waits_for else self.out_dir / "cases" / reference
        if not folder.is_dir():
            log.warning("issue worker %s died after giving %s and before its documents", pid, reference)
            raise OutputError(messages.ISSUE_INTERRUPTED.format(reference))
        log.warning("issue worker %s died after writing %s; the case stands", pid, reference)
        sync = apply_pending(self.project, self.out_dir, registers=[register_id], db=db)
        waiting = next((w.reason for w in sync.waiting if w.register_id == register_id and w.key == reference), "")
        files = sorted(p for p in folder.iterdir() if p.suffix in (".pdf", ".docx"))
        return IssueResult(reference, folder, files, bool(waiting), waiting)

    def preview(self, doc_id: str, values: Mapping[str, Any]) -> bytes:
        """The draft PDF (nothing is written, no lock is taken), rendered by a worker when there are any."""
        with self._turn():
            if self.workers <= 0:
                from .. import preview

                pdf: bytes = preview(self.project, doc_id, values, renderers=self.renderers())
                return pdf
            for _ in range(ATTEMPTS):
                pool = self._get_pool()
                try:
                    return pool.submit(_preview_in_worker, doc_id, dict(values)).result()
                except BrokenProcessPool:
                    self._drop_pool(pool)  # a preview writes nothing: simply try again
            raise OutputError(messages.ISSUE_WORKERS_DYING)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            if self._notes is not None:
                shutil.rmtree(self._notes, ignore_errors=True)
                self._notes = None


def _noop() -> None:
    return None
