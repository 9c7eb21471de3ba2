"""Ordering real processes (or threads) at named points without sleeping (see ``WATHIQA_RENDEZVOUS`` in generator/faults.py).

A race test starts its processes with :meth:`Rendezvous.env`, then calls :meth:`Rendezvous.run` with a rule saying
when a process held at a point may go on. Every wait is on an event (a line in the events FIFO, a process's exit
seen through its pidfd); the one time limit is a guard against a hung test, not a synchronisation.
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GUARD_SECONDS = 300.0


@dataclass
class Seen:
    """What the test knows of the processes so far."""

    held: dict[int, str] = field(default_factory=dict)
    """Processes waiting at a pause point, and which."""
    passed: dict[int, set[str]] = field(default_factory=dict)
    """Every point each process has reached."""
    finished: set[int] = field(default_factory=set)


Rule = Callable[[int, Seen, Sequence[int]], bool]
"""May the held process go on, given what is seen of every process?"""


class Rendezvous:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pauses: set[str] = set()
        folder.mkdir(parents=True, exist_ok=True)
        os.mkfifo(folder / "events")
        self._events = os.open(folder / "events", os.O_RDWR)  # read and write: opening never blocks
        self._buffer = b""

    def env(self, pause: Sequence[str]) -> dict[str, str]:
        """The environment of a process that tells every point and waits at those of ``pause``."""
        self.pauses |= set(pause)
        return {"WATHIQA_RENDEZVOUS": str(self.folder), "WATHIQA_PAUSE": ",".join(pause)}

    def run(self, procs: Sequence[subprocess.Popen[str]], may_go: Rule) -> Seen:
        """Follow ``procs`` to their end, letting each held one go when ``may_go`` says so."""
        seen = Seen(passed={p.pid: set() for p in procs})
        pids = [p.pid for p in procs]
        exits = {os.pidfd_open(p.pid): p.pid for p in procs}  # readable once the process has ended
        try:
            while exits:
                ready, _, _ = select.select([self._events, *exits], [], [], GUARD_SECONDS)
                assert ready, f"no process moved for {GUARD_SECONDS:.0f} s: {seen}"
                self._read_events(seen)  # before exits: a process's last events come before its end
                for fd in ready:
                    if fd in exits:
                        seen.finished.add(exits.pop(fd))
                        os.close(fd)
                for pid in [p for p in seen.held if may_go(p, seen, pids)]:
                    del seen.held[pid]
                    with open(self.folder / f"go-{pid}", "wb"):  # the process reads end-of-file: it goes on
                        pass
        finally:
            for fd in exits:
                os.close(fd)
            os.close(self._events)
        return seen

    def _read_events(self, seen: Seen) -> None:
        while select.select([self._events], [], [], 0)[0]:
            self._buffer += os.read(self._events, 4096)
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            pid_text, name = line.decode().split(" ", 1)
            pid = int(pid_text)
            seen.passed.setdefault(pid, set()).add(name)
            if name in self.pauses:
                seen.held[pid] = name


class ThreadTurns:
    """The same race between the threads of one process (the office app): threads held at ``decide.collected``
    (after reading the requests to answer) until some other thread has read them too, or waits for its turn, and
    every other one has done one of these or ended (:meth:`done`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from generator.workflow import decide

        self.cond = threading.Condition()
        self.passed: dict[int, set[str]] = {}
        self.finished: set[int] = set()
        self.collected = threading.Event()
        """Set when a thread first reaches ``decide.collected``."""
        monkeypatch.setattr(decide, "fault_point", self.point)

    def point(self, name: str) -> None:
        me = threading.get_ident()
        with self.cond:
            self.passed.setdefault(me, set()).add(name)
            self.cond.notify_all()
            if name == "decide.collected":
                self.collected.set()
                assert self.cond.wait_for(lambda: self._others_read_or_waiting(me), timeout=GUARD_SECONDS)

    def _others_read_or_waiting(self, me: int) -> bool:
        others = {t: points for t, points in self.passed.items() if t != me}
        return bool(others) and all(
            points & {"decide.collected", "decide.lock-wait"} or other in self.finished
            for other, points in others.items()
        )

    def done(self) -> None:
        """The calling thread is done: a thread held for it goes on."""
        with self.cond:
            self.finished.add(threading.get_ident())
            self.passed.setdefault(threading.get_ident(), set())
            self.cond.notify_all()
