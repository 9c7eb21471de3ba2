"""Long work off the request: a batch merge runs in a worker thread while its page polls the progress.

One merge runs at a time (the others wait in the queue): a merge already uses every core for its PDF, and the
registers it appends to are written one writer at a time anyway. Jobs live as long as the app; what they
produced stays on disk in ``OUT/batches/`` and is listed there after a restart.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import messages

log = logging.getLogger(__name__)

KEEP_JOBS = 50


@dataclass
class Job:
    id: str
    doc_id: str
    actor: str
    state: str = "queued"
    """queued, running, done or failed."""
    done: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None
    upload_dir: Path | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class Jobs:
    """The batch jobs of one app: started, watched, kept for their result page."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._tokens: dict[str, str] = {}
        """The job started by each form token: the same form sent twice starts one job."""
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wathiqa-merge")

    def start(
        self,
        doc_id: str,
        actor: str,
        work: Callable[[Callable[[int, int], None]], Any],
        *,
        upload_dir: Path | None = None,
        on_done: Callable[[Job], None] | None = None,
        token: str = "",
    ) -> Job:
        """Run ``work(progress)`` in the worker; the upload folder is removed when it ends, whatever happens.
        With the ``token`` of a form that already started a job (a double press), that job is given back and
        nothing is run again (its upload folder is removed at once)."""
        job = Job(secrets.token_urlsafe(12), doc_id, actor, upload_dir=upload_dir)
        with self._lock:
            earlier = self._jobs.get(self._tokens.get(token, "")) if token else None
            if earlier is not None:
                if upload_dir is not None:
                    shutil.rmtree(upload_dir, ignore_errors=True)
                return earlier
            if token:
                self._tokens[token] = job.id
            self._jobs[job.id] = job
            for old in list(self._jobs.values())[:-KEEP_JOBS]:
                if old.finished:
                    del self._jobs[old.id]
            self._tokens = {t: j for t, j in self._tokens.items() if j in self._jobs}
        self._pool.submit(self._run, job, work, on_done)
        return job

    def _run(
        self, job: Job, work: Callable[[Callable[[int, int], None]], Any], on_done: Callable[[Job], None] | None
    ) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        job.state = "running"
        try:
            job.result = work(progress)
            job.state = "done"
        except InputError as err:
            job.error = messages.JOINED.join(p.message for p in err.problems) or str(err)
            job.state = "failed"
        except Exception:
            log.exception("batch job %s failed", job.id)
            job.error = messages.MERGE_FAULT
            job.state = "failed"
        finally:
            if job.upload_dir is not None:
                shutil.rmtree(job.upload_dir, ignore_errors=True)
            if on_done is not None:
                try:
                    on_done(job)
                except Exception:
                    log.exception("after batch job %s", job.id)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
