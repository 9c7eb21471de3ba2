"""Fault injection for the crash tests: ``WATHIQA_FAULT=NAME`` kills the process at the point named NAME.

Each step of a workflow that moves a file or commits a change calls :func:`fault_point` with its name, so a test
can kill the process exactly there (SIGKILL: no clean-up runs) and check that the next run completes the work
with nothing lost and nothing doubled. Unset, it costs one dictionary look-up.
"""

from __future__ import annotations

import os
import signal

__all__ = ["fault_point"]


def fault_point(name: str) -> None:
    """Die here, as a power cut would, when the environment names this point."""
    if os.environ.get("WATHIQA_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
