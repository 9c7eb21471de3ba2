"""Fault injection for the crash tests: ``WATHIQA_FAULT=NAME`` kills the process at the point named NAME.

Each step of a workflow that moves a file or commits a change calls :func:`fault_point` with its name, so a test
can kill the process exactly there (SIGKILL: no clean-up runs) and check that the next run completes the work
with nothing lost and nothing doubled. Unset, it costs one dictionary look-up.

``NAME:interrupt`` sends the process a SIGINT there instead (a clerk's Ctrl-C: the clean-up runs), and
``NAME:stop`` a SIGSTOP: the process stays at that point, holding whatever it holds, until the test has done what
it races with and sends SIGCONT (the test awaits the stop with ``os.waitpid(pid, os.WUNTRACED)``, no sleep).
"""

from __future__ import annotations

import os
import signal

__all__ = ["fault_point"]

_SIGNALS = {"": signal.SIGKILL, "kill": signal.SIGKILL, "interrupt": signal.SIGINT, "stop": signal.SIGSTOP}


def fault_point(name: str) -> None:
    """Die (or be interrupted, or stop) here, as a power cut would, when the environment names this point."""
    wanted = os.environ.get("WATHIQA_FAULT")
    if wanted is None:
        return
    point, _, action = wanted.partition(":")
    if point == name and action in _SIGNALS:
        os.kill(os.getpid(), _SIGNALS[action])
