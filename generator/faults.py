"""Fault injection for the crash tests: ``WATHIQA_FAULT=NAME`` kills the process at the point named NAME.

Each step of a workflow that moves a file or commits a change calls :func:`fault_point` with its name, so a test
can kill the process exactly there (SIGKILL: no clean-up runs) and check that the next run completes the work
with nothing lost and nothing doubled. Unset, it costs two dictionary look-ups.

``NAME:interrupt`` sends the process a SIGINT there instead (a clerk's Ctrl-C: the clean-up runs), and
``NAME:stop`` a SIGSTOP: the process stays at that point, holding whatever it holds, until the test has done what
it races with and sends SIGCONT (the test awaits the stop with ``os.waitpid(pid, os.WUNTRACED)``, no sleep).

``WATHIQA_RENDEZVOUS=DIR`` orders several processes at several points without sleeping (tests/rendezvous.py): at
every point the process writes ``PID NAME`` as one line into the FIFO ``DIR/events`` (which the test holds open),
and at a point listed in ``WATHIQA_PAUSE`` (comma-separated) it then waits until the test opens and closes the FIFO
``DIR/go-PID``.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

__all__ = ["fault_point"]

_SIGNALS = {"": signal.SIGKILL, "kill": signal.SIGKILL, "interrupt": signal.SIGINT, "stop": signal.SIGSTOP}


def fault_point(name: str) -> None:
    """Die (or be interrupted, or stop) here, as a power cut would, when the environment names this point."""
    folder = os.environ.get("WATHIQA_RENDEZVOUS")
    if folder:
        _rendezvous(Path(folder), name, name in os.environ.get("WATHIQA_PAUSE", "").split(","))
    wanted = os.environ.get("WATHIQA_FAULT")
    if wanted is None:
        return
    point, _, action = wanted.partition(":")
    if point == name and action in _SIGNALS:
        os.kill(os.getpid(), _SIGNALS[action])


def _rendezvous(folder: Path, name: str, pause: bool) -> None:
    go = folder / f"go-{os.getpid()}"
    if pause and not go.exists():
        os.mkfifo(go)  # made before the event is told, so the test can open it as soon as it reads the event
    events = os.open(folder / "events", os.O_WRONLY)
    try:
        os.write(events, f"{os.getpid()} {name}\n".encode())  # one short write: atomic among writers
    finally:
        os.close(events)
    if pause:
        with open(go, "rb") as released:  # blocks until the test opens the other end; its close is the go
            released.read()
