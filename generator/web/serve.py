"""``wathiqa serve``: the office app behind waitress, a production WSGI server (threads, no reloader, no debugger).

The crash log (``OUT/logs/office-app.log``) keeps the traceback of any unexpected fault; the browser gets the
Arabic 500 page.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import threading
from pathlib import Path
from typing import TextIO

from ..config.project import Project
from . import WebSettings, create_app

log = logging.getLogger(__name__)

THREADS = 12
"""waitress threads: enough for a handful of clerks; rendering itself goes to the issue workers."""
RENDER_QUEUE = 6
"""Of those threads, how many may be on an issue or a preview at once (rendering, or waiting for a worker):
the other six always serve the sign-in page and every other page, however many clerks press «إصدار»."""


def _crash_log(out_dir: Path) -> Path:
    folder = out_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "office-app.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("generator").addHandler(handler)
    return path


def _stop(signum: int, frame: object) -> None:
    """SIGTERM ends the server like Ctrl-C, so that the issue workers and the merge thread are shut down."""
    raise KeyboardInterrupt


def _read_registers(project: Project, out_dir: Path) -> None:
    """Read the registers of cases once while the first clerk signs in: a year's register takes seconds to decode,
    and the search, the case pages and the same-person check then find it read."""
    from ..workflow.find import find_cases

    try:
        find_cases(project, out_dir)
    except Exception:  # a register that cannot be read now is read (and reported) when a page asks for it
        log.info("the registers could not be read ahead", exc_info=True)


def serve(project: Project, out_dir: Path, host: str, port: int, out: TextIO) -> None:
    """Serve until interrupted (Ctrl-C)."""
    from waitress import serve as waitress_serve

    workers = min(2, os.cpu_count() or 1)
    settings = WebSettings(out_dir=out_dir, host=host, port=port, issue_workers=workers, render_queue=RENDER_QUEUE)
    app = create_app(project, settings)
    crash_log = _crash_log(Path(out_dir).resolve())
    app.extensions["wathiqa"].issuer.warm_up()
    threading.Thread(target=_read_registers, args=(project, out_dir), name="read-registers", daemon=True).start()
    shown = f"[{host}]" if ":" in host else host
    print(f"the office app is served at http://{shown}:{port} — open it in a browser; Ctrl-C stops it", file=out)
    print(f"errors are logged in {crash_log}", file=out, flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        waitress_serve(app, host=host, port=port, threads=THREADS, ident="wathiqa", clear_untrusted_proxy_headers=True)
    finally:
        app.extensions["wathiqa"].issuer.close()
        app.extensions["wathiqa"].jobs.shutdown()
