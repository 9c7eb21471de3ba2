"""Worker processes that never outlive the process they work for.

A worker (an issue worker of the office app, a PDF renderer of a merge) holds a hundred megabytes or more. When
the process it works for is killed (kill -9, a crash, a closed terminal) nothing shuts its pool down, and the
pool's own pipes do not end a worker: a renderer forked from the fork server even keeps the fork server alive,
since each worker holds the pipe whose end tells the fork server to stop. So each worker watches its owner
itself, from a thread: on Linux it waits on a pidfd of the owner (woken the moment the owner ends, no polling),
elsewhere it looks every second; when the owner is gone the worker ends at once, and with the last worker the
fork server and the resource tracker end too.
"""

from __future__ import annotations

import os
import select
import threading
import time

from .registers.lock import pid_is_dead

__all__ = ["exit_with", "wait_ended"]

LOOK_EVERY = 1.0
"""Seconds between two looks at the owner where there is no pidfd."""


def exit_with(owner: int) -> None:
    """End this process when process ``owner`` ends (call it first thing in a worker, with the pid the owner
    passed: ``os.getppid()`` is the fork server for a forked worker, and init if the owner is already gone)."""
    threading.Thread(target=_watch, args=(owner,), daemon=True, name="wathiqa-owner-watch").start()


def _watch(owner: int) -> None:
    try:
        fd = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):  # no pidfd here (not Linux, or an old kernel): look now and then
        while not pid_is_dead(owner):
            time.sleep(LOOK_EVERY)
        os._exit(0)
    select.select([fd], [], [])
    os._exit(0)


def wait_ended(pid: int, timeout: float) -> bool:
    """Wait until process ``pid`` has ended (at most ``timeout`` seconds); whether it has."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    except (AttributeError, OSError):
        deadline = time.monotonic() + timeout
        while not pid_is_dead(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pid_is_dead(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    return bool(ready) or pid_is_dead(pid)
