"""Issuing cases for the office app: in the request's thread, or in a few warm worker processes.

Rendering a case (WeasyPrint, docxtpl) is Python work that holds the interpreter lock, so threads alone would
issue one case at a time however many clerks press «إصدار» together. With ``issue_workers`` > 0, cases are
rendered by that many worker processes, each of which loads the project once and keeps its fonts, templates and
compiled DOCX warm between cases; the request thread only waits for the answer. The library keeps references
unique and register appends safe across processes.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..config.project import Project
from ..errors import DataError, InputError, OutputError, Problem, UsageError

log = logging.getLogger(__name__)

_ERRORS: dict[str, type[InputError]] = {
    "DataError": DataError,
    "OutputError": OutputError,
    "UsageError": UsageError,
    "InputError": InputError,
}

_worker: tuple[Project, Any] | None = None
"""In a worker process: the project and its renderers, loaded once."""


def _leave_with_parent(parent: int) -> None:
    """End this worker when the app's process is gone (killed without shutting its workers down)."""
    while os.getppid() == parent:
        time.sleep(2.0)
    os._exit(0)


def _start_worker(policy_path: Path) -> None:
    global _worker
    from .. import load_project, renderers

    threading.Thread(target=_leave_with_parent, args=(os.getppid(),), daemon=True).start()

    project = load_project(policy_path)
    _worker = (project, renderers(project))


def _issue_in_worker(doc_id: str, values: dict[str, Any], out_dir: Path) -> tuple[str, Any]:
    """Issue in a worker; input errors come back as data (their problems would not survive pickling)."""
    from .. import issue

    assert _worker is not None
    project, loaded = _worker
    try:
        return "ok", issue(project, doc_id, values, out_dir, renderers=loaded)
    except InputError as err:
        kind = next((name for name, cls in _ERRORS.items() if type(err) is cls), "OutputError")
        return "error", (kind, err.args[0] if err.args else "", [tuple(vars(p).values()) for p in err.problems])


class Issuer:
    """Issues cases of one project into one output folder."""

    def __init__(self, project: Project, out_dir: Path, workers: int) -> None:
        self.project = project
        self.out_dir = out_dir
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def renderers(self) -> Any:
        """This thread's renderers (loaded once per thread: a renderer is not shared between threads)."""
        loaded = getattr(self._local, "renderers", None)
        if loaded is None:
            from .. import renderers

            loaded = self._local.renderers = renderers(self.project)
        return loaded

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.project.policy_path,),
                )
                atexit.register(self.close)
            return self._pool

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first clerk's case."""
        if self.workers > 0:
            pool = self._get_pool()
            for future in [pool.submit(_noop) for _ in range(self.workers)]:
                future.result()

    def issue(self, doc_id: str, values: Mapping[str, Any]) -> Any:
        if self.workers <= 0:
            from .. import issue

            return issue(self.project, doc_id, values, self.out_dir, renderers=self.renderers())
        status, payload = self._get_pool().submit(_issue_in_worker, doc_id, dict(values), self.out_dir).result()
        if status == "ok":
            return payload
        kind, message, problems = payload
        raise _ERRORS[kind](message, [Problem(*p) for p in problems])

    def preview(self, doc_id: str, values: Mapping[str, Any]) -> bytes:
        """The draft PDF, rendered in the request's thread (nothing is written, no lock is taken)."""
        from .. import preview

        pdf: bytes = preview(self.project, doc_id, values, renderers=self.renderers())
        return pdf

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


def _noop() -> None:
    return None
