"""Unexpected faults: one line on the terminal, the full report in a crash log that can be sent as it is.

The log holds the command, the versions of Python, wathiqa and the libraries that render, and the traceback.
It is written to ``$WATHIQA_CRASH_DIR`` if set, else ``$XDG_CACHE_HOME/wathiqa`` (``~/.cache/wathiqa``).
With ``-v`` the traceback is printed too.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import traceback
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TextIO

__all__ = ["crash_dir", "report_crash"]

_LIBRARIES = ("wathiqa", "weasyprint", "docxtpl", "python-docx", "openpyxl", "lxml", "pydantic", "PyYAML", "Jinja2")


def crash_dir() -> Path:
    if os.environ.get("WATHIQA_CRASH_DIR"):
        return Path(os.environ["WATHIQA_CRASH_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "wathiqa"


def _versions() -> list[str]:
    lines = [f"python {sys.version.split()[0]} on {platform.platform()}"]
    for name in _LIBRARIES:
        try:
            lines.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{name} (not installed)")
    return lines


def report_crash(exc: BaseException, argv: Sequence[str], err: TextIO, *, verbose: bool) -> Path | None:
    """Write the crash log and tell the user, in one line, where it is; return its path (None if unwritable)."""
    trace = "".join(traceback.format_exception(exc))
    now = dt.datetime.now()
    text = "\n".join(
        [
            f"wathiqa crash report, {now.isoformat(timespec='seconds')}",
            "command: wathiqa " + " ".join(argv),
            f"working folder: {os.getcwd()}",
            *_versions(),
            "",
            trace,
        ]
    )
    path: Path | None = crash_dir() / f"crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        path = None
    if verbose or path is None:
        print(trace, file=err, end="")
    print(f"wathiqa: unexpected error: {type(exc).__name__}: {exc}", file=err)
    if path is not None:
        print(f"wathiqa: the full report was written to {path}; please send it with the command you ran", file=err)
    return path
